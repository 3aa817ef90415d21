#include "pipeline/run_comparison.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <system_error>

#include "base/files.h"
#include "pipeline/quantize_step.h"

namespace tinyllm::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double number_or(const json& j, const char* key, double fallback) {
  const auto it = j.find(key);
  return it != j.end() && it->is_number() ? it->get<double>() : fallback;
}

// A report that can be a row: a classification model's evaluation on the test split.
bool comparable(const json& report) {
  return report.is_object() && report.contains("model") && report["model"].is_object() &&
         !report.value("run_id", std::string()).empty() &&
         report.value("kind", std::string("classification")) == "classification" &&
         report.value("split", std::string()) == "test";
}

// "ft12" -> 12: ft2 before ft10.
long run_number(const std::string& run) {
  size_t at = run.size();
  while (at > 0 && run[at - 1] >= '0' && run[at - 1] <= '9')
    --at;
  return at == run.size() ? -1 : std::stol(run.substr(at, 9));
}

json baselines_of(const json& report) {
  json out = json::array();
  for (const auto& b : report.value("baselines", json::array())) {
    if (!b.is_object()) continue;
    json entry = {{"name", b.value("name", std::string())},
                  {"accuracy", number_or(b, "accuracy", 0)},
                  {"macro_f1", number_or(b, "macro_f1", 0)}};
    if (b.contains("k")) entry["k"] = b["k"];
    out.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

eval::RunSummary run_summary(const json& report) {
  const json& model = report["model"];
  eval::RunSummary s;
  s.run_id = report.value("run_id", std::string());
  s.params = model.value("params", int64_t(0));
  const json tokens = model.value("prompt_tokens", json::object());
  s.tokens_per_example = tokens.is_object() ? number_or(tokens, "mean", 0) : 0;
  s.accuracy = number_or(model, "accuracy", 0);
  s.macro_f1 = number_or(model, "macro_f1", 0);
  s.train_seconds = number_or(report, "train_seconds", 0);
  s.decoding = report.value("decoding", std::string("constrained"));
  return s;
}

RunComparison compare_runs(const project::Project& project, const json* fresh) {
  // Per run, its newest comparable report ("created" is ISO 8601 UTC: text order is time order).
  std::map<std::string, json> newest;
  auto consider = [&newest](json report, bool is_fresh) {
    if (!comparable(report)) return;
    if (is_fresh) report["created"] = "~";  // after any date
    const std::string run = report["run_id"].get<std::string>();
    auto it = newest.find(run);
    if (it == newest.end() ||
        report.value("created", std::string()) > it->second.value("created", std::string()))
      newest[run] = std::move(report);
  };
  std::error_code ec;
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(project.path("reports"), ec))
    if (entry.is_directory(ec)) files.push_back(entry.path() / "report.json");
  std::sort(files.begin(), files.end());  // the same report wins a tie on every machine
  for (const auto& file : files) {
    auto text = read_file(file);
    if (text) consider(json::parse(*text, nullptr, false), false);
  }
  if (fresh) consider(*fresh, true);

  RunComparison out;
  std::string latest;
  for (const auto& [run, report] : newest) {
    eval::RunSummary s = run_summary(report);
    if (auto quantized = read_quantization_report(quantization_report_path(project, run)))
      for (const QuantVariant& v : quantized->variants)
        s.variants.push_back(
            {v.type, v.bytes, v.accuracy.value_or(std::numeric_limits<double>::quiet_NaN()),
             v.mean_latency_ms.value_or(std::numeric_limits<double>::quiet_NaN())});
    out.runs.push_back(std::move(s));
    const std::string created = report.value("created", std::string());
    if (created >= latest) {
      latest = created;
      out.baselines = baselines_of(report);
    }
  }
  std::sort(out.runs.begin(), out.runs.end(), [](const auto& a, const auto& b) {
    const long na = run_number(a.run_id), nb = run_number(b.run_id);
    return na != nb ? na < nb : a.run_id < b.run_id;
  });
  return out;
}

}  // namespace tinyllm::pipeline
