// Step 4's bookkeeping, read by the GUI (and anything else that shows an export): the GGUF types
// with what each costs and keeps, the fine-tuned runs there are to export, the quantization
// report `tinyllm export` wrote (reports/quantization-<run>.json) as plain structs, which exports
// are stale, and the one rule that picks the variant for a Raspberry Pi's memory.
// Does not: export or measure anything (app/tinyllm/cmd_export.cpp and core/gguf do).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "project/project.h"

namespace tinyllm::pipeline {

// A GGUF type the export writes, as `tinyllm export --type` names it.
struct QuantTypeInfo {
  const char* type;     // "f32", "f16", "q8_0", "q4_0"
  const char* summary;  // one line: what it costs, what it keeps
};
// The four types, largest first.
const std::vector<QuantTypeInfo>& quant_types();
// The type recommended for a Raspberry Pi: a quarter of F32's size, accuracy kept.
inline constexpr const char* kRecommendedQuantType = "q8_0";

// One exported file of the report, its numbers as the runtime measured them on this computer.
// A number that could not be measured is empty (why: not_measured).
struct QuantVariant {
  std::string type;  // "f32", ...
  std::string file;  // project-relative
  uint64_t bytes = 0;
  double bits_per_weight = 0;
  std::optional<double> perplexity;           // on the validation text
  std::optional<double> accuracy;             // 0..1 on the test split
  std::optional<double> mean_latency_ms;      // per test example (its prompt, then the answer)
  std::optional<double> prompt_tokens_per_s;  // prompt processing
  std::optional<double> gen_tokens_per_s;     // generation
  std::optional<double> peak_rss_mib;         // the bench's peak resident memory
  // Against F32 (empty without an F32 file): ratios, accuracy in percentage points.
  std::optional<double> size_vs_f32, perplexity_vs_f32, accuracy_points_vs_f32;
  std::optional<double> prompt_speed_vs_f32, gen_speed_vs_f32;
  std::map<std::string, std::string> not_measured;  // "accuracy" -> why
};

struct QuantReport {
  std::string run;                     // "ft1"
  std::string measured;                // ISO 8601 UTC
  std::string where;                   // "this computer, tinyllm-run (the edge runtime)"
  std::vector<QuantVariant> variants;  // F32 first
};

std::filesystem::path quantization_report_path(const project::Project& project,
                                               const std::string& run);
// The report file; errors name the file and the field.
Result<QuantReport> read_quantization_report(const std::filesystem::path& file);
Result<QuantReport> quantization_report_from_json(const nlohmann::json& j,
                                                  const std::string& where);

// The fine-tuned runs recorded in the project ("ft1", ...), oldest first.
std::vector<std::string> finetuned_runs(const project::Project& project);
// Whether the recorded export of run/type no longer matches: its file is gone, or the checkpoint,
// tokenizer or prepared data changed since. False when it was never recorded.
bool export_is_stale(const project::Project& project, const std::string& run,
                     const std::string& type);

// A Raspberry Pi memory budget to recommend a variant for.
struct PiBudget {
  const char* name;  // "Raspberry Pi 3 (1 GB)"
  uint64_t ram_bytes;
};
// Pi Zero 2 W (512 MB), Pi 3 (1 GB), Pi 4 / 5 (2-8 GB, counted as 2 GB so that it fits on all).
const std::vector<PiBudget>& pi_budgets();

// The memory a variant needs while it runs: the peak resident memory the bench measured, or the
// file size when there is none (the runtime reads the whole file into memory).
uint64_t memory_needed(const QuantVariant& variant);
// The rule, written once: among the variants that need at most about half the RAM (the other
// half is the system's), the best test accuracy; equal accuracy (or none measured) goes to the
// smaller file. Empty when none fits.
std::optional<size_t> recommended_variant(const std::vector<QuantVariant>& variants,
                                          uint64_t ram_bytes);

}  // namespace tinyllm::pipeline
