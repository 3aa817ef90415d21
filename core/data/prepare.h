// Preparing training text from imported series: unit conversion, resampling, windows, splits
// (grouped, stratified, seeded), normalization (statistics from the training split only) and
// serialization into a pre-training corpus and task examples.
//
// Output folder (each file written atomically, all committed together at the end):
//   pretrain_train.jsonl, pretrain_val.jsonl   {"text": document, "split", "series", "subject"}
//   task_train.jsonl, task_val.jsonl, task_test.jsonl
//                      {"prompt", "response", "label", "split", "series", "subject", "start",
//                       "rows"}: the window is rows [start, start + rows) of the series after
//                       resampling
//   task_train.windows.bin, ...   each example's readings, in line order (windows_file.h): what
//                      baselines, augmentation and the mistakes view start from
//   prepared.json      settings, classes, split of every group, normalization, counts per split
//                      and class, text length distributions
// Test windows never enter the pre-training corpus.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "data/importer.h"
#include "data/split.h"
#include "data/window.h"
#include "settings/settings.h"

namespace tinyllm::data {

struct PrepareSettings {
  std::string task;              // task template id; empty: "gesture" (IMU) / "zone" (RSSI)
  std::string style = "levels";  // text style id (docs/text-forms.md: chosen by measurement)
  double resample_hz = 0;        // 0: keep the source rate
  double window_s = 2.56;        // window length in seconds (IMU)
  double stride_s = 1.28;        // step between windows
  double min_window_s = 0.5;     // shorter runs are dropped
  LabelPolicy label_policy = LabelPolicy::segments;
  bool si_units = false;           // convert g/mg/deg/s to m/s^2 and rad/s
  std::string normalize = "none";  // "none" or "zscore" (training-split statistics)
  int decimals = -1;               // digits after the point; -1: chosen per unit
  int rssi_top_k = 16;             // strongest access points per fingerprint
  int levels = 25;                 // letters on the scale of the "levels" style
  double level_span = 2.5;         // the scale spans +- this many standard deviations
  SplitSettings split;
  // Sources held out whole as the test set (e.g. UJIIndoorLoc's validation file): their windows
  // are all test, and the split fractions apply to the other sources.
  std::vector<std::string> test_sources;
  std::vector<std::string> text_files;  // plain text added to the pre-training corpus (train)
};

// The table of prepare settings bound to `settings` (ranges, choices, help); must not outlive it.
settings::Table settings_table(PrepareSettings& settings);
// Reads settings from JSON through the table: unknown keys, wrong types and out-of-range values
// are errors naming the key; split fractions must add up to 1.
Result<PrepareSettings> prepare_settings_from_json(const nlohmann::json& json);
// Applies one "key=value" (as --set gives it), parsed as the key's type.
Status apply_prepare_override(PrepareSettings& settings, const std::string& assignment);
Status check_split_fractions(const SplitSettings& split);
nlohmann::json to_json(const PrepareSettings& settings);

struct PrepareInput {
  std::string source_id;
  std::filesystem::path store;
};

struct LengthStats {
  uint64_t count = 0;
  double mean = 0, p50 = 0, p95 = 0, max = 0;
};
LengthStats length_stats(std::vector<double> values);
nlohmann::json to_json(const LengthStats& stats);

struct PrepareResult {
  nlohmann::json summary;          // what prepared.json holds
  std::string first_task_example;  // prompt + response of the first training example
  std::string first_document;      // first pre-training document
};

Result<PrepareResult> prepare_dataset(const PluginRegistry& registry,
                                      const std::vector<PrepareInput>& inputs,
                                      const PrepareSettings& settings,
                                      const std::filesystem::path& out_dir);

}  // namespace tinyllm::data
