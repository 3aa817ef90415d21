// Every fine-tuned run of a project side by side, as the paper compares models: parameters,
// tokens per example, test accuracy and macro-F1 beside the baselines, training time, and the
// size and latency of each exported (quantized) file. Read from what is on disk: the evaluation
// reports (reports/<name>/report.json) and the quantization reports
// (reports/quantization-<run>.json). `tinyllm eval` writes it into a report's "runs"; the
// Fine-tune page's Compare runs tab shows it.
// Does not: evaluate or measure anything.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/report.h"
#include "project/project.h"

namespace tinyllm::pipeline {

struct RunComparison {
  // One per evaluated run, in run order (ft1, ft2, ..., ft10). A run evaluated several times
  // (another decoding, folds) is shown by its newest report on the test split.
  std::vector<eval::RunSummary> runs;
  // The baselines of the newest of those reports ([{name, k (knn), accuracy, macro_f1}]): the
  // runs are measured against them (the same test split, unless the data changed since).
  nlohmann::json baselines = nlohmann::json::array();
};

// One run's row from its evaluation report (a classification report with a model); train time
// from the report's "train_seconds", no exported files.
eval::RunSummary run_summary(const nlohmann::json& report);

// The comparison of `project`'s runs. Only classification reports count (a position task's runs
// are compared by their error in metres on their own reports). `fresh`, when given, is a report
// just built and not yet written: it counts as its run's newest report.
RunComparison compare_runs(const project::Project& project, const nlohmann::json* fresh = nullptr);

}  // namespace tinyllm::pipeline
