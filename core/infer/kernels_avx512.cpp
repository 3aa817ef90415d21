// x86-64 AVX-512 VNNI: the AVX2 set (kernels_avx2.cpp) with the Q8_0 and Q4_0 integer products
// done by VPDPBUSD (256-bit, AVX512_VNNI + AVX512VL), and every tile wider for the 32 vector
// registers that AVX-512VL gives 256-bit code; compiled with per-function target attributes and
// chosen at run time. Its results are the AVX2 set's bits (test_infer checks it):
//
// - VPDPBUSD multiplies unsigned by signed bytes and adds each 4 adjacent products into an int32
//   lane, the lanes AVX2's maddubs + madd make, so the float part (convert, fused multiply-add by
//   the two scales, horizontal sum) is AVX2's. The signs:
//   Q8_0: (x + 128) is unsigned; the lane starts at -128 * (its 4 weights' sum), itself one
//   VPDPBUSD of 128s with the weights, so it ends at the sum of x * w.
//   Q4_0: the nibbles n are unsigned; the lane starts at -8 * (its 4 activations' sum), so it
//   ends at the sum of (n - 8) * x.
//   Both corrections are per weight block or per activation block, shared by a tile's pairs, so a
//   (row, token) pair costs one VPDPBUSD where AVX2 spends sign, maddubs and madd.
// - F32/F16 tiles are AVX2's per value (8 lanes, fused multiply-adds, the same horizontal sum and
//   scalar tail), 4 rows x 6 tokens instead of 4 x 3. (16-lane 512-bit tiles measured slower here
//   and would change the bits.) The activation quantizer is AVX2's; the attention loops
//   are 16 lanes wide (attention_lanes.h).
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

#define TINYLLM_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vl,avx512vnni")))

namespace tinyllm::infer {
namespace {

TINYLLM_VNNI inline __m256i load_activations(const ActivationBlock& xb) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xb.qs));
}

// Q8_0: per activation block the unsigned x + 128; per weight block the signed values and the
// lanes' start, -128 * sum of 4 weights.
struct Q8 {
  static constexpr size_t kBytes = gguf::kQ8_0BlockBytes;
  struct Activation {
    __m256i unsigned_x;
  };
  struct Weight {
    __m256i w, start;
  };
  TINYLLM_VNNI static Activation activation(const ActivationBlock& xb) {
    return {_mm256_xor_si256(load_activations(xb), _mm256_set1_epi8(char(0x80)))};
  }
  TINYLLM_VNNI static Weight weight(const uint8_t* block) {
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 2));
    const __m256i offset =
        _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(char(0x80)), w);
    return {w, _mm256_sub_epi32(_mm256_setzero_si256(), offset)};
  }
  TINYLLM_VNNI static __m256i lanes(const Weight& w, const Activation& x) {
    return _mm256_dpbusd_epi32(w.start, x.unsigned_x, w.w);
  }
};

// Q4_0: per weight block the nibbles (values 0-15 the low ones, 16-31 the high ones: quant.h);
// per activation block the signed values and the lanes' start, -8 * sum of 4 activations.
struct Q4 {
  static constexpr size_t kBytes = gguf::kQ4_0BlockBytes;
  struct Activation {
    __m256i x, start;
  };
  struct Weight {
    __m256i nibbles;
  };
  TINYLLM_VNNI static Activation activation(const ActivationBlock& xb) {
    const __m256i x = load_activations(xb);
    const __m256i offset = _mm256_dpbusd_epi32(_mm256_setzero_si256(), _mm256_set1_epi8(8), x);
    return {x, _mm256_sub_epi32(_mm256_setzero_si256(), offset)};
  }
  TINYLLM_VNNI static Weight weight(const uint8_t* block) {
    const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 2));
    return {_mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(packed, 4), packed),
                             _mm256_set1_epi8(0x0F))};
  }
  TINYLLM_VNNI static __m256i lanes(const Weight& w, const Activation& x) {
    return _mm256_dpbusd_epi32(x.start, w.nibbles, x.x);
  }
};

