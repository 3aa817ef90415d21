#include "pipeline/steps.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "pipeline/finetune_step.h"
#include "pipeline/pretrain_step.h"
#include "pipeline/tokenizer_step.h"
#include "pipeline/worker_events.h"

namespace tinyllm::pipeline {
namespace fs = std::filesystem;

namespace {

bool files_missing(const project::Project& p, const project::Artifact& a) {
  std::error_code ec;
  return !fs::exists(project::resolve_path(p.root, a.path), ec);
}

StepState data_state(const project::Project& p) {
  if (p.sources.empty()) return {StepStatus::ready, "no recordings imported yet"};
  const auto* prepared = p.find_artifact("prepared");
  const std::string sources = std::to_string(p.sources.size()) + " source(s) imported";
  if (!prepared) return {StepStatus::ready, sources + "; training text not prepared yet"};
  if (files_missing(p, *prepared))
    return {StepStatus::stale, prepared->path + " is missing; prepare the text again"};
  if (p.is_stale(*prepared))
    return {StepStatus::stale, "the recordings changed since the text was prepared"};
  return {StepStatus::done, "training text prepared from " + sources};
}

std::string run_text(const project::Artifact& run) {
  return run.settings.is_object() ? run.settings.value("run_id", run.id) : run.id;
}

StepState pretrain_state(const project::Project& p) {
  const auto* prepared = p.find_artifact("prepared");
  if (!prepared)
    return {StepStatus::needs_earlier_step, "needs prepared training text from the Data step"};
  if (p.is_stale(*prepared) || files_missing(p, *prepared))
    return {StepStatus::needs_earlier_step,
            "the Data step is stale: prepare the training text again first"};
  const auto* tokenizer = p.find_artifact(kTokenizerArtifact);
  if (!tokenizer) return {StepStatus::ready, "no tokenizer trained yet"};
  if (auto checked = check_tokenizer(p); !checked)
    return {StepStatus::needs_attention, checked.error().to_string()};
  if (p.is_stale(*tokenizer) || files_missing(p, *tokenizer))
    return {StepStatus::stale, "the training text changed since the tokenizer was trained"};
  const auto latest = latest_run_id(p);
  const auto* run = latest ? p.find_artifact(checkpoint_artifact_id(*latest)) : nullptr;
  if (!run) return {StepStatus::ready, "tokenizer trained; no model trained yet"};
  const std::string name = run_text(*run);
  if (files_missing(p, *run))
    return {StepStatus::stale, "the checkpoint of " + name + " (" + run->path + ") is missing"};
  if (p.is_stale(*run))
    return {StepStatus::stale, "the tokenizer changed since " + name + " was trained"};
  if (!run->outcome.is_object())
    return {StepStatus::done, name + " trained (how it ended was not recorded)"};
  const std::string reason = run->outcome.value("reason", "");
  const std::string at = std::to_string(run->outcome.value("step", 0LL)) + " of " +
                         std::to_string(run->outcome.value("steps", 0LL));
  if (reason == events::kCompleted)
    return {StepStatus::done,
            name + " completed all " + std::to_string(run->outcome.value("steps", 0LL)) + " steps"};
  if (reason == events::kEarlyStop)
    return {StepStatus::done,
            name + " stopped early at step " + at + ": the validation loss stopped improving"};
  if (reason == events::kInterrupted)
    return {StepStatus::ready,
            name + " was stopped at step " + at + "; resume it or start a new run"};
  return {StepStatus::done, name + " trained (how it ended was not recorded)"};
}

// Exports (GGUF files) of the newest fine-tuned run: done when they are there and their inputs
// unchanged; the report (tinyllm export) is mentioned when it exists.
StepState quantize_state(const project::Project& p) {
  const auto finetune = finetune_state(p);
  std::vector<const project::Artifact*> exports;
  for (const auto& a : p.artifacts)
    if (a.kind == "gguf") exports.push_back(&a);
  if (exports.empty()) {
    if (finetune.status == StepStatus::done || finetune.status == StepStatus::stale)
      return {StepStatus::ready, "fine-tuned; not exported yet"};
    return {StepStatus::needs_earlier_step, "needs a fine-tuned model from the Fine-tune step"};
  }
  const auto* newest = *std::max_element(
      exports.begin(), exports.end(), [](const project::Artifact* a, const project::Artifact* b) {
        return a->created < b->created;
      });
  std::string types;
  for (const auto* a : exports)
    if (a->created.substr(0, 16) == newest->created.substr(0, 16))
      types += (types.empty() ? "" : ", ") + a->settings.value("type", std::string("?"));
  for (const auto* a : exports) {
    if (a->created.substr(0, 16) != newest->created.substr(0, 16)) continue;
    if (files_missing(p, *a))
      return {StepStatus::stale, "the exported file " + a->path + " is missing: export again"};
    if (p.is_stale(*a))
      return {StepStatus::stale, "the model changed since " + a->path + " was exported"};
  }
  return {StepStatus::done, types + " exported (" + newest->created.substr(0, 10) + ")"};
}

// The names in deployments/devices.json (a device removed from the project no longer counts).
std::set<std::string> device_names(const project::Project& p) {
  std::set<std::string> names;
  std::ifstream in(p.path("deployments/devices.json"));
  const auto doc = nlohmann::json::parse(in, nullptr, false);
  if (!doc.is_object() || !doc.contains("devices") || !doc["devices"].is_array()) return names;
  for (const auto& d : doc["devices"])
    if (d.is_object()) names.insert(d.value("name", ""));
  return names;
}

// The newest install recorded in any deployments/<device>/installs.json (core/deploy writes
// them; read here with nlohmann only, so that pipeline never links libssh). Null when none.
nlohmann::json newest_install(const project::Project& p) {
  const auto devices = device_names(p);
  nlohmann::json newest;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(p.path("deployments"), ec)) {
    std::ifstream in(entry.path() / "installs.json");
    if (!in) continue;
    const auto list = nlohmann::json::parse(in, nullptr, false);
    if (!list.is_array()) continue;
    for (const auto& install : list) {
      if (!install.is_object() || !devices.count(install.value("device", ""))) continue;
      if (newest.is_null() || install.value("time", "") >= newest.value("time", ""))
        newest = install;
    }
  }
  return newest;
}

StepState deploy_state(const project::Project& p) {
  const bool exported = std::any_of(p.artifacts.begin(), p.artifacts.end(),
                                    [](const project::Artifact& a) { return a.kind == "gguf"; });
  if (!exported)
    return {StepStatus::needs_earlier_step,
            "needs an exported model from the Quantize step (tinyllm export)"};
  const auto install = newest_install(p);
  if (install.is_null())
    return {StepStatus::ready, device_names(p).empty() ? "exported; no device added yet"
                                                       : "exported; not deployed to a device yet"};
  const std::string type = install.value("type", "");
  return {StepStatus::done, install.value("model", p.name) + (type.empty() ? "" : " " + type) +
                                " runs on " + install.value("device", "") + " (" +
                                install.value("time", "").substr(0, 10) + ")"};
}

}  // namespace

