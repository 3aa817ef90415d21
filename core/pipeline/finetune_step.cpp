#include "pipeline/finetune_step.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "base/files.h"
#include "pipeline/tokenizer_step.h"
#include "pipeline/worker_events.h"
#include "settings/settings.h"

namespace tinyllm::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

Result<json> read_prepared_summary(const fs::path& prepared_dir) {
  const fs::path path = prepared_dir / "prepared.json";
  TINYLLM_TRY_ASSIGN(text, read_file(path));
  TINYLLM_TRY_ASSIGN(j, settings::parse_json(text, path.string()));
  if (!j.is_object()) return make_error(path.string(), "expected a JSON object");
  return j;
}

Result<TaskSplit> read_task_split(const fs::path& prepared_dir, const std::string& split) {
  TaskSplit out;
  out.file = prepared_dir / ("task_" + split + ".jsonl");
  std::ifstream in(out.file);
  if (!in)
    return make_error(out.file.string(),
                      "cannot read the task examples; prepare the data (step 1) first");
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const std::string where = out.file.filename().string() + ":" + std::to_string(number);
    const json j = json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("prompt") || !j["prompt"].is_string() ||
        !j.contains("response") || !j["response"].is_string())
      return make_error(where, "expected a JSON object with \"prompt\" and \"response\" strings");
    TaskExampleText e;
    e.prompt = j["prompt"].get<std::string>();
    e.response = j["response"].get<std::string>();
    e.label = j.value("label", "");
    e.series = j.value("series", "");
    e.subject = j.value("subject", "");
    e.start = j.value("start", int64_t(0));
    e.rows = j.value("rows", int64_t(0));
    if (j.contains("target") && j["target"].is_array())
      for (const auto& v : j["target"])
        if (v.is_number()) e.target.push_back(v.get<double>());
    e.line = number;
    out.examples.push_back(std::move(e));
  }
  return out;
}

std::string ContextCheck::message() const {
  char text[1024];
  if (examples == 0) return "there are no task examples to check; prepare the data first";
  if (ok()) {
    std::snprintf(text, sizeof text,
                  "every example fits the context: %zu examples, %.0f tokens on average, p95 "
                  "%.0f, longest %zu of %d",
                  examples, mean_tokens, p95_tokens, max_tokens, n_ctx);
    return text;
  }
  std::snprintf(text, sizeof text,
                "%zu of %zu examples do not fit the model's context of %d tokens (average %.0f, "
                "p95 %.0f, longest %zu at %s); training on them would cut off the answer. Ways "
                "out: write the readings as levels (prepare setting style=levels, one token per "
                "reading), fewer decimals (decimals=0), a lower rate (resample_hz), a shorter "
                "window (window_s), fewer access points (rssi_top_k), or a model preset with a "
                "longer context (n_ctx)",
                over, examples, n_ctx, mean_tokens, p95_tokens, max_tokens, longest_at.c_str());
  return text;
}

json ContextCheck::to_json() const {
  return {{"ok", ok()},
          {"n_ctx", n_ctx},
          {"examples", examples},
          {"over", over},
          {"max_tokens", max_tokens},
          {"mean_tokens", mean_tokens},
          {"p95_tokens", p95_tokens},
          {"longest_at", longest_at},
          {"message", message()}};
}

ContextCheck check_context(const text::Tokenizer& tokenizer, const std::vector<TaskSplit>& splits,
                           int n_ctx) {
  ContextCheck c;
  c.n_ctx = n_ctx;
  std::vector<size_t> lengths;
  std::vector<int32_t> ids;
  for (const auto& split : splits)
    for (const auto& e : split.examples) {
      ids.clear();
      tokenizer.encode(e.prompt, ids);
      tokenizer.encode(e.response, ids);
      const size_t n = ids.size();
      lengths.push_back(n);
      if (n > size_t(n_ctx)) ++c.over;
      if (n > c.max_tokens) {
        c.max_tokens = n;
        c.longest_at = split.file.filename().string() + ":" + std::to_string(e.line);
      }
    }
  c.examples = lengths.size();
  if (lengths.empty()) return c;
  double sum = 0;
  for (size_t n : lengths)
    sum += double(n);
  c.mean_tokens = sum / double(lengths.size());
  std::sort(lengths.begin(), lengths.end());
  c.p95_tokens =
      double(lengths[std::min(lengths.size() - 1, size_t(0.95 * double(lengths.size())))]);
  return c;
}