// ---- F32 and F16 weights ---------------------------------------------------------------------

template <class Weights>
struct FloatTiles {
  using Input = float;
  template <int RM, int RN>
  TINYLLM_VNNI static void run(const uint8_t* rows, size_t row_bytes, const float* x,
                               size_t x_stride, size_t cols, float* y, size_t y_stride) {
    // kernels_x86.h's tile (AVX2 instructions, inlined here): the AVX2 set's bits.
    float_tile<Weights, RM, RN>(Operands<float>{rows, row_bytes, x, x_stride, y, y_stride}, 0, 0,
                                cols);
  }
};

// ---- Q8_0 and Q4_0 --------------------------------------------------------------------------

// RM weight rows x RN tokens, one accumulator per pair, as kernels_avx2.cpp's quantized_tile:
// acc += (d_w * d_x) * float(lanes) per block, then the horizontal sum.
template <class Type, int RM, int RN>
TINYLLM_VNNI void tile(const uint8_t* rows, size_t row_bytes, const ActivationBlock* x,
                       size_t x_stride, size_t blocks, float* y, size_t y_stride) {
  __m256 acc[RM][RN];
#pragma GCC unroll 4
  for (int i = 0; i < RM; ++i)
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j)
      acc[i][j] = _mm256_setzero_ps();
  for (size_t b = 0; b < blocks; ++b) {
    typename Type::Activation xa[RN];
    __m256 dx[RN];
#pragma GCC unroll 4
    for (int j = 0; j < RN; ++j) {
      const ActivationBlock& xb = x[size_t(j) * x_stride + b];
      xa[j] = Type::activation(xb);
      dx[j] = _mm256_set1_ps(xb.d);
    }
#pragma GCC unroll 4
    for (int i = 0; i < RM; ++i) {
      const uint8_t* block = rows + size_t(i) * row_bytes + b * Type::kBytes;
      const typename Type::Weight w = Type::weight(block);
      const __m256 dw = _mm256_set1_ps(scale_of(block));
#pragma GCC unroll 4
      for (int j = 0; j < RN; ++j) {
        const __m256 lanes = _mm256_cvtepi32_ps(Type::lanes(w, xa[j]));
        acc[i][j] = _mm256_fmadd_ps(_mm256_mul_ps(dw, dx[j]), lanes, acc[i][j]);
      }
    }
  }
  for (int i = 0; i < RM; ++i)
    for (int j = 0; j < RN; ++j)
      y[size_t(j) * y_stride + size_t(i)] = horizontal_sum(acc[i][j]);
}

template <class Type>
struct QuantizedTiles {
  using Input = ActivationBlock;
  template <int RM, int RN>
  TINYLLM_VNNI static void run(const uint8_t* rows, size_t row_bytes, const ActivationBlock* x,
                               size_t x_stride, size_t blocks, float* y, size_t y_stride) {
    tile<Type, RM, RN>(rows, row_bytes, x, x_stride, blocks, y, y_stride);
  }
};

// ---- the drivers ----------------------------------------------------------------------------

// Rows in tiles of 4, then the remaining rows one smaller tile.
template <class Tiles, int RN>
TINYLLM_VNNI void rows_for_tokens(const uint8_t* w, size_t row_bytes, size_t rows,
                                  const typename Tiles::Input* x, size_t width, float* y,
                                  size_t y_stride) {
  constexpr int RM = 4;
  size_t r = 0;
  for (; r + RM <= rows; r += RM)
    Tiles::template run<RM, RN>(w + r * row_bytes, row_bytes, x, width, width, y + r, y_stride);
  const uint8_t* rest = w + r * row_bytes;
  switch (rows - r) {
    case 3:
      Tiles::template run<3, RN>(rest, row_bytes, x, width, width, y + r, y_stride);
      break;
    case 2:
      Tiles::template run<2, RN>(rest, row_bytes, x, width, width, y + r, y_stride);
      break;
    case 1:
      Tiles::template run<1, RN>(rest, row_bytes, x, width, width, y + r, y_stride);
      break;
    default:
      break;
  }
}

