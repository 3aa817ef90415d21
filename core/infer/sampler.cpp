#include "infer/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace tinyllm::infer {

int32_t argmax(const float* values, size_t n) {
  size_t best = 0;
  for (size_t i = 1; i < n; ++i)
    if (values[i] > values[best]) best = i;
  return int32_t(best);
}

int32_t Sampler::sample(const float* logits, size_t n_vocab) {
  if (settings_.temperature <= 0.0f || n_vocab == 0) return argmax(logits, n_vocab);
  // Candidates by falling logit (ties by id, so the order is deterministic).
  std::vector<int32_t> ids(n_vocab);
  std::iota(ids.begin(), ids.end(), 0);
  const size_t keep = settings_.top_k > 0 ? std::min(n_vocab, size_t(settings_.top_k)) : n_vocab;
  auto by_logit = [&](int32_t a, int32_t b) {
    return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
  };
  std::partial_sort(ids.begin(), ids.begin() + std::ptrdiff_t(keep), ids.end(), by_logit);
  ids.resize(keep);
  std::vector<double> p(keep);
  const double top = logits[ids[0]];
  double total = 0;
  for (size_t i = 0; i < keep; ++i)
    total += (p[i] = std::exp((double(logits[ids[i]]) - top) / settings_.temperature));
  size_t cut = keep;
  if (settings_.top_p < 1.0f) {  // the smallest prefix whose mass reaches top_p
    double mass = 0;
    for (size_t i = 0; i < keep; ++i) {
      mass += p[i] / total;
      if (mass >= double(settings_.top_p)) {
        cut = i + 1;
        break;
      }
    }
  }
  double kept = 0;
  for (size_t i = 0; i < cut; ++i)
    kept += p[i];
  double r = random_.uniform() * kept;
  for (size_t i = 0; i < cut; ++i) {
    r -= p[i];
    if (r < 0) return ids[i];
  }
  return ids[cut - 1];
}

}  // namespace tinyllm::infer