Result<fs::path> best_or_latest_checkpoint(const fs::path& run_folder) {
  std::error_code ec;
  if (fs::exists(run_folder / "best" / "model.safetensors", ec)) return run_folder / "best";
  const fs::path latest = run_folder / "latest.json";
  if (!fs::exists(latest, ec))
    return make_error(run_folder.string(), "this run has no checkpoint (no best/, no latest.json)");
  TINYLLM_TRY_ASSIGN(text, read_file(latest));
  TINYLLM_TRY_ASSIGN(j, settings::parse_json(text, latest.string()));
  if (!j.is_object() || !j.contains("checkpoint") || !j["checkpoint"].is_string())
    return make_error(latest.string(), "expected {\"checkpoint\": \"step-...\"}");
  return run_folder / j["checkpoint"].get<std::string>();
}

Result<fs::path> default_init_checkpoint(const project::Project& project) {
  const auto run = latest_run_id(project);
  if (!run)
    return make_error(project.root.string(),
                      "no pre-trained model yet: pre-train one (step 2), or fine-tune from "
                      "scratch (--from scratch)");
  return best_or_latest_checkpoint(project.path(kRunsFolder) / *run);
}

Result<int> checkpoint_context(const fs::path& checkpoint) {
  const fs::path path = checkpoint / "model.json";
  TINYLLM_TRY_ASSIGN(text, read_file(path));
  TINYLLM_TRY_ASSIGN(j, settings::parse_json(text, path.string()));
  if (!j.is_object() || !j.contains("n_ctx") || !j["n_ctx"].is_number_integer())
    return make_error(path.string(), "field 'n_ctx': missing or not an integer");
  return j["n_ctx"].get<int>();
}

Result<fs::path> finetune_checkpoint(const project::Project& project, const std::string& run_id) {
  const fs::path folder = project.path(kFinetuneRuns.folder) / run_id;
  return best_or_latest_checkpoint(folder);
}

std::vector<std::pair<std::string, std::string>> finetune_defaults(bool from_scratch, bool lora) {
  const char* lr = lora ? "5e-3" : from_scratch ? "2e-3" : "1e-3";
  std::vector<std::pair<std::string, std::string>> d = {
      {"steps", "600"},       {"batch_size", "16"},     {"lr", lr},
      {"warmup_steps", "30"}, {"eval_every", "50"},     {"checkpoint_every", "50"},
      {"patience", "4"},      {"weight_decay", "0.05"}, {"log_every", "10"}};
  if (lora) d.emplace_back("lora_rank", std::to_string(kLoraDefaultRank));
  return d;
}

StepState finetune_state(const project::Project& p) {
  const auto* prepared = p.find_artifact("prepared");
  if (!prepared) return {StepStatus::needs_earlier_step, "needs task examples from the Data step"};
  if (p.is_stale(*prepared))
    return {StepStatus::needs_earlier_step,
            "the Data step is stale: prepare the training text again first"};
  if (!p.find_artifact(kTokenizerArtifact))
    return {StepStatus::needs_earlier_step, "needs a tokenizer from the Pre-train step"};
  if (auto checked = check_tokenizer(p); !checked)
    return {StepStatus::needs_earlier_step,
            "the tokenizer needs attention (Pre-train step): " + checked.error().to_string()};
  const auto latest = latest_run_id(p, kFinetuneRuns);
  const auto* run =
      latest ? p.find_artifact(checkpoint_artifact_id(*latest, kFinetuneRuns)) : nullptr;
  if (!run) {
    if (!latest_run_id(p))
      return {StepStatus::ready, "no pre-trained model yet; a fine-tune from scratch can run"};
    return {StepStatus::ready, "a pre-trained model is ready; nothing fine-tuned yet"};
  }
  const std::string name =
      run->settings.is_object() ? run->settings.value("run_id", *latest) : *latest;
  std::error_code ec;
  if (!fs::exists(project::resolve_path(p.root, run->path), ec))
    return {StepStatus::stale, "the checkpoint of " + name + " (" + run->path + ") is missing"};
  if (p.is_stale(*run))
    return {StepStatus::stale,
            "the examples, the tokenizer or the pre-trained model changed since " + name +
                " was fine-tuned"};
  const std::string reason = run->outcome.value("reason", "");
  const double acc = run->outcome.value("best_val_accuracy", -1.0);
  std::string accuracy;
  if (acc >= 0) {
    char text[64];
    std::snprintf(text, sizeof text, " (validation accuracy %.1f%%)", 100 * acc);
    accuracy = text;
  }
  if (reason == events::kInterrupted)
    return {StepStatus::ready, name + " was stopped at step " +
                                   std::to_string(run->outcome.value("step", 0LL)) + " of " +
                                   std::to_string(run->outcome.value("steps", 0LL)) +
                                   "; resume it or start a new run"};
  return {StepStatus::done, name + " fine-tuned" + accuracy};
}

}  // namespace tinyllm::pipeline
