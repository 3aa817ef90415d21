// What the x86-64 kernel sets (kernels_avx2.cpp, kernels_avx512.cpp) share: the horizontal sum,
// the fp16 scale, the tile operands and the float tile, compiled for AVX2 + FMA + F16C. A
// function whose target is a superset (the AVX-512 VNNI set's) inlines them, so both sets
// compute these values with the same instructions: the same bits. Included only by those files.
#pragma once

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstring>

#include "gguf/quant.h"
#include "infer/kernels.h"

#define TINYLLM_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace tinyllm::infer {
namespace {

TINYLLM_AVX2 inline float horizontal_sum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  const __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

// The block's fp16 scale, converted by the F16C instruction (exact, as fp16_to_fp32).
TINYLLM_AVX2 inline float scale_of(const uint8_t* block) {
  uint16_t bits;
  std::memcpy(&bits, block, 2);
  return _cvtsh_ss(bits);
}

// What a tile reads and writes: weight rows `row_bytes` apart, tokens `x_stride` inputs apart
// (floats or activation blocks), outputs y[t * y_stride + r].
template <class Input>
struct Operands {
  const uint8_t* w;
  size_t row_bytes;
  const Input* x;
  size_t x_stride;  // = cols (floats) or blocks
  float* y;
  size_t y_stride;
};

// Float weights (F32, or F16 widened by F16C) against float activations: 8 columns per step,
// then the horizontal sum and a scalar tail (columns past the last multiple of 8).
struct F32Weights {
  using Input = float;
  TINYLLM_AVX2 static __m256 load(const uint8_t* row, size_t k) {
    return _mm256_loadu_ps(reinterpret_cast<const float*>(row) + k);
  }
  static float at(const uint8_t* row, size_t k) { return reinterpret_cast<const float*>(row)[k]; }
};

struct F16Weights {
  using Input = float;
  TINYLLM_AVX2 static __m256 load(const uint8_t* row, size_t k) {
    return _mm256_cvtph_ps(_mm_loadu_si128(
        reinterpret_cast<const __m128i*>(reinterpret_cast<const uint16_t*>(row) + k)));
  }
  static float at(const uint8_t* row, size_t k) {
    return gguf::fp16_to_fp32(reinterpret_cast<const uint16_t*>(row)[k]);
  }
};

template <class Weights, int RM, int RN>
TINYLLM_AVX2 void float_tile(const Operands<float>& o, size_t r0, size_t t0, size_t cols) {
  __m256 acc[RM][RN];
#pragma GCC unroll 8
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j)
      acc[i][j] = _mm256_setzero_ps();
  const uint8_t* rows = o.w + r0 * o.row_bytes;
  const float* x = o.x + t0 * o.x_stride;
  size_t k = 0;
  for (; k + 8 <= cols; k += 8) {
    __m256 xv[RN];
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j)
      xv[j] = _mm256_loadu_ps(x + size_t(j) * o.x_stride + k);
#pragma GCC unroll 8
    for (int i = 0; i < RM; ++i) {
      const __m256 wv = Weights::load(rows + size_t(i) * o.row_bytes, k);
#pragma GCC unroll 4
      for (int j = 0; j < RN; ++j)
        acc[i][j] = _mm256_fmadd_ps(wv, xv[j], acc[i][j]);
    }
  }
  for (int i = 0; i < RM; ++i)
    for (int j = 0; j < RN; ++j) {
      const uint8_t* row = rows + size_t(i) * o.row_bytes;
      const float* xj = x + size_t(j) * o.x_stride;
      float sum = horizontal_sum(acc[i][j]);
      for (size_t kk = k; kk < cols; ++kk)
        sum += Weights::at(row, kk) * xj[kk];
      o.y[(t0 + size_t(j)) * o.y_stride + r0 + size_t(i)] = sum;
    }
}

}  // namespace
}  // namespace tinyllm::infer

#endif
