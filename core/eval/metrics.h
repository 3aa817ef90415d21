// Metrics of one set of predictions against the truth.
//
// Classification: accuracy, macro-F1, per-class precision / recall / F1 / support and the
// confusion matrix, from class indices (a predicted index of -1 is an unparseable answer: wrong,
// counted apart, and in no column of the confusion matrix). Position: mean / median / p90 error
// in metres, the unparseable count and the error CDF. Definitions: docs/evaluation.md.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"
#include "eval/examples.h"

namespace tinyllm::eval {

struct ClassMetrics {
  std::string label;
  double precision = 0;   // correct / predicted as this class; 0 when never predicted
  double recall = 0;      // correct / support; 0 when no support
  double f1 = 0;          // harmonic mean of the two; 0 when both are 0
  int64_t support = 0;    // true examples of this class
  int64_t predicted = 0;  // examples predicted as this class
};

struct ClassificationMetrics {
  int64_t examples = 0;
  double accuracy = 0;  // correct / examples (unparseable answers are wrong)
  // Mean F1 over the classes that have support or were predicted at least once: a class absent
  // from both the split and the predictions says nothing about the model and is left out.
  double macro_f1 = 0;
  std::vector<ClassMetrics> per_class;
  std::vector<std::vector<int64_t>> confusion;  // [true][predicted]
  int64_t unparseable = 0;                      // predictions of -1
};

// `truth` and `predicted` are per example class indices into `classes` (predicted may be -1).
// Errors: different lengths, an index out of range.
Result<ClassificationMetrics> classification_metrics(const std::vector<int>& truth,
                                                     const std::vector<int>& predicted,
                                                     const std::vector<std::string>& classes);

struct PositionMetrics {
  int64_t examples = 0;
  // Over the parseable predictions; NaN (null in JSON) when there is none.
  double mean_m = 0;
  double median_m = 0;  // average of the two middle errors when the count is even
  double p90_m = 0;     // linear interpolation between ranks (numpy's default percentile)
  int64_t unparseable = 0;
  // (error in metres, fraction of ALL examples within it), errors ascending; an unparseable
  // prediction is never within any distance, so the curve ends at (examples - unparseable) /
  // examples. At most ~200 points (evenly thinned; the last point always kept).
  std::vector<std::pair<double, double>> cdf;
};

// `predicted[i]` is nullopt when the answer could not be parsed. Error: different lengths.
Result<PositionMetrics> position_metrics(const std::vector<Point>& truth,
                                         const std::vector<std::optional<Point>>& predicted);

// Euclidean distance in metres.
double distance_m(const Point& a, const Point& b);

// Linear-interpolation percentile (q in [0, 1]) of `values` (sorted here); NaN when empty.
double percentile(std::vector<double> values, double q);

nlohmann::json to_json(const ClassMetrics& m);
// Keys: examples, accuracy, macro_f1, per_class, confusion, unparseable.
nlohmann::json to_json(const ClassificationMetrics& m);
// Keys: examples, mean_m, median_m, p90_m, unparseable, cdf ([[m, fraction], ...]).
nlohmann::json to_json(const PositionMetrics& m);

}  // namespace tinyllm::eval
