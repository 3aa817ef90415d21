// Baselines that every evaluation shows beside the model, fitted on the train split and
// predicting another split's examples from their raw windows (never from the text):
//   majority   the most frequent train class (position: the mean train position)
//   knn        k nearest neighbours, Euclidean, on the raw windows z-scored with train statistics
//              (position: the mean of the k neighbours' targets)
//   logistic   multinomial logistic regression on window features (classification only)
// Windows come in two kinds, told apart by their shape: a fingerprint (every window 1 row, e.g.
// RSSI of C access points; a missing value becomes a floor of min(train values) - 10, i.e.
// -110 dBm when the train minimum is -100) and a sequence (IMU: R rows of C channels, R varying;
// resampled to a fixed number of rows by linear interpolation and flattened).
// Everything is deterministic: a fixed seed, no random initialisation, ties broken by the lower
// index.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "eval/examples.h"

namespace tinyllm::eval {

struct BaselineOptions {
  int k = 1;                   // neighbours of k-NN
  int resample_rows = 32;      // rows a sequence window is resampled to
  double missing_margin = 10;  // fingerprint floor = min(train values) - this
  // Logistic regression: mini-batch Adam from zero weights, the examples visited in an order
  // shuffled by a fixed seed (full batches took ~20 s at UJIIndoorLoc's size, 7,000 x 520).
  int logistic_epochs = 30;
  int logistic_batch = 128;
  double logistic_learning_rate = 0.01;
  double logistic_l2 = 1e-4;  // on the weights, not the biases
  uint64_t seed = 1234;
};

// Windows -> fixed-length raw vectors (fingerprint with the floor, or resampled sequence
// flattened), fitted on the train examples. Not z-scored: see Standardizer.
class WindowVectorizer {
 public:
  static Result<WindowVectorizer> fit(const ExampleRefs& train, const BaselineOptions& options);
  bool fingerprint() const { return fingerprint_; }
  uint32_t channels() const { return channels_; }
  size_t size() const;  // length of a vector
  // The raw vector of `example`; errors name the example (wrong channel count, no rows, a
  // sequence example among fingerprints or the other way round).
  Result<std::vector<float>> raw(const EvalExample& example) const;
  // `raw` plus, for sequences, per channel mean, std, min, max and energy (mean square) of the
  // window before resampling: the logistic regression's features.
  Result<std::vector<float>> features(const EvalExample& example) const;

 private:
  bool fingerprint_ = false;
  uint32_t channels_ = 0;
  int resample_rows_ = 32;
  float floor_ = 0;  // fingerprints: the value of a missing reading
};

// Per feature z-scoring with train mean and standard deviation (a constant feature keeps its
// offset removed and is not scaled).
class Standardizer {
 public:
  // `rows` is n x dim, row-major.
  static Standardizer fit(const std::vector<float>& rows, size_t dim);
  void apply(std::vector<float>& rows) const;  // in place, n x dim

 private:
  std::vector<float> mean_, inv_std_;
};

// The `k` nearest rows of `train` (n x dim) to `query` (dim), nearest first; equal distances
// keep the lower index first. Squared Euclidean distance; one pass, O(n) memory.
std::vector<size_t> nearest(const std::vector<float>& train, size_t dim, const float* query, int k);

// Predictions of one baseline on the evaluated split.
struct BaselinePredictions {
  std::string name;                             // "majority", "knn", "logistic"
  int k = 0;                                    // k-NN only
  std::vector<int> predicted;                   // classification: class index per example
  std::vector<std::vector<double>> scores;      // per example per class (log-probabilities or
                                                // log vote fractions); empty when none
  std::vector<std::optional<Point>> positions;  // position tasks: per example
};

// Majority, k-NN and logistic regression, fitted on `train` (labels looked up in `classes`; a
// train label not among them is an error) and predicting `test`.
Result<std::vector<BaselinePredictions>> classification_baselines(
    const ExampleRefs& train, const ExampleRefs& test, const std::vector<std::string>& classes,
    const BaselineOptions& options = {});

// Mean train position and k-NN regression; every train example needs a "target".
Result<std::vector<BaselinePredictions>> position_baselines(const ExampleRefs& train,
                                                            const ExampleRefs& test,
                                                            const BaselineOptions& options = {});

// Multinomial logistic regression (softmax, L2) on standardized features; exposed for tests.
class LogisticRegression {
 public:
  // `x` is n x dim row-major, `y` class indices in [0, classes).
  static LogisticRegression fit(const std::vector<float>& x, size_t dim, const std::vector<int>& y,
                                int classes, const BaselineOptions& options);
  // Log-probabilities of every class for one row.
  std::vector<double> log_probabilities(const float* row) const;

 private:
  size_t dim_ = 0;
  int classes_ = 0;
  std::vector<double> weights_;  // classes x dim
  std::vector<double> bias_;     // classes
};

}  // namespace tinyllm::eval
