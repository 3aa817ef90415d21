// Picking the next token from logits: greedy, or temperature with top-k and top-p (nucleus)
// from a seeded generator, so that a seed gives the same text on every platform.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/random.h"

namespace tinyllm::infer {

struct SamplerSettings {
  float temperature = 0.0f;  // <= 0: greedy (argmax)
  int top_k = 0;             // <= 0: all tokens
  float top_p = 1.0f;        // >= 1: no nucleus cut
  uint64_t seed = 0;
};

class Sampler {
 public:
  explicit Sampler(SamplerSettings settings) : settings_(settings), random_(settings.seed) {}
  int32_t sample(const float* logits, size_t n_vocab);

 private:
  SamplerSettings settings_;
  SplitMix64 random_;
};

// The index of the largest value (the first one on ties).
int32_t argmax(const float* values, size_t n);

}  // namespace tinyllm::infer
