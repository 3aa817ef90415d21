// x86-64 AVX2 kernels (with FMA and F16C), compiled with per-function target attributes so the
// rest of the build keeps the baseline ISA and the CPU is checked at run time. The integer dot
// products follow llama.cpp's ggml-cpu quants.c: |w| times sign-adjusted x with maddubs, then
// madd to int32 and one float multiply-add per block.
#include "infer/kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstring>

#include "gguf/quant.h"

#define TINYLLM_AVX2 __attribute__((target("avx2,fma,f16c")))

namespace tinyllm::infer {
namespace {

TINYLLM_AVX2 float horizontal_sum(__m256 v) {
  __m128 lo = _mm256_castps256_ps128(v);
  const __m128 hi = _mm256_extractf128_ps(v, 1);
  lo = _mm_add_ps(lo, hi);
  lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
  lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
  return _mm_cvtss_f32(lo);
}

// Eight int32 sums of products of 32 int8 pairs, as floats.
TINYLLM_AVX2 __m256 int8_products(__m256i w, __m256i x) {
  const __m256i abs_w = _mm256_sign_epi8(w, w);
  const __m256i signed_x = _mm256_sign_epi8(x, w);
  const __m256i pairs = _mm256_maddubs_epi16(abs_w, signed_x);
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

TINYLLM_AVX2 float dot_f32_avx2(const float* w, const float* x, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8)
    acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(w + i), _mm256_loadu_ps(x + i), acc0);
  float sum = horizontal_sum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i)
    sum += w[i] * x[i];
  return sum;
}

TINYLLM_AVX2 float dot_f16_avx2(const uint16_t* w, const float* x, size_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 w0 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i)));
    const __m256 w1 = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(w + i + 8)));
    acc0 = _mm256_fmadd_ps(w0, _mm256_loadu_ps(x + i), acc0);
    acc1 = _mm256_fmadd_ps(w1, _mm256_loadu_ps(x + i + 8), acc1);
  }
  float sum = horizontal_sum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i)
    sum += gguf::fp16_to_fp32(w[i]) * x[i];
  return sum;
}

// The block's fp16 scale, converted by the F16C instruction (exact, as fp16_to_fp32).
TINYLLM_AVX2 inline float scale_of(const uint8_t* block) {
  uint16_t bits;
  std::memcpy(&bits, block, 2);
  return _cvtsh_ss(bits);
}

TINYLLM_AVX2 float dot_q8_0_avx2(const uint8_t* w, const ActivationBlock* x, size_t blocks) {
  __m256 acc = _mm256_setzero_ps();
  for (size_t b = 0; b < blocks; ++b, w += gguf::kQ8_0BlockBytes) {
    const __m256 d = _mm256_set1_ps(scale_of(w) * x[b].d);
    const __m256i qw = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(w + 2));
    const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    acc = _mm256_fmadd_ps(d, int8_products(qw, qx), acc);
  }
  return horizontal_sum(acc);
}

TINYLLM_AVX2 float dot_q4_0_avx2(const uint8_t* w, const ActivationBlock* x, size_t blocks) {
  __m256 acc = _mm256_setzero_ps();
  const __m256i low_nibbles = _mm256_set1_epi8(0x0F);
  const __m256i eight = _mm256_set1_epi8(8);
  for (size_t b = 0; b < blocks; ++b, w += gguf::kQ4_0BlockBytes) {
    const __m256 d = _mm256_set1_ps(scale_of(w) * x[b].d);
    // Values 0-15 are the low nibbles, 16-31 the high ones (quant.h).
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(w + 2));
    __m256i qw = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);
    qw = _mm256_sub_epi8(_mm256_and_si256(qw, low_nibbles), eight);
    const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x[b].qs));
    acc = _mm256_fmadd_ps(d, int8_products(qw, qx), acc);
  }
  return horizontal_sum(acc);
}

}  // namespace

const Kernels* avx2_kernels() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                                __builtin_cpu_supports("f16c");
  // Activations are quantized by the reference code: it is a small part of the time, and equal
  // activation blocks make the two sets comparable block by block.
  static const Kernels kernels{"avx2",        reference_kernels().quantize_activations,
                               dot_f32_avx2,  dot_f16_avx2,
                               dot_q8_0_avx2, dot_q4_0_avx2};
  return supported ? &kernels : nullptr;
}

}  // namespace tinyllm::infer

#else

namespace tinyllm::infer {
const Kernels* avx2_kernels() {
  return nullptr;
}
}  // namespace tinyllm::infer

#endif