// The last `left` (< RN) tokens as one tile of that many.
template <class Tiles, int RN>
TINYLLM_VNNI void remaining_tokens(size_t left, const uint8_t* w, size_t row_bytes, size_t rows,
                                   const typename Tiles::Input* x, size_t width, float* y,
                                   size_t y_stride) {
  if constexpr (RN > 1) {
    if (left == RN - 1)
      rows_for_tokens<Tiles, RN - 1>(w, row_bytes, rows, x, width, y, y_stride);
    else
      remaining_tokens<Tiles, RN - 1>(left, w, row_bytes, rows, x, width, y, y_stride);
  }
}

// Tokens in groups of RN (6 for floats: 24 accumulators; 4 for quantized blocks, whose operands
// take more registers), the last group smaller.
template <class Tiles, int RN>
TINYLLM_VNNI void product(const uint8_t* w, size_t row_bytes, size_t rows,
                          const typename Tiles::Input* x, size_t width, size_t tokens, float* y,
                          size_t y_stride) {
  size_t t = 0;
  for (; t + RN <= tokens; t += RN)
    rows_for_tokens<Tiles, RN>(w, row_bytes, rows, x + t * width, width, y + t * y_stride,
                               y_stride);
  remaining_tokens<Tiles, RN>(tokens - t, w, row_bytes, rows, x + t * width, width,
                              y + t * y_stride, y_stride);
}

// The dot products: one row, one token.
template <class Tiles>
TINYLLM_VNNI float dot(const uint8_t* w, const typename Tiles::Input* x, size_t width) {
  float y = 0;
  Tiles::template run<1, 1>(w, 0, x, width, width, &y, 0);
  return y;
}

#pragma GCC push_options
#pragma GCC target("avx2,avx512f")
typedef float Floats16 __attribute__((vector_size(64)));
typedef uint32_t Words16 __attribute__((vector_size(64)));
#include "infer/attention_lanes.h"
using Lanes16 = AttentionLanes<Floats16, Words16>;
typedef float Floats8 __attribute__((vector_size(32)));
typedef double Doubles8 __attribute__((vector_size(64)));
#include "infer/layer_norm_lanes.h"
using Norm8 = LayerNormLanes<Floats8, Doubles8>;
#pragma GCC pop_options

}  // namespace

void add_avx512_packed_products(Kernels& k);  // kernels_avx512_packed.cpp

const Kernels* avx512_vnni_kernels() {
  const Kernels* avx2 = avx2_kernels();
  static const bool supported =
      avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  if (!supported) return nullptr;
  static const Kernels kernels = [avx2] {
    Kernels k = *avx2;  // the activation quantizer
    k.name = "avx512-vnni";
    k.dot_q8_0 = dot<QuantizedTiles<Q8>>;
    k.dot_q4_0 = dot<QuantizedTiles<Q4>>;
    k.product_f32 = product<FloatTiles<F32Weights>, 6>;
    k.product_f16 = product<FloatTiles<F16Weights>, 6>;
    k.product_q8_0 = product<QuantizedTiles<Q8>, 4>;
    k.product_q4_0 = product<QuantizedTiles<Q4>, 4>;
    k.attention_scores = Lanes16::scores<6, 2>;
    k.softmax = Lanes16::softmax;
    k.weighted_values = Lanes16::weighted_values<4, 4>;
    k.layer_norm = Norm8::layer_norm;
    add_avx512_packed_products(k);
    return k;
  }();
  return &kernels;
}

}  // namespace tinyllm::infer

#else

namespace tinyllm::infer {
const Kernels* avx512_vnni_kernels() {
  return nullptr;
}
}  // namespace tinyllm::infer

#endif
