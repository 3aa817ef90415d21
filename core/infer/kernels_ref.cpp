// Portable scalar kernels: the reference every SIMD set is tested against.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>
#include <vector>

#include "gguf/quant.h"
#include "infer/kernels.h"

namespace tinyllm::infer {
namespace {

void quantize_activations_ref(const float* x, size_t n, ActivationBlock* out) {
  for (size_t b = 0; b < n / kBlock; ++b) {
    const float* v = x + b * kBlock;
    float amax = 0;
    for (size_t j = 0; j < kBlock; ++j)
      amax = std::max(amax, std::fabs(v[j]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    out[b].d = d;
    for (size_t j = 0; j < kBlock; ++j)
      out[b].qs[j] = int8_t(std::lround(v[j] * id));
  }
}

float dot_f32_ref(const float* w, const float* x, size_t n) {
  float sum = 0;
  for (size_t i = 0; i < n; ++i)
    sum += w[i] * x[i];
  return sum;
}

float dot_f16_ref(const uint16_t* w, const float* x, size_t n) {
  float sum = 0;
  for (size_t i = 0; i < n; ++i)
    sum += gguf::fp16_to_fp32(w[i]) * x[i];
  return sum;
}

float scale_of(const uint8_t* block) {
  uint16_t bits;
  std::memcpy(&bits, block, 2);
  return gguf::fp16_to_fp32(bits);
}

float dot_q8_0_ref(const uint8_t* w, const ActivationBlock* x, size_t blocks) {
  float sum = 0;
  for (size_t b = 0; b < blocks; ++b, w += gguf::kQ8_0BlockBytes) {
    const int8_t* qs = reinterpret_cast<const int8_t*>(w + 2);
    int32_t isum = 0;
    for (size_t j = 0; j < kBlock; ++j)
      isum += int32_t(qs[j]) * int32_t(x[b].qs[j]);
    sum += scale_of(w) * x[b].d * float(isum);
  }
  return sum;
}

float dot_q4_0_ref(const uint8_t* w, const ActivationBlock* x, size_t blocks) {
  float sum = 0;
  for (size_t b = 0; b < blocks; ++b, w += gguf::kQ4_0BlockBytes) {
    const uint8_t* qs = w + 2;
    int32_t isum = 0;
    for (size_t j = 0; j < kBlock / 2; ++j) {
      isum += (int32_t(qs[j] & 15) - 8) * int32_t(x[b].qs[j]);
      isum += (int32_t(qs[j] >> 4) - 8) * int32_t(x[b].qs[j + kBlock / 2]);
    }
    sum += scale_of(w) * x[b].d * float(isum);
  }
  return sum;
}

#include "infer/attention_lanes.h"
using ScalarLanes = AttentionLanes<float, uint32_t>;
#include "infer/layer_norm_lanes.h"
using ScalarNorm = LayerNormLanes<float, double>;

// The matrix-matrix product as one dot product per (row, token): the definition the SIMD
// products must meet.
template <class Value, class Input, float (*dot)(const Value*, const Input*, size_t)>
void product_ref(const uint8_t* w, size_t row_bytes, size_t rows, const Input* x, size_t width,
                 size_t tokens, float* y, size_t y_stride) {
  for (size_t t = 0; t < tokens; ++t)
    for (size_t r = 0; r < rows; ++r)
      y[t * y_stride + r] =
          dot(reinterpret_cast<const Value*>(w + r * row_bytes), x + t * width, width);
}

}  // namespace

const Kernels& reference_kernels() {
  static const Kernels kernels{"scalar",
                               true,
                               quantize_activations_ref,
                               dot_f32_ref,
                               dot_f16_ref,
                               dot_q8_0_ref,
                               dot_q4_0_ref,
                               product_ref<float, float, dot_f32_ref>,
                               product_ref<uint16_t, float, dot_f16_ref>,
                               product_ref<uint8_t, ActivationBlock, dot_q8_0_ref>,
                               product_ref<uint8_t, ActivationBlock, dot_q4_0_ref>,
                               ScalarLanes::scores<2, 4>,
                               ScalarLanes::softmax,
                               ScalarLanes::weighted_values<2, 8>,
                               ScalarNorm::layer_norm};
  return kernels;
}

std::vector<const Kernels*> kernel_sets() {
  std::vector<const Kernels*> sets{&reference_kernels()};
  for (const Kernels* set :
       {avx2_kernels(), avx512_vnni_kernels(), neon_kernels(), neon_dotprod_kernels()})
    if (set) sets.push_back(set);
  return sets;
}

const Kernels& best_kernels() {
  static const Kernels* best = kernel_sets().back();
  return *best;
}

const Kernels* kernels_named(std::string_view name) {
  for (const Kernels* set : kernel_sets())
    if (name == set->name) return set;
  return nullptr;
}

}  // namespace tinyllm::infer
