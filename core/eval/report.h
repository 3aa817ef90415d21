// The evaluation report: one JSON document (read by the CLI's table and the GUI's Fine-tune page)
// and one self-contained HTML page rendered from it (no network: every plot is inline SVG).
//
// JSON keys (version 1; docs/evaluation.md describes each):
//   version, task, kind ("classification" | "position"), decoding ("constrained" | "free"),
//   max_tokens (free decoding), split, split_by, checkpoint, run_id, created, classes, examples,
//   model     {name, accuracy, macro_f1, per_class, confusion, unparseable, examples,
//              prompt_tokens {mean, p95, max}, latency_ms {mean, p50, p95}, params,
//              no_label, several_labels (free decoding: unparseable = no_label + several_labels)}
//   baselines [{name, k (knn), accuracy, macro_f1, per_class, confusion, unparseable, examples}]
//   position  {model {mean_m, median_m, p90_m, unparseable, cdf}, baselines [{name, ...}]}
//             (position tasks; their "model" and "baselines" then carry no class metrics)
//   mistakes  [{index, label, predicted, scores {label: score}, series, subject, start, rows,
//               input, margin | error_m, output (free decoding)}]
//   folds     [{fold, test_subjects, test_recordings, model {accuracy, macro_f1}, baselines {name:
//   {...}}}] folds_summary {model {mean, min, max, macro_f1_mean}, <baseline> {...}}   (when folds)
//   runs      [{run_id, params, tokens_per_example, accuracy, macro_f1, train_seconds, decoding,
//               variants [{type, bytes, accuracy, mean_latency_ms}]}]
#pragma once

#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "eval/baselines.h"
#include "eval/examples.h"
#include "eval/folds.h"
#include "eval/free_answer.h"
#include "eval/metrics.h"

namespace tinyllm::eval {

enum class TaskKind { classification, position };
const char* kind_name(TaskKind kind);

// How the model's answers were made: scored over the answer set (a prediction is always a
// label), or generated freely and scored with the paper's rule (free_answer.h).
enum class Decoding { constrained, free };
const char* decoding_name(Decoding decoding);  // "constrained", "free"

// What the model answered on each example of the evaluated split (same order as the examples).
struct ModelPredictions {
  std::string name = "model";
  std::vector<int> predicted;  // classification: class index per example, -1 = unparseable
  // Per example, per class: log-probability of the class's whole answer (end marker included).
  // May be empty (free decoding); then mistakes are listed in example order.
  std::vector<std::vector<double>> scores;
  std::vector<std::optional<Point>> positions;  // position tasks: nullopt = unparseable
  std::vector<int64_t> prompt_tokens;           // per example; may be empty
  std::vector<double> latency_ms;               // per example; may be empty
  int64_t params = 0;
  Decoding decoding = Decoding::constrained;
  // Free decoding (classification only): the generated answer per example, end marker cut off;
  // `predicted` must be what score_free_answer makes of each (free_predictions below).
  std::vector<std::string> outputs;
  int max_tokens = 0;  // free decoding: the most tokens generated per answer
};

// The prediction of every free output by the paper's rule (-1: no label or several labels), and
// how many outputs fell in each of those two.
std::vector<int> free_predictions(const std::vector<std::string>& outputs,
                                  const std::vector<std::string>& classes,
                                  FreeCounts* counts = nullptr);

// Accuracy and macro-F1 of one model or baseline on one fold.
struct FoldScores {
  double accuracy = 0;
  double macro_f1 = 0;
};
FoldScores fold_scores(const ClassificationMetrics& metrics);

struct FoldResult {
  int fold = 0;
  std::vector<std::string> test_subjects;
  FoldScores model;
  std::vector<std::pair<std::string, FoldScores>> baselines;  // (name, scores)
  std::vector<std::string> test_recordings;                   // of unknown people (folds.h)
};

// Every baseline fitted on each fold's train examples and scored on its test examples (`pooled`
// holds all examples, indexed by the folds). `model` is left zero for the caller, which
// fine-tunes and scores the model on the same folds.
Result<std::vector<FoldResult>> fold_baselines(const std::vector<EvalExample>& pooled,
                                               const std::vector<Fold>& folds,
                                               const std::vector<std::string>& classes,
                                               const BaselineOptions& options = {});

// One exported (quantized) file of a run, for the comparison: its size and what one example
// costs with it on this computer (the runtime's measurement; NaN when not measured).
struct VariantSummary {
  std::string type;  // "f32", "f16", "q8_0", "q4_0"
  uint64_t bytes = 0;
  double accuracy = 0;         // on the test split, by the runtime; NaN when not measured
  double mean_latency_ms = 0;  // per example, by the runtime; NaN when not measured
};

// One fine-tuned run of the project, for the comparison table and scatter plot.
struct RunSummary {
  std::string run_id;
  int64_t params = 0;
  double tokens_per_example = 0;
  double accuracy = 0;
  double macro_f1 = 0;
  double train_seconds = 0;
  std::string decoding = "constrained";
  std::vector<VariantSummary> variants;  // where the run was exported
};

// The report's "runs" list.
nlohmann::json runs_to_json(const std::vector<RunSummary>& runs);

struct ReportInput {
  std::string task;  // the task template, e.g. "gesture"
  TaskKind kind = TaskKind::classification;
  std::string split = "test";
  std::string split_by;  // "subject", "series", "row"...
  std::string checkpoint;
  std::string run_id;
  std::string created;               // ISO time; empty = now
  std::vector<std::string> classes;  // classification: the answer set, in score order
  ModelPredictions model;
  std::vector<BaselinePredictions> baselines;
  std::vector<FoldResult> folds;  // optional
  std::vector<RunSummary> runs;   // optional
  size_t max_mistakes = 20;
  size_t max_input_chars = 300;  // a mistake's "input": the prompt, cut at about this length
};

// The report's JSON. `examples` are the evaluated split's examples (truth, inputs, windows).
// Errors: a prediction list of the wrong length, a label not among the classes, a position
// example without a target.
Result<nlohmann::json> build_report(const ReportInput& input,
                                    const std::vector<EvalExample>& examples);

// The HTML page of a report built by build_report; `examples` give the mistakes' windows (an
// index outside them is drawn without a plot). All text is HTML-escaped.
std::string render_report_html(const nlohmann::json& report,
                               const std::vector<EvalExample>& examples);

// Writes <dir>/<stem>.json and <dir>/<stem>.html, each atomically (the folder is created).
Status write_report(const std::filesystem::path& dir, const std::string& stem,
                    const nlohmann::json& report, const std::string& html);

// `text` with & < > " ' escaped for HTML text and attribute values.
std::string html_escape(const std::string& text);
// `text` cut to at most about `max_chars` bytes on a UTF-8 boundary, "…" appended when cut.
std::string truncate_utf8(const std::string& text, size_t max_chars);

}  // namespace tinyllm::eval