const char* to_string(StepStatus status) {
  switch (status) {
    case StepStatus::not_available:
      return "not available yet";
    case StepStatus::needs_earlier_step:
      return "needs an earlier step";
    case StepStatus::ready:
      return "ready";
    case StepStatus::done:
      return "done";
    case StepStatus::stale:
      return "stale";
    case StepStatus::needs_attention:
      return "needs attention";
  }
  return "";
}

const std::vector<StepInfo>& steps() {
  static const std::vector<StepInfo> kSteps = {
      {StepId::data, "data", "Data", "Import recordings, then prepare training text.", data_state},
      {StepId::pretrain, "pretrain", "Pre-train",
       "Needs prepared training text from the Data step. Train a tokenizer, pick a model size, "
       "then watch the loss fall.",
       pretrain_state},
      {StepId::finetune, "finetune", "Fine-tune",
       "Needs task examples and a tokenizer (a pre-trained model is recommended). Teach the "
       "model the task, then compare it with the baselines on held-out data.",
       finetune_state},
      {StepId::quantize, "quantize", "Quantize",
       "Needs a fine-tuned model. Export it for the device as F32, F16, Q8_0 or Q4_0 GGUF "
       "files, then compare size, perplexity, accuracy and speed per type and try each one.",
       quantize_state},
      {StepId::deploy, "deploy", "Deploy",
       "Needs a quantized model (an export) and a Raspberry Pi reachable over SSH. Add the "
       "device, deploy with one click, then bench and evaluate it there.",
       deploy_state},
  };
  return kSteps;
}

const StepInfo& step_info(StepId id) {
  return steps()[size_t(id)];
}

StepState step_state(const project::Project& project, StepId id) {
  return step_info(id).state(project);
}

}  // namespace tinyllm::pipeline
