// Text generation from a trained model, and the machine's matmul peak for the MFU figure.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "train/gpt2.h"

namespace tinyllm::train {

struct SampleSettings {
  int tokens = 64;           // new tokens to generate
  double temperature = 1.0;  // 0: greedy
  int top_k = 40;            // 0: the whole vocabulary
  uint64_t seed = 0;         // the draw is a pure function of the seed
};

// Appends up to settings.tokens sampled ids to `prompt` (non-empty) and returns the new ids only.
// The window slides when the context is full. Uses its own RNG, never torch's global one, so
// sampling during training does not change the training run.
std::vector<int32_t> generate(const Gpt2& model, const std::vector<int32_t>& prompt,
                              const SampleSettings& settings);

// Sustained fp32 matmul FLOP/s on `device` with the current thread count (about 0.3 s of work).
double measure_matmul_flops(torch::Device device);

}  // namespace tinyllm::train
