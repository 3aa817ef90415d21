// x86-64 AVX2 kernels (with FMA and F16C), compiled with per-function target attributes so the
// rest of the build keeps the baseline ISA and the CPU is checked at run time. The integer dot
// products follow llama.cpp's ggml-cpu quants.c: |w| times sign-adjusted x with maddubs, then
// madd to int32 and one float multiply-add per block.
//
// Every product is a register tile of RM weight rows x RN tokens with one accumulator per (row,
// token) pair: a weight block is loaded (and, for Q4_0, unpacked) once for RN tokens, an
// activation block once for RM rows. The dot products are the 1 x 1 tile, so both compute each
// value with the same operations in the same order.
#include "infer/kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gguf/quant.h"
#include "infer/kernels_x86.h"

namespace tinyllm::infer {
namespace {

// Eight int32 sums of products of 32 int8 pairs, as floats; `abs_w` is |w|.
TINYLLM_AVX2 inline __m256 int8_products(__m256i w, __m256i abs_w, __m256i x) {
  const __m256i signed_x = _mm256_sign_epi8(x, w);
  const __m256i pairs = _mm256_maddubs_epi16(abs_w, signed_x);
  return _mm256_cvtepi32_ps(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
}

// Quantized weight blocks as 32 signed bytes: Q8_0's as stored, Q4_0's nibbles minus 8 (values
// 0-15 are the low nibbles, 16-31 the high ones: quant.h).
struct Q8Weights {
  static constexpr size_t kBytes = gguf::kQ8_0BlockBytes;
  TINYLLM_AVX2 static __m256i values(const uint8_t* block) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
  }
};

struct Q4Weights {
  static constexpr size_t kBytes = gguf::kQ4_0BlockBytes;
  TINYLLM_AVX2 static __m256i values(const uint8_t* block) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    const __m256i nibbles = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed),
                                             _mm256_set1_epi8(0x0F));
    return _mm256_sub_epi8(nibbles, _mm256_set1_epi8(8));
  }
};

template <class Weights, int RM, int RN>
TINYLLM_AVX2 void quantized_tile(const Operands<ActivationBlock>& o, size_t r0, size_t t0,
                                 size_t blocks) {
  __m256 acc[RM][RN];
#pragma GCC unroll 8
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j)
      acc[i][j] = _mm256_setzero_ps();
  const uint8_t* rows = o.w + r0 * o.row_bytes;
  const ActivationBlock* x = o.x + t0 * o.x_stride;
  for (size_t b = 0; b < blocks; ++b) {
#pragma GCC unroll 8
    for (int i = 0; i < RM; ++i) {
      const uint8_t* block = rows + size_t(i) * o.row_bytes + b * Weights::kBytes;
      const __m256i qw = Weights::values(block);
      const __m256i abs_w = _mm256_sign_epi8(qw, qw);
      const float dw = scale_of(block);
#pragma GCC unroll 4
      for (int j = 0; j < RN; ++j) {
        const ActivationBlock& xb = x[size_t(j) * o.x_stride + b];
        const __m256i qx = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.qs));
        const __m256 d = _mm256_set1_ps(dw * xb.d);
        acc[i][j] = _mm256_fmadd_ps(d, int8_products(qw, abs_w, qx), acc[i][j]);
      }
    }
  }
  for (int i = 0; i < RM; ++i)
    for (int j = 0; j < RN; ++j)
      o.y[(t0 + size_t(j)) * o.y_stride + r0 + size_t(i)] = horizontal_sum(acc[i][j]);
}

// Adapters so one driver runs both families: Tile<RM, RN>::run(operands, r0, t0, width).
template <class Weights>
struct FloatTiles {
  using Input = float;
  template <int RM, int RN>
  TINYLLM_AVX2 static void run(const Operands<float>& o, size_t r0, size_t t0, size_t width) {
    float_tile<Weights, RM, RN>(o, r0, t0, width);
  }
};

template <class Weights>
struct QuantizedTiles {
  using Input = ActivationBlock;
  template <int RM, int RN>
  TINYLLM_AVX2 static void run(const Operands<ActivationBlock>& o, size_t r0, size_t t0,
                               size_t width) {
    quantized_tile<Weights, RM, RN>(o, r0, t0, width);
  }
};

// Rows in tiles of 4 (with three tokens, 12 accumulators and the operands fill the 16 registers;
// with one token, four rows in flight measured no slower than eight on a memory-bound matrix),
// then the remaining rows one smaller tile.
template <class Tiles, int RN>
TINYLLM_AVX2 void rows_for_tokens(const Operands<typename Tiles::Input>& o, size_t rows, size_t t0,
                                  size_t width) {
  constexpr int RM = 4;
  size_t r = 0;
  for (; r + RM <= rows; r += RM)
    Tiles::template run<RM, RN>(o, r, t0, width);
  switch (rows - r) {
    case 3:
      Tiles::template run<3, RN>(o, r, t0, width);
      break;
    case 2:
      Tiles::template run<2, RN>(o, r, t0, width);
      break;
    case 1:
      Tiles::template run<1, RN>(o, r, t0, width);
      break;
    default:
      break;
  }
}

