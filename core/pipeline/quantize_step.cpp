#include "pipeline/quantize_step.h"

#include <algorithm>

#include "base/files.h"
#include "pipeline/pretrain_step.h"

namespace tinyllm::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::optional<double> optional_number(const json& object, const char* key) {
  if (!object.is_object() || !object.contains(key) || !object[key].is_number()) return std::nullopt;
  return object[key].get<double>();
}

}  // namespace

const std::vector<QuantTypeInfo>& quant_types() {
  static const std::vector<QuantTypeInfo> kTypes = {
      {"f32",
       "32 bits per weight: the trained numbers exactly; the largest and the reference "
       "the others are compared with."},
      {"f16", "16 bits: half the size, practically the same answers; no faster on a Pi's CPU."},
      {"q8_0",
       "8 bits in blocks of 32: a quarter of the size, accuracy kept; the usual choice "
       "for a Raspberry Pi."},
      {"q4_0",
       "4 bits in blocks of 32: the smallest file, but answers can change; for the "
       "smallest memory."},
  };
  return kTypes;
}

fs::path quantization_report_path(const project::Project& project, const std::string& run) {
  return project.path("reports") / ("quantization-" + run + ".json");
}

Result<QuantReport> quantization_report_from_json(const json& j, const std::string& where) {
  if (!j.is_object() || !j.contains("variants") || !j["variants"].is_array())
    return make_error(where, "not a quantization report (no \"variants\" list)");
  QuantReport report;
  report.run = j.value("run", "");
  report.measured = j.value("measured", "");
  report.where = j.value("where", "");
  for (size_t i = 0; i < j["variants"].size(); ++i) {
    const json& v = j["variants"][i];
    const std::string at = where + ": variants[" + std::to_string(i) + "]";
    if (!v.is_object() || !v.contains("type") || !v["type"].is_string())
      return make_error(at, "has no \"type\"");
    if (!v.contains("bytes") || !v["bytes"].is_number_unsigned())
      return make_error(at, "has no \"bytes\" (a file size)");
    QuantVariant q;
    q.type = v["type"].get<std::string>();
    q.file = v.value("file", "");
    q.bytes = v["bytes"].get<uint64_t>();
    q.bits_per_weight = optional_number(v, "bits_per_weight").value_or(0.0);
    q.perplexity = optional_number(v, "perplexity");
    q.accuracy = optional_number(v, "accuracy");
    q.mean_latency_ms = optional_number(v, "mean_latency_ms");
    q.prompt_tokens_per_s = optional_number(v, "prompt_tokens_per_s");
    q.gen_tokens_per_s = optional_number(v, "gen_tokens_per_s");
    q.peak_rss_mib = optional_number(v, "peak_rss_mib");
    const json vs = v.value("vs_f32", json::object());
    q.size_vs_f32 = optional_number(vs, "size");
    q.perplexity_vs_f32 = optional_number(vs, "perplexity");
    q.accuracy_points_vs_f32 = optional_number(vs, "accuracy_points");
    q.prompt_speed_vs_f32 = optional_number(vs, "prompt_speed");
    q.gen_speed_vs_f32 = optional_number(vs, "gen_speed");
    if (v.contains("not_measured") && v["not_measured"].is_object())
      for (const auto& [what, why] : v["not_measured"].items())
        q.not_measured[what] = why.is_string() ? why.get<std::string>() : why.dump();
    report.variants.push_back(std::move(q));
  }
  return report;
}

Result<QuantReport> read_quantization_report(const fs::path& file) {
  TINYLLM_TRY_ASSIGN(text, read_file(file));
  const json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error(file.string(), "not valid JSON");
  return quantization_report_from_json(j, file.string());
}

std::vector<std::string> finetuned_runs(const project::Project& project) {
  std::vector<const project::Artifact*> runs;
  for (const auto& a : project.artifacts)
    if (a.kind == kFinetuneRuns.kind) runs.push_back(&a);
  std::stable_sort(runs.begin(), runs.end(),
                   [](const auto* a, const auto* b) { return a->created < b->created; });
  std::vector<std::string> ids;
  const size_t prefix = checkpoint_artifact_id("", kFinetuneRuns).size();
  for (const auto* a : runs)
    ids.push_back(a->settings.is_object() ? a->settings.value("run_id", a->id.substr(prefix))
                                          : a->id.substr(prefix));
  return ids;
}

bool export_is_stale(const project::Project& project, const std::string& run,
                     const std::string& type) {
  const auto* a = project.find_artifact("gguf-" + run + "-" + type);
  if (!a) return false;
  std::error_code ec;
  return !fs::exists(project::resolve_path(project.root, a->path), ec) || project.is_stale(*a);
}

const std::vector<PiBudget>& pi_budgets() {
  static const std::vector<PiBudget> kBudgets = {
      {"Raspberry Pi Zero 2 W (512 MB)", 512ull << 20},
      {"Raspberry Pi 3 (1 GB)", 1ull << 30},
      {"Raspberry Pi 4 / 5 (2-8 GB)", 2ull << 30},
  };
  return kBudgets;
}

uint64_t memory_needed(const QuantVariant& v) {
  const uint64_t rss = v.peak_rss_mib ? uint64_t(*v.peak_rss_mib * 1024.0 * 1024.0) : 0;
  return std::max(v.bytes, rss);
}

std::optional<size_t> recommended_variant(const std::vector<QuantVariant>& variants,
                                          uint64_t ram_bytes) {
  std::optional<size_t> best;
  // Not measured counts below any measured accuracy.
  auto accuracy = [](const QuantVariant& v) { return v.accuracy.value_or(-1.0); };
  for (size_t i = 0; i < variants.size(); ++i) {
    const auto& v = variants[i];
    if (memory_needed(v) > ram_bytes / 2) continue;
    if (!best) {
      best = i;
      continue;
    }
    const auto& b = variants[*best];
    if (accuracy(v) > accuracy(b) || (accuracy(v) == accuracy(b) && v.bytes < b.bytes)) best = i;
  }
  return best;
}

}  // namespace tinyllm::pipeline
