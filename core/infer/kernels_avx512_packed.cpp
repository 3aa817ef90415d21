// x86-64 AVX-512 (F, BW, VL, VNNI): products on weights repacked once (kernels.h, "packed"),
// 512-bit vectors whose lanes are 16 rows of a group.
//
// F32/F16: per column one vector of the 16 rows' weights and one fused multiply-add per token
// with the token's value broadcast: no horizontal sums, 1 load per 16 x RN multiply-adds. A row's
// products are summed in column order with fused multiply-adds.
//
// Q8_0/Q4_0: the unpacked tiles (kernels_avx512.cpp) keep 8 int32 lanes per (row, token) pair and
// block, so every pair costs a conversion, a multiply and a fused multiply-add per block: as many
// instructions per value as float weights, which is why quantized prompts ran no faster than F32.
// Here a 512-bit lane is one row: a group of 16 rows stores, per block, 4 values of every row per
// 64 bytes, and one VPDPBUSD with 4 of a token's activation bytes broadcast adds 4 products into
// each row's lane. After 8 of them a lane holds the row's whole integer block sum, and one
// convert, two multiplies and an add finish 16 pairs' block, in the reference's order
// (kernels_ref.cpp: sum += d_w * d_x * float(isum)), so every value is the reference's bits.
//
// VPDPBUSD multiplies unsigned by signed bytes: the weights are the unsigned side (Q8_0: value +
// 128; Q4_0: the nibble, value + 8) and the activations the signed side, so a lane starts at
// -offset * (the token block's sum of activations), which matmul computes once per token.
#include "infer/kernels.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#include <cstring>

#include "gguf/quant.h"

#define TINYLLM_VNNI512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