// Tokens in groups of three, the last group one or two.
template <class Tiles>
TINYLLM_AVX2 void product(const uint8_t* w, size_t row_bytes, size_t rows,
                          const typename Tiles::Input* x, size_t width, size_t tokens, float* y,
                          size_t y_stride) {
  const Operands<typename Tiles::Input> o{w, row_bytes, x, width, y, y_stride};
  size_t t = 0;
  for (; t + 3 <= tokens; t += 3)
    rows_for_tokens<Tiles, 3>(o, rows, t, width);
  if (tokens - t == 2) rows_for_tokens<Tiles, 2>(o, rows, t, width);
  if (tokens - t == 1) rows_for_tokens<Tiles, 1>(o, rows, t, width);
}

// The dot products: one row, one token.
template <class Tiles>
TINYLLM_AVX2 float dot(const uint8_t* w, const typename Tiles::Input* x, size_t width) {
  float y = 0;
  Tiles::template run<1, 1>({w, 0, x, width, &y, 0}, 0, 0, width);
  return y;
}

TINYLLM_AVX2 float dot_f32_avx2(const float* w, const float* x, size_t n) {
  return dot<FloatTiles<F32Weights>>(reinterpret_cast<const uint8_t*>(w), x, n);
}
TINYLLM_AVX2 float dot_f16_avx2(const uint16_t* w, const float* x, size_t n) {
  return dot<FloatTiles<F16Weights>>(reinterpret_cast<const uint8_t*>(w), x, n);
}
TINYLLM_AVX2 float dot_q8_0_avx2(const uint8_t* w, const ActivationBlock* x, size_t blocks) {
  return dot<QuantizedTiles<Q8Weights>>(w, x, blocks);
}
TINYLLM_AVX2 float dot_q4_0_avx2(const uint8_t* w, const ActivationBlock* x, size_t blocks) {
  return dot<QuantizedTiles<Q4Weights>>(w, x, blocks);
}

// quantize_activations_ref's blocks, bit for bit: the same scale from the exact block maximum,
// the same products, and std::lround's rounding (half away from zero; the CPU's nearest mode
// would round halves to even) built from truncation and the exact fraction.
TINYLLM_AVX2 void quantize_activations_avx2(const float* x, size_t n, ActivationBlock* out) {
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  const __m256 half = _mm256_set1_ps(0.5f), one = _mm256_set1_ps(1.0f);
  const __m256i order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
  for (size_t b = 0; b < n / kBlock; ++b) {
    const float* v = x + b * kBlock;
    __m256 values[4];
    __m256 amax = _mm256_setzero_ps();
    for (int i = 0; i < 4; ++i) {
      values[i] = _mm256_loadu_ps(v + 8 * i);
      amax = _mm256_max_ps(amax, _mm256_andnot_ps(sign_bit, values[i]));
    }
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(amax), _mm256_extractf128_ps(amax, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    const float d = _mm_cvtss_f32(m) / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    out[b].d = d;
    __m256i ints[4];
    for (int i = 0; i < 4; ++i) {
      const __m256 y = _mm256_mul_ps(values[i], _mm256_set1_ps(id));
      const __m256 whole = _mm256_round_ps(y, _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC);
      const __m256 fraction = _mm256_andnot_ps(sign_bit, _mm256_sub_ps(y, whole));
      const __m256 away = _mm256_or_ps(one, _mm256_and_ps(sign_bit, y));  // +-1 with y's sign
      const __m256 step = _mm256_and_ps(_mm256_cmp_ps(fraction, half, _CMP_GE_OQ), away);
      ints[i] = _mm256_cvtps_epi32(_mm256_add_ps(whole, step));
    }
    const __m256i bytes = _mm256_packs_epi16(_mm256_packs_epi32(ints[0], ints[1]),
                                             _mm256_packs_epi32(ints[2], ints[3]));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[b].qs),
                        _mm256_permutevar8x32_epi32(bytes, order));
  }
}

// Attention and layer norm (attention_lanes.h, layer_norm_lanes.h) in 256-bit lanes.
#pragma GCC push_options
#pragma GCC target("avx2")
typedef float Floats8 __attribute__((vector_size(32)));
typedef uint32_t Words8 __attribute__((vector_size(32)));
#include "infer/attention_lanes.h"
using Lanes8 = AttentionLanes<Floats8, Words8>;
typedef float Floats4 __attribute__((vector_size(16)));
typedef double Doubles4 __attribute__((vector_size(32)));
#include "infer/layer_norm_lanes.h"
using Norm4 = LayerNormLanes<Floats4, Doubles4>;
#pragma GCC pop_options

}  // namespace

const Kernels* avx2_kernels() {
  static const bool supported = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
                                __builtin_cpu_supports("f16c");
  static const Kernels kernels{"avx2",
                               false,
                               quantize_activations_avx2,
                               dot_f32_avx2,
                               dot_f16_avx2,
                               dot_q8_0_avx2,
                               dot_q4_0_avx2,
                               product<FloatTiles<F32Weights>>,
                               product<FloatTiles<F16Weights>>,
                               product<QuantizedTiles<Q8Weights>>,
                               product<QuantizedTiles<Q4Weights>>,
                               Lanes8::scores<4, 2>,
                               Lanes8::softmax,
                               Lanes8::weighted_values<3, 4>,
                               Norm4::layer_norm};
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
