#include "eval/metrics.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace tinyllm::eval {
namespace {

constexpr size_t kMaxCdfPoints = 200;

double ratio(int64_t a, int64_t b) {
  return b == 0 ? 0.0 : double(a) / double(b);
}

// NaN as JSON null (nlohmann writes NaN as null too, but say it where it is meant).
nlohmann::json number_or_null(double v) {
  return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

}  // namespace

Result<ClassificationMetrics> classification_metrics(const std::vector<int>& truth,
                                                     const std::vector<int>& predicted,
                                                     const std::vector<std::string>& classes) {
  if (truth.size() != predicted.size())
    return make_error("metrics", std::to_string(truth.size()) + " true labels but " +
                                     std::to_string(predicted.size()) + " predictions");
  const int n_classes = int(classes.size());
  ClassificationMetrics m;
  m.examples = int64_t(truth.size());
  m.confusion.assign(classes.size(), std::vector<int64_t>(classes.size(), 0));
  int64_t correct = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] < 0 || truth[i] >= n_classes)
      return make_error("metrics: example " + std::to_string(i),
                        "true class index " + std::to_string(truth[i]) + " is not one of the " +
                            std::to_string(n_classes) + " classes");
    if (predicted[i] < -1 || predicted[i] >= n_classes)
      return make_error("metrics: example " + std::to_string(i),
                        "predicted class index " + std::to_string(predicted[i]) +
                            " is not one of the " + std::to_string(n_classes) + " classes");
    if (predicted[i] == -1) {
      ++m.unparseable;
      continue;
    }
    ++m.confusion[truth[i]][predicted[i]];
    if (truth[i] == predicted[i]) ++correct;
  }
  m.accuracy = ratio(correct, m.examples);
  double f1_sum = 0;
  int counted = 0;
  for (int c = 0; c < n_classes; ++c) {
    ClassMetrics cm;
    cm.label = classes[c];
    for (int t = 0; t < n_classes; ++t)
      cm.predicted += m.confusion[t][c];
    cm.support = std::count(truth.begin(), truth.end(), c);
    const int64_t hits = m.confusion[c][c];
    cm.precision = ratio(hits, cm.predicted);
    cm.recall = ratio(hits, cm.support);
    const double sum = cm.precision + cm.recall;
    cm.f1 = sum > 0 ? 2 * cm.precision * cm.recall / sum : 0.0;
    if (cm.support > 0 || cm.predicted > 0) {
      f1_sum += cm.f1;
      ++counted;
    }
    m.per_class.push_back(std::move(cm));
  }
  m.macro_f1 = counted > 0 ? f1_sum / counted : 0.0;
  return m;
}

double distance_m(const Point& a, const Point& b) {
  return std::hypot(a.x - b.x, a.y - b.y);
}

double percentile(std::vector<double> values, double q) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(q, 0.0, 1.0) * double(values.size() - 1);
  const size_t lo = size_t(std::floor(rank));
  const size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (rank - double(lo)) * (values[hi] - values[lo]);
}

Result<PositionMetrics> position_metrics(const std::vector<Point>& truth,
                                         const std::vector<std::optional<Point>>& predicted) {
  if (truth.size() != predicted.size())
    return make_error("metrics", std::to_string(truth.size()) + " true positions but " +
                                     std::to_string(predicted.size()) + " predictions");
  PositionMetrics m;
  m.examples = int64_t(truth.size());
  std::vector<double> errors;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (!predicted[i]) {
      ++m.unparseable;
      continue;
    }
    errors.push_back(distance_m(truth[i], *predicted[i]));
  }
  std::sort(errors.begin(), errors.end());
  const double nan = std::numeric_limits<double>::quiet_NaN();
  m.mean_m = errors.empty()
                 ? nan
                 : std::accumulate(errors.begin(), errors.end(), 0.0) / double(errors.size());
  m.median_m = percentile(errors, 0.5);
  m.p90_m = percentile(errors, 0.9);
  const size_t step = errors.size() <= kMaxCdfPoints ? 1 : errors.size() / kMaxCdfPoints + 1;
  for (size_t i = 0; i < errors.size(); ++i) {
    // Of a run of equal errors only the last point is a CDF value.
    const bool last_of_run = i + 1 == errors.size() || errors[i + 1] != errors[i];
    const bool kept = (i + 1) % step == 0 || i + 1 == errors.size();
    if (last_of_run && kept) m.cdf.emplace_back(errors[i], ratio(int64_t(i + 1), m.examples));
  }
  return m;
}

nlohmann::json to_json(const ClassMetrics& m) {
  return {{"label", m.label}, {"precision", m.precision}, {"recall", m.recall},
          {"f1", m.f1},       {"support", m.support},     {"predicted", m.predicted}};
}

nlohmann::json to_json(const ClassificationMetrics& m) {
  nlohmann::json per_class = nlohmann::json::array();
  for (const auto& c : m.per_class)
    per_class.push_back(to_json(c));
  return {{"examples", m.examples}, {"accuracy", m.accuracy},   {"macro_f1", m.macro_f1},
          {"per_class", per_class}, {"confusion", m.confusion}, {"unparseable", m.unparseable}};
}

nlohmann::json to_json(const PositionMetrics& m) {
  nlohmann::json cdf = nlohmann::json::array();
  for (const auto& [metres, fraction] : m.cdf)
    cdf.push_back({metres, fraction});
  return {{"examples", m.examples},
          {"mean_m", number_or_null(m.mean_m)},
          {"median_m", number_or_null(m.median_m)},
          {"p90_m", number_or_null(m.p90_m)},
          {"unparseable", m.unparseable},
          {"cdf", cdf}};
}

}  // namespace tinyllm::eval