namespace tinyllm::infer {
namespace {

float scale_of(const uint8_t* block) {
  uint16_t bits;
  std::memcpy(&bits, block, 2);
  return gguf::fp16_to_fp32(bits);
}

// Q8_0 value k (0..31) of a block as the unsigned operand; Q4_0's nibble k.
uint8_t q8_value(const uint8_t* block, size_t k) {
  return uint8_t(block[2 + k] ^ 0x80);  // int8 v -> v + 128
}
uint8_t q4_value(const uint8_t* block, size_t k) {
  const uint8_t byte = block[2 + k % 16];
  return k < 16 ? byte & 15 : byte >> 4;
}

// Per block: the 16 scales, then the values. Q8_0's step s (64 bytes) holds values 4s..4s+3 of
// each row (row r at byte 4r); Q4_0's 64 bytes L hold step 2L in the low nibbles and step 2L+1
// in the high ones.
template <bool kQ4>
void pack_quantized(const uint8_t* w, size_t row_bytes, size_t rows, size_t cols, uint8_t* out) {
  constexpr size_t kIn = kQ4 ? gguf::kQ4_0BlockBytes : gguf::kQ8_0BlockBytes;
  constexpr size_t kOut = kQ4 ? kPackedQ4BlockBytes : kPackedQ8BlockBytes;
  constexpr PackedType kType = kQ4 ? PackedType::q4_0 : PackedType::q8_0;
  const size_t blocks = cols / kBlock;
  std::memset(out, 0, packed_matrix_bytes(kType, rows, cols));
  for (size_t r = 0; r < rows; ++r) {
    uint8_t* group = out + (r / kPackRows) * packed_group_bytes(kType, cols);
    const size_t lane = r % kPackRows;
    for (size_t b = 0; b < blocks; ++b) {
      const uint8_t* in = w + r * row_bytes + b * kIn;
      uint8_t* dst = group + b * kOut;
      const float d = scale_of(in);
      std::memcpy(dst + 4 * lane, &d, 4);
      uint8_t* values = dst + 64;
      for (size_t k = 0; k < kBlock; ++k) {
        const size_t step = k / 4, at = 4 * lane + k % 4;
        if constexpr (kQ4)
          values[(step / 2) * 64 + at] |= uint8_t(q4_value(in, k) << (step % 2 ? 4 : 0));
        else
          values[step * 64 + at] = q8_value(in, k);
      }
    }
  }
}

// Column k of a group: the 16 rows' values as the file stores them (F32 or F16 bits).
template <class Value>
void pack_float(const uint8_t* w, size_t row_bytes, size_t rows, size_t cols, uint8_t* out) {
  constexpr PackedType kType = sizeof(Value) == 4 ? PackedType::f32 : PackedType::f16;
  std::memset(out, 0, packed_matrix_bytes(kType, rows, cols));
  for (size_t r = 0; r < rows; ++r) {
    auto* group = reinterpret_cast<Value*>(out + (r / kPackRows) * packed_group_bytes(kType, cols));
    const auto* row = reinterpret_cast<const Value*>(w + r * row_bytes);
    for (size_t k = 0; k < cols; ++k)
      group[k * kPackRows + r % kPackRows] = row[k];
  }
}

// Token j's accumulator (+ the bias, unless null) into y + j * y_stride, its first `rows` lanes
// only.
template <int RN>
TINYLLM_VNNI512 inline void store_rows(const __m512 (&acc)[RN], size_t rows, const float* bias,
                                       float* y, size_t y_stride) {
  const __mmask16 keep = __mmask16((1u << rows) - 1);
  if (bias) {
    const __m512 b = _mm512_maskz_loadu_ps(keep, bias);
#pragma GCC unroll 16
    for (int j = 0; j < RN; ++j)
      _mm512_mask_storeu_ps(y + size_t(j) * y_stride, keep, _mm512_add_ps(acc[j], b));
    return;
  }
#pragma GCC unroll 16
  for (int j = 0; j < RN; ++j)
    _mm512_mask_storeu_ps(y + size_t(j) * y_stride, keep, acc[j]);
}

// ---- F32 and F16 ---------------------------------------------------------------------------

struct F32Column {
  TINYLLM_VNNI512 static __m512 load(const uint8_t* group, size_t k) {
    return _mm512_load_ps(reinterpret_cast<const float*>(group) + k * kPackRows);
  }
};
struct F16Column {
  TINYLLM_VNNI512 static __m512 load(const uint8_t* group, size_t k) {
    // maskz: see packed_tile's conversion.
    return _mm512_maskz_cvtph_ps(
        __mmask16(0xFFFF),
        _mm256_load_si256(reinterpret_cast<const __m256i*>(group + k * kPackRows * 2)));
  }
};

// One group against RN tokens: RN accumulators, a row's products added in column order.
template <class Column, int RN>
TINYLLM_VNNI512 void float_tile(const uint8_t* group, size_t rows, const float* bias,
                                const float* x, size_t cols, float* y, size_t y_stride) {
  __m512 acc[RN];
#pragma GCC unroll 16
  for (int j = 0; j < RN; ++j)
    acc[j] = _mm512_setzero_ps();
  for (size_t k = 0; k < cols; ++k) {
    const __m512 w = Column::load(group, k);
#pragma GCC unroll 16
    for (int j = 0; j < RN; ++j)
      acc[j] = _mm512_fmadd_ps(w, _mm512_set1_ps(x[size_t(j) * cols + k]), acc[j]);
  }
  store_rows<RN>(acc, rows, bias, y, y_stride);
}

template <class Column>
struct FloatTiles {
  using Input = float;
  static constexpr int kTokens = 14;  // 14 accumulators, the weights, the broadcasts
  template <int RN>
  TINYLLM_VNNI512 static void run(const uint8_t* group, size_t rows, const float* bias,
                                  const float* x, const int32_t*, size_t cols, float* y,
                                  size_t y_stride) {
    float_tile<Column, RN>(group, rows, bias, x, cols, y, y_stride);
  }
};

TINYLLM_VNNI512 inline __m512i four_bytes(const int8_t* qs) {
  int32_t v;
  std::memcpy(&v, qs, 4);
  return _mm512_set1_epi32(v);
}

// One group of 16 rows against RN tokens: RN integer and RN float accumulators (2 * RN + 3 of the
// 32 registers).
template <bool kQ4, int RN>
TINYLLM_VNNI512 void packed_tile(const uint8_t* group, size_t rows, const float* bias,
                                 const ActivationBlock* x, const int32_t* x_sums, size_t blocks,
                                 float* y, size_t y_stride) {
  constexpr size_t kOut = kQ4 ? kPackedQ4BlockBytes : kPackedQ8BlockBytes;
  constexpr int32_t kOffset = kQ4 ? 8 : 128;
  __m512 acc[RN];
#pragma GCC unroll 16
  for (int j = 0; j < RN; ++j)
    acc[j] = _mm512_setzero_ps();
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* block = group + b * kOut;
    __m512i sums[RN];
#pragma GCC unroll 16
    for (int j = 0; j < RN; ++j)
      sums[j] = _mm512_set1_epi32(-kOffset * x_sums[size_t(j) * blocks + b]);
    if constexpr (kQ4) {
      const __m512i low4 = _mm512_set1_epi8(0x0F);
#pragma GCC unroll 4
      for (int l = 0; l < 4; ++l) {
        const __m512i packed = _mm512_load_si512(block + 64 + 64 * l);
        const __m512i lo = _mm512_and_si512(packed, low4);
        const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(packed, 4), low4);
#pragma GCC unroll 16
        for (int j = 0; j < RN; ++j) {
          const int8_t* qs = x[size_t(j) * blocks + b].qs;
          sums[j] = _mm512_dpbusd_epi32(sums[j], lo, four_bytes(qs + 8 * l));
          sums[j] = _mm512_dpbusd_epi32(sums[j], hi, four_bytes(qs + 8 * l + 4));
        }
      }
    } else {
#pragma GCC unroll 8
      for (int s = 0; s < 8; ++s) {
        const __m512i values = _mm512_load_si512(block + 64 + 64 * s);
#pragma GCC unroll 16
        for (int j = 0; j < RN; ++j)
          sums[j] = _mm512_dpbusd_epi32(sums[j], values,
                                        four_bytes(x[size_t(j) * blocks + b].qs + 4 * s));
      }
    }
    const __m512 dw = _mm512_load_ps(reinterpret_cast<const float*>(block));
#pragma GCC unroll 16
    for (int j = 0; j < RN; ++j) {
      const __m512 scale = _mm512_mul_ps(dw, _mm512_set1_ps(x[size_t(j) * blocks + b].d));
      // maskz with every lane: _mm512_cvtepi32_ps's undefined source trips GCC 12's
      // -Wmaybe-uninitialized; the instruction is the same.
      const __m512 isum = _mm512_maskz_cvtepi32_ps(__mmask16(0xFFFF), sums[j]);
      acc[j] = _mm512_add_ps(acc[j], _mm512_mul_ps(scale, isum));
    }
  }
  store_rows<RN>(acc, rows, bias, y, y_stride);
}

