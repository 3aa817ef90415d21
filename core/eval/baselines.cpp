#include "eval/baselines.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

namespace tinyllm::eval {
namespace {

bool all_one_row(const ExampleRefs& examples) {
  return std::all_of(examples.begin(), examples.end(),
                     [](const EvalExample* ex) { return ex->window_rows == 1; });
}

// Rows n x dim of `make(example)` for every example.
template <class Make>
Result<std::vector<float>> matrix_of(const ExampleRefs& examples, size_t dim, Make make) {
  std::vector<float> rows;
  rows.reserve(examples.size() * dim);
  for (const EvalExample* ex : examples) {
    TINYLLM_TRY_ASSIGN(row, make(*ex));
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return rows;
}

Result<std::vector<int>> train_labels(const ExampleRefs& train,
                                      const std::vector<std::string>& classes) {
  std::vector<int> labels;
  labels.reserve(train.size());
  for (const EvalExample* ex : train) {
    const int c = class_index(classes, ex->label);
    if (c < 0)
      return make_error("train example " + example_name(*ex),
                        "label '" + ex->label + "' is not one of the task's " +
                            std::to_string(classes.size()) + " classes");
    labels.push_back(c);
  }
  return labels;
}

// Squared Euclidean distance with independent partial sums, so that the compiler can vectorize
// the loop without reassociating one float sum (kNN spends nearly all its time here).
float squared_distance(const float* a, const float* b, size_t dim) {
  constexpr size_t kLanes = 8;
  float partial[kLanes] = {};
  size_t j = 0;
  for (; j + kLanes <= dim; j += kLanes)
    for (size_t u = 0; u < kLanes; ++u) {
      const float d = a[j + u] - b[j + u];
      partial[u] += d * d;
    }
  float sum = 0;
  for (; j < dim; ++j)
    sum += (a[j] - b[j]) * (a[j] - b[j]);
  for (float p : partial)
    sum += p;
  return sum;
}

// Fitted vectorizer and standardizer, and the standardized train matrix, for k-NN.
struct KnnSpace {
  WindowVectorizer vectorizer;
  Standardizer standardizer;
  std::vector<float> train;  // n x dim
  size_t dim = 0;
};

Result<KnnSpace> fit_knn_space(const ExampleRefs& train, const BaselineOptions& options) {
  TINYLLM_TRY_ASSIGN(vectorizer, WindowVectorizer::fit(train, options));
  const size_t dim = vectorizer.size();
  TINYLLM_TRY_ASSIGN(
      rows, matrix_of(train, dim, [&](const EvalExample& ex) { return vectorizer.raw(ex); }));
  Standardizer standardizer = Standardizer::fit(rows, dim);
  standardizer.apply(rows);
  return KnnSpace{std::move(vectorizer), std::move(standardizer), std::move(rows), dim};
}

// The standardized raw vector of a test example.
Result<std::vector<float>> knn_query(const KnnSpace& space, const EvalExample& ex) {
  TINYLLM_TRY_ASSIGN(row, space.vectorizer.raw(ex));
  space.standardizer.apply(row);
  return row;
}

}  // namespace

// ---- WindowVectorizer ----

Result<WindowVectorizer> WindowVectorizer::fit(const ExampleRefs& train,
                                               const BaselineOptions& options) {
  if (train.empty()) return make_error("baselines", "the train split has no examples");
  if (options.resample_rows < 1) return make_error("baselines", "resample_rows must be at least 1");
  WindowVectorizer v;
  v.channels_ = train.front()->channels;
  v.fingerprint_ = all_one_row(train);
  v.resample_rows_ = options.resample_rows;
  float lowest = std::numeric_limits<float>::infinity();
  for (const EvalExample* ex : train) {
    if (ex->channels != v.channels_)
      return make_error("train example " + example_name(*ex),
                        "window has " + std::to_string(ex->channels) + " channels, expected " +
                            std::to_string(v.channels_));
    if (v.fingerprint_)
      for (float value : ex->window)
        if (!std::isnan(value)) lowest = std::min(lowest, value);
  }
  if (v.fingerprint_)
    v.floor_ = float((std::isfinite(lowest) ? lowest : 0.0f) - options.missing_margin);
  return v;
}

size_t WindowVectorizer::size() const {
  return fingerprint_ ? channels_ : size_t(resample_rows_) * channels_;
}

Result<std::vector<float>> WindowVectorizer::raw(const EvalExample& ex) const {
  const std::string where = "example " + example_name(ex);
  if (ex.channels != channels_)
    return make_error(where, "window has " + std::to_string(ex.channels) +
                                 " channels, the train windows " + std::to_string(channels_));
  if (ex.window.size() != size_t(ex.window_rows) * ex.channels)
    return make_error(where, "window holds " + std::to_string(ex.window.size()) +
                                 " values, expected rows x channels");
  if (fingerprint_) {
    if (ex.window_rows != 1)
      return make_error(where, "window has " + std::to_string(ex.window_rows) +
                                   " rows; the train windows are fingerprints of 1 row");
    std::vector<float> out(ex.window);
    for (float& value : out)
      if (std::isnan(value)) value = floor_;
    return out;
  }
  if (ex.window_rows == 0) return make_error(where, "window has no rows");
  // Linear interpolation of each channel at resample_rows_ evenly spaced times; a missing
  // reading counts as 0 (the mean in z-scored units).
  const size_t rows = ex.window_rows, target = size_t(resample_rows_);
  auto at = [&](size_t r, size_t c) {
    const float v = ex.window[r * channels_ + c];
    return std::isnan(v) ? 0.0f : v;
  };
  std::vector<float> out(target * channels_);
  for (size_t t = 0; t < target; ++t) {
    const double pos = target == 1 ? 0.0 : double(t) * double(rows - 1) / double(target - 1);
    const size_t lo = std::min(size_t(pos), rows - 1);
    const size_t hi = std::min(lo + 1, rows - 1);
    const float frac = float(pos - double(lo));
    for (size_t c = 0; c < channels_; ++c)
      out[t * channels_ + c] = at(lo, c) * (1 - frac) + at(hi, c) * frac;
  }
  return out;
}

Result<std::vector<float>> WindowVectorizer::features(const EvalExample& ex) const {
  TINYLLM_TRY_ASSIGN(out, raw(ex));
  if (fingerprint_) return out;
  for (size_t c = 0; c < channels_; ++c) {
    double sum = 0, squares = 0, lo = std::numeric_limits<double>::infinity(), hi = -lo;
    size_t n = 0;
    for (size_t r = 0; r < ex.window_rows; ++r) {
      const float v = ex.window[r * channels_ + c];
      if (std::isnan(v)) continue;
      sum += v;
      squares += double(v) * v;
      lo = std::min(lo, double(v));
      hi = std::max(hi, double(v));
      ++n;
    }
    const double mean = n ? sum / double(n) : 0.0;
    const double energy = n ? squares / double(n) : 0.0;
    const double std_dev = std::sqrt(std::max(0.0, energy - mean * mean));
    for (double f : {mean, std_dev, n ? lo : 0.0, n ? hi : 0.0, energy})
      out.push_back(float(f));
  }
  return out;
}

// ---- Standardizer ----

Standardizer Standardizer::fit(const std::vector<float>& rows, size_t dim) {
  Standardizer s;
  const size_t n = dim ? rows.size() / dim : 0;
  std::vector<double> sum(dim, 0.0), squares(dim, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < dim; ++j) {
      const double v = rows[i * dim + j];
      sum[j] += v;
      squares[j] += v * v;
    }
  s.mean_.resize(dim);
  s.inv_std_.resize(dim);
  for (size_t j = 0; j < dim; ++j) {
    const double mean = n ? sum[j] / double(n) : 0.0;
    const double var = n ? std::max(0.0, squares[j] / double(n) - mean * mean) : 0.0;
    const double std_dev = std::sqrt(var);
    s.mean_[j] = float(mean);
    s.inv_std_[j] = std_dev > 1e-9 ? float(1.0 / std_dev) : 1.0f;
  }
  return s;
}

void Standardizer::apply(std::vector<float>& rows) const {
  const size_t dim = mean_.size();
  if (dim == 0) return;
  for (size_t i = 0; i < rows.size(); ++i)
    rows[i] = (rows[i] - mean_[i % dim]) * inv_std_[i % dim];
}

// ---- k-NN ----

std::vector<size_t> nearest(const std::vector<float>& train, size_t dim, const float* query,
                            int k) {
  const size_t n = dim ? train.size() / dim : 0;
  const size_t keep = std::min(n, size_t(std::max(k, 1)));
  std::vector<std::pair<float, size_t>> best;  // sorted ascending, at most `keep`
  best.reserve(keep + 1);
  for (size_t i = 0; i < n; ++i) {
    const float d = squared_distance(train.data() + i * dim, query, dim);
    if (best.size() == keep && !(d < best.back().first)) continue;  // ties keep the lower index
    auto pos = std::upper_bound(best.begin(), best.end(), std::make_pair(d, i));
    best.insert(pos, {d, i});
    if (best.size() > keep) best.pop_back();
  }
  std::vector<size_t> out;
  out.reserve(best.size());
  for (const auto& entry : best)
    out.push_back(entry.second);
  return out;
}

// ---- Logistic regression ----

LogisticRegression LogisticRegression::fit(const std::vector<float>& x, size_t dim,
                                           const std::vector<int>& y, int classes,
                                           const BaselineOptions& options) {
  LogisticRegression model;
  model.dim_ = dim;
  model.classes_ = classes;
  const size_t n = y.size(), nc = size_t(classes);
  // Weights are dim x classes so that the inner loops run over classes without a reduction.
  model.weights_.assign(dim * nc, 0.0);
  model.bias_.assign(nc, 0.0);
  if (n == 0 || nc == 0) return model;
  std::vector<double> grad_w(dim * nc), grad_b(nc), m_w(dim * nc, 0.0), v_w(dim * nc, 0.0),
      m_b(nc, 0.0), v_b(nc, 0.0), residual(nc);
  std::vector<size_t> order(n);
  for (size_t i = 0; i < n; ++i)
    order[i] = i;
  // Fisher-Yates with the engine's raw output: the same order on every standard library.
  std::mt19937_64 rng(options.seed);
  const size_t batch = size_t(std::max(options.logistic_batch, 1));
  const double beta1 = 0.9, beta2 = 0.999, eps = 1e-8, lr = options.logistic_learning_rate;
  int64_t step = 0;
  for (int epoch = 0; epoch < options.logistic_epochs; ++epoch) {
    for (size_t i = n - 1; i > 0; --i)
      std::swap(order[i], order[size_t(rng() % (i + 1))]);
    for (size_t first = 0; first < n; first += batch) {
      const size_t last = std::min(n, first + batch);
      std::fill(grad_w.begin(), grad_w.end(), 0.0);
      std::fill(grad_b.begin(), grad_b.end(), 0.0);
      for (size_t b = first; b < last; ++b) {
        const size_t i = order[b];
        const float* row = x.data() + i * dim;
        const std::vector<double> p = model.log_probabilities(row);
        for (size_t c = 0; c < nc; ++c)
          residual[c] = std::exp(p[c]) - (int(c) == y[i] ? 1.0 : 0.0);
        for (size_t j = 0; j < dim; ++j) {
          const double xj = row[j];
          double* g = grad_w.data() + j * nc;
          for (size_t c = 0; c < nc; ++c)
            g[c] += xj * residual[c];
        }
        for (size_t c = 0; c < nc; ++c)
          grad_b[c] += residual[c];
      }
      ++step;
      const double scale = 1.0 / double(last - first);
      const double correction1 = 1 - std::pow(beta1, double(step));
      const double correction2 = 1 - std::pow(beta2, double(step));
      auto adam = [&](double& param, double grad, double& m, double& v) {
        m = beta1 * m + (1 - beta1) * grad;
        v = beta2 * v + (1 - beta2) * grad * grad;
        param -= lr * (m / correction1) / (std::sqrt(v / correction2) + eps);
      };
      for (size_t k = 0; k < grad_w.size(); ++k)
        adam(model.weights_[k], grad_w[k] * scale + options.logistic_l2 * model.weights_[k], m_w[k],
             v_w[k]);
      for (size_t c = 0; c < nc; ++c)
        adam(model.bias_[c], grad_b[c] * scale, m_b[c], v_b[c]);
    }
  }
  return model;
}

std::vector<double> LogisticRegression::log_probabilities(const float* row) const {
  const size_t nc = size_t(classes_);
  std::vector<double> logits(bias_);
  for (size_t j = 0; j < dim_; ++j) {
    const double xj = row[j];
    const double* w = weights_.data() + j * nc;
    for (size_t c = 0; c < nc; ++c)
      logits[c] += w[c] * xj;
  }
  const double top = nc ? *std::max_element(logits.begin(), logits.end()) : 0.0;
  double total = 0;
  for (double l : logits)
    total += std::exp(l - top);
  const double log_total = top + std::log(total);
  for (double& l : logits)
    l -= log_total;
  return logits;
}

// ---- The baselines of a split ----

namespace {

int argmax(const std::vector<double>& values) {
  return int(std::max_element(values.begin(), values.end()) - values.begin());
}

BaselinePredictions majority_classifier(const std::vector<int>& labels, int classes,
                                        size_t test_count) {
  std::vector<double> counts(size_t(classes), 0.0);
  for (int c : labels)
    counts[size_t(c)] += 1;
  BaselinePredictions out;
  out.name = "majority";
  out.predicted.assign(test_count, argmax(counts));  // ties: the lower class index
  return out;
}

Result<BaselinePredictions> knn_classifier(const ExampleRefs& train, const std::vector<int>& labels,
                                           const ExampleRefs& test, int classes,
                                           const BaselineOptions& options) {
  TINYLLM_TRY_ASSIGN(space, fit_knn_space(train, options));
  BaselinePredictions out;
  out.name = "knn";
  out.k = options.k;
  for (const EvalExample* ex : test) {
    TINYLLM_TRY_ASSIGN(query, knn_query(space, *ex));
    const auto neighbours = nearest(space.train, space.dim, query.data(), options.k);
    // Votes as fractions of k; a tie goes to the class of the nearer neighbour.
    std::vector<double> votes(size_t(classes), 0.0);
    for (size_t i : neighbours)
      votes[size_t(labels[i])] += 1.0 / double(neighbours.size());
    int best = labels[neighbours.front()];
    for (size_t i : neighbours)
      if (votes[size_t(labels[i])] > votes[size_t(best)]) best = labels[i];
    out.predicted.push_back(best);
    out.scores.push_back(std::move(votes));
  }
  return out;
}

Result<BaselinePredictions> logistic_classifier(const ExampleRefs& train,
                                                const std::vector<int>& labels,
                                                const ExampleRefs& test, int classes,
                                                const BaselineOptions& options) {
  TINYLLM_TRY_ASSIGN(vectorizer, WindowVectorizer::fit(train, options));
  auto features = [&](const EvalExample& ex) { return vectorizer.features(ex); };
  TINYLLM_TRY_ASSIGN(first, vectorizer.features(*train.front()));
  const size_t dim = first.size();
  TINYLLM_TRY_ASSIGN(x, matrix_of(train, dim, features));
  const Standardizer standardizer = Standardizer::fit(x, dim);
  standardizer.apply(x);
  const LogisticRegression model = LogisticRegression::fit(x, dim, labels, classes, options);
  BaselinePredictions out;
  out.name = "logistic";
  for (const EvalExample* ex : test) {
    TINYLLM_TRY_ASSIGN(row, vectorizer.features(*ex));
    standardizer.apply(row);
    auto scores = model.log_probabilities(row.data());
    out.predicted.push_back(argmax(scores));
    out.scores.push_back(std::move(scores));
  }
  return out;
}

Result<std::vector<Point>> train_targets(const ExampleRefs& train) {
  std::vector<Point> targets;
  for (const EvalExample* ex : train) {
    if (!ex->target)
      return make_error("train example " + example_name(*ex),
                        "has no \"target\" position; a position task needs one on every example");
    targets.push_back(*ex->target);
  }
  return targets;
}

}  // namespace

Result<std::vector<BaselinePredictions>> classification_baselines(
    const ExampleRefs& train, const ExampleRefs& test, const std::vector<std::string>& classes,
    const BaselineOptions& options) {
  if (train.empty()) return make_error("baselines", "the train split has no examples");
  if (classes.empty()) return make_error("baselines", "the task has no classes");
  TINYLLM_TRY_ASSIGN(labels, train_labels(train, classes));
  const int n_classes = int(classes.size());
  std::vector<BaselinePredictions> out;
  out.push_back(majority_classifier(labels, n_classes, test.size()));
  TINYLLM_TRY_ASSIGN(knn, knn_classifier(train, labels, test, n_classes, options));
  out.push_back(std::move(knn));
  TINYLLM_TRY_ASSIGN(logistic, logistic_classifier(train, labels, test, n_classes, options));
  out.push_back(std::move(logistic));
  return out;
}

Result<std::vector<BaselinePredictions>> position_baselines(const ExampleRefs& train,
                                                            const ExampleRefs& test,
                                                            const BaselineOptions& options) {
  if (train.empty()) return make_error("baselines", "the train split has no examples");
  TINYLLM_TRY_ASSIGN(targets, train_targets(train));
  Point mean;
  for (const Point& p : targets) {
    mean.x += p.x / double(targets.size());
    mean.y += p.y / double(targets.size());
  }
  BaselinePredictions majority;
  majority.name = "majority";
  majority.positions.assign(test.size(), mean);

  TINYLLM_TRY_ASSIGN(space, fit_knn_space(train, options));
  BaselinePredictions knn;
  knn.name = "knn";
  knn.k = options.k;
  for (const EvalExample* ex : test) {
    TINYLLM_TRY_ASSIGN(query, knn_query(space, *ex));
    const auto neighbours = nearest(space.train, space.dim, query.data(), options.k);
    Point p;
    for (size_t i : neighbours) {
      p.x += targets[i].x / double(neighbours.size());
      p.y += targets[i].y / double(neighbours.size());
    }
    knn.positions.push_back(p);
  }
  std::vector<BaselinePredictions> out;
  out.push_back(std::move(majority));
  out.push_back(std::move(knn));
  return out;
}

}  // namespace tinyllm::eval