template <bool kQ4>
struct QuantizedTiles {
  using Input = ActivationBlock;
  static constexpr int kTokens = 12;  // 24 accumulators, the weights and the scales
  template <int RN>
  TINYLLM_VNNI512 static void run(const uint8_t* group, size_t rows, const float* bias,
                                  const ActivationBlock* x, const int32_t* x_sums, size_t blocks,
                                  float* y, size_t y_stride) {
    packed_tile<kQ4, RN>(group, rows, bias, x, x_sums, blocks, y, y_stride);
  }
};

// ---- the driver ------------------------------------------------------------------------------

// The last `left` (< RN) tokens as one tile of that many.
template <class Tiles, int RN>
TINYLLM_VNNI512 void remaining_tokens(size_t left, const uint8_t* group, size_t rows,
                                      const float* bias, const typename Tiles::Input* x,
                                      const int32_t* x_sums, size_t width, float* y,
                                      size_t y_stride) {
  if constexpr (RN > 1) {
    if (left == RN - 1)
      Tiles::template run<RN - 1>(group, rows, bias, x, x_sums, width, y, y_stride);
    else
      remaining_tokens<Tiles, RN - 1>(left, group, rows, bias, x, x_sums, width, y, y_stride);
  }
}

// Tokens in tiles of Tiles::kTokens, the last one smaller. `width`: a token's floats or blocks
// (and its block sums).
template <class Tiles>
TINYLLM_VNNI512 void tokens_in_tiles(const uint8_t* group, size_t rows, const float* bias,
                                     const typename Tiles::Input* x, const int32_t* x_sums,
                                     size_t width, size_t tokens, float* y, size_t y_stride) {
  constexpr int RN = Tiles::kTokens;
  auto sums_at = [&](size_t t) { return x_sums ? x_sums + t * width : nullptr; };
  size_t t = 0;
  for (; t + RN <= tokens; t += RN)
    Tiles::template run<RN>(group, rows, bias, x + t * width, sums_at(t), width, y + t * y_stride,
                            y_stride);
  remaining_tokens<Tiles, RN>(tokens - t, group, rows, bias, x + t * width, sums_at(t), width,
                              y + t * y_stride, y_stride);
}

template <class Column>
TINYLLM_VNNI512 void packed_float_product(const uint8_t* group, size_t rows, const float* bias,
                                          const float* x, size_t cols, size_t tokens, float* y,
                                          size_t y_stride) {
  tokens_in_tiles<FloatTiles<Column>>(group, rows, bias, x, nullptr, cols, tokens, y, y_stride);
}

}  // namespace

// Called by avx512_vnni_kernels(), which has checked the CPU.
void add_avx512_packed_products(Kernels& k) {
  k.pack_f32 = pack_float<float>;
  k.pack_f16 = pack_float<uint16_t>;
  k.pack_q8_0 = pack_quantized<false>;
  k.pack_q4_0 = pack_quantized<true>;
  k.packed_product_f32 = packed_float_product<F32Column>;
  k.packed_product_f16 = packed_float_product<F16Column>;
  k.packed_product_q8_0 = tokens_in_tiles<QuantizedTiles<false>>;
  k.packed_product_q4_0 = tokens_in_tiles<QuantizedTiles<true>>;
}

}  // namespace tinyllm::infer

#else

namespace tinyllm::infer {
void add_avx512_packed_products(Kernels&) {}
}  // namespace tinyllm::infer

#endif
