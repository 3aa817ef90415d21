// ARM NEON kernels (aarch64), with the Armv8.2 dot-product instruction (SDOT) where the CPU has
// it. They give the reference kernels' floats bit for bit, so a Raspberry Pi answers exactly as
// the desktop's scalar kernels do:
//
// - The reference sums each (weight row, token) pair in order, one rounding per multiply and one
//   per add. Here every vector lane is one such pair (lanes are 4 weight rows) and runs the same
//   operations in the same order; nothing is summed across lanes in floating point, and nothing
//   is fused (vmul then vadd, never vfma).
// - Q8_0/Q4_0: a block's 32 integer products are summed exactly in int32 (any order gives the
//   same integer), then the lane does the reference's `sum += (d_w * d_x) * float(isum)`.
//
// A tile is 4 weight rows (the lanes) x up to 4 tokens; a weight block is loaded (and, for Q4_0,
// unpacked) once for all the tile's tokens. Fewer than 4 rows repeat a row in the spare lanes
// and write only the real ones, so the dot products are the 1 x 1 tile and give the products'
// bits.
//
// SDOT is emitted with inline assembly rather than the vdotq_s32 intrinsic: the intrinsic needs
// a target attribute on every function it is inlined into, and the tiles are templates shared by
// both sets. The SDOT set is only ever chosen after getauxval(AT_HWCAP) reports ASIMDDP, so one
// binary runs on a Pi 4 (Cortex-A72, no dot product) and uses SDOT on a Pi 5 (Cortex-A76).
#include "infer/kernels.h"

#if defined(__aarch64__) && defined(__ARM_NEON)
#include <arm_neon.h>
#include <sys/auxv.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gguf/quant.h"

#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1 << 20)  // linux/arch/arm64/include/uapi/asm/hwcap.h
#endif

namespace tinyllm::infer {
namespace {

constexpr int kLanes = 4;   // weight rows per tile: one per float32x4_t lane
constexpr int kTokens = 4;  // tokens per tile (at most)

// Four rows' fp16 scales (or values) widened to float: exact, as gguf::fp16_to_fp32.
inline float32x4_t widen(const uint16_t bits[4]) {
  return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(bits)));
}

// The tile's operands: `rows[i]` is lane i's weight row (a repeated row for spare lanes, whose
// results are dropped), tokens `x_stride` inputs apart, outputs y[t * y_stride + lane].
template <class Input>
struct Tile {
  const uint8_t* rows[kLanes];
  int valid_rows;
  const Input* x;
  size_t x_stride;
  float* y;
  size_t y_stride;
};

// Writes the real lanes of each token's accumulator.
template <class Input, int RN>
inline void store_lanes(const float32x4_t (&acc)[RN], const Tile<Input>& tile) {
  for (int j = 0; j < RN; ++j) {
    float lanes[kLanes];
    vst1q_f32(lanes, acc[j]);
    std::memcpy(tile.y + size_t(j) * tile.y_stride, lanes, sizeof(float) * size_t(tile.valid_rows));
  }
}

// ---- F32 and F16 weights against float activations ------------------------------------------

struct F32Weights {
  static float32x4_t load(const uint8_t* row, size_t k) {
    return vld1q_f32(reinterpret_cast<const float*>(row) + k);
  }
  static float at(const uint8_t* row, size_t k) { return reinterpret_cast<const float*>(row)[k]; }
};

struct F16Weights {
  static float32x4_t load(const uint8_t* row, size_t k) {
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(reinterpret_cast<const uint16_t*>(row) + k)));
  }
  static float at(const uint8_t* row, size_t k) {
    return gguf::fp16_to_fp32(reinterpret_cast<const uint16_t*>(row)[k]);
  }
};

// Four columns k..k+3 of four rows, transposed so that column j holds the four rows' values.
inline void transpose(float32x4_t& c0, float32x4_t& c1, float32x4_t& c2, float32x4_t& c3) {
  const float32x4_t t0 = vtrn1q_f32(c0, c1), t1 = vtrn2q_f32(c0, c1);
  const float32x4_t t2 = vtrn1q_f32(c2, c3), t3 = vtrn2q_f32(c2, c3);
  const auto wide = [](float32x4_t v) { return vreinterpretq_f64_f32(v); };
  c0 = vreinterpretq_f32_f64(vtrn1q_f64(wide(t0), wide(t2)));
  c1 = vreinterpretq_f32_f64(vtrn1q_f64(wide(t1), wide(t3)));
  c2 = vreinterpretq_f32_f64(vtrn2q_f64(wide(t0), wide(t2)));
  c3 = vreinterpretq_f32_f64(vtrn2q_f64(wide(t1), wide(t3)));
}

// Each lane: sum += w[k] * x[k] for k = 0 .. cols-1, as dot_f32_ref / dot_f16_ref.
template <class Weights, int RN>
void float_tile(const Tile<float>& tile, size_t cols) {
  float32x4_t acc[RN];
  for (int j = 0; j < RN; ++j)
    acc[j] = vdupq_n_f32(0.0f);
  size_t k = 0;
  for (; k + 4 <= cols; k += 4) {
    float32x4_t c0 = Weights::load(tile.rows[0], k), c1 = Weights::load(tile.rows[1], k);
    float32x4_t c2 = Weights::load(tile.rows[2], k), c3 = Weights::load(tile.rows[3], k);
    transpose(c0, c1, c2, c3);
    for (int j = 0; j < RN; ++j) {
      const float32x4_t x = vld1q_f32(tile.x + size_t(j) * tile.x_stride + k);
      acc[j] = vaddq_f32(acc[j], vmulq_laneq_f32(c0, x, 0));
      acc[j] = vaddq_f32(acc[j], vmulq_laneq_f32(c1, x, 1));
      acc[j] = vaddq_f32(acc[j], vmulq_laneq_f32(c2, x, 2));
      acc[j] = vaddq_f32(acc[j], vmulq_laneq_f32(c3, x, 3));
    }
  }
  for (; k < cols; ++k) {
    const float column[kLanes] = {Weights::at(tile.rows[0], k), Weights::at(tile.rows[1], k),
                                  Weights::at(tile.rows[2], k), Weights::at(tile.rows[3], k)};
    const float32x4_t c = vld1q_f32(column);
    for (int j = 0; j < RN; ++j)
      acc[j] = vaddq_f32(acc[j], vmulq_n_f32(c, tile.x[size_t(j) * tile.x_stride + k]));
  }
  store_lanes<float, RN>(acc, tile);
}

// ---- Q8_0 and Q4_0 weights against quantized activations ------------------------------------

// A weight block as 32 signed values in two halves (values 0-15, 16-31) and its fp16 scale bits.
struct Q8Weights {
  static constexpr size_t kBytes = gguf::kQ8_0BlockBytes;
  static void values(const uint8_t* block, int8x16_t& lo, int8x16_t& hi) {
    lo = vld1q_s8(reinterpret_cast<const int8_t*>(block + 2));
    hi = vld1q_s8(reinterpret_cast<const int8_t*>(block + 18));
  }
};

struct Q4Weights {  // values 0-15 are the low nibbles, 16-31 the high ones, each minus 8
  static constexpr size_t kBytes = gguf::kQ4_0BlockBytes;
  static void values(const uint8_t* block, int8x16_t& lo, int8x16_t& hi) {
    const uint8x16_t packed = vld1q_u8(block + 2);
    const int8x16_t eight = vdupq_n_s8(8);
    lo = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(packed, vdupq_n_u8(0x0F))), eight);
    hi = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(packed, 4)), eight);
  }
};

// Four int32 partial sums of the 32 products of a weight block and an activation block.
struct WideningProducts {  // Armv8.0: int8 x int8 -> int16 pairs (|sum| <= 2 * 128 * 127) -> int32
  static int32x4_t of(int8x16_t w_lo, int8x16_t w_hi, int8x16_t x_lo, int8x16_t x_hi) {
    const int16x8_t lo = vmlal_high_s8(vmull_s8(vget_low_s8(w_lo), vget_low_s8(x_lo)), w_lo, x_lo);
    const int16x8_t hi = vmlal_high_s8(vmull_s8(vget_low_s8(w_hi), vget_low_s8(x_hi)), w_hi, x_hi);
    return vpadalq_s16(vpaddlq_s16(lo), hi);
  }
};

struct DotProducts {  // Armv8.2 dot product: SDOT sums 4 products per int32 lane
  static int32x4_t of(int8x16_t w_lo, int8x16_t w_hi, int8x16_t x_lo, int8x16_t x_hi) {
    int32x4_t acc = vdupq_n_s32(0);
    asm(".arch armv8.2-a+dotprod\n\t"
        "sdot %0.4s, %1.16b, %2.16b\n\t"
        "sdot %0.4s, %3.16b, %4.16b"
        : "+w"(acc)
        : "w"(w_lo), "w"(x_lo), "w"(w_hi), "w"(x_hi));
    return acc;
  }
};

// Each lane: sum += (d_w * d_x) * float(isum) per block, as dot_q8_0_ref / dot_q4_0_ref.
template <class Weights, class Products, int RN>
void quantized_tile(const Tile<ActivationBlock>& tile, size_t blocks) {
  float32x4_t acc[RN];
  for (int j = 0; j < RN; ++j)
    acc[j] = vdupq_n_f32(0.0f);
  for (size_t b = 0; b < blocks; ++b) {
    int8x16_t lo[kLanes], hi[kLanes];
    uint16_t scale_bits[kLanes];
    for (int i = 0; i < kLanes; ++i) {
      const uint8_t* block = tile.rows[i] + b * Weights::kBytes;
      Weights::values(block, lo[i], hi[i]);
      std::memcpy(&scale_bits[i], block, 2);
    }
    const float32x4_t dw = widen(scale_bits);
    for (int j = 0; j < RN; ++j) {
      const ActivationBlock& xb = tile.x[size_t(j) * tile.x_stride + b];
      const int8x16_t x_lo = vld1q_s8(xb.qs), x_hi = vld1q_s8(xb.qs + 16);
      const int32x4_t s0 = Products::of(lo[0], hi[0], x_lo, x_hi);
      const int32x4_t s1 = Products::of(lo[1], hi[1], x_lo, x_hi);
      const int32x4_t s2 = Products::of(lo[2], hi[2], x_lo, x_hi);
      const int32x4_t s3 = Products::of(lo[3], hi[3], x_lo, x_hi);
      const int32x4_t isum = vpaddq_s32(vpaddq_s32(s0, s1), vpaddq_s32(s2, s3));  // lane = row
      acc[j] = vaddq_f32(acc[j], vmulq_f32(vmulq_n_f32(dw, xb.d), vcvtq_f32_s32(isum)));
    }
  }
  store_lanes<ActivationBlock, RN>(acc, tile);
}

// Adapters so one driver runs both families: Family::run<RN>(tile, width).
template <class Weights>
struct FloatFamily {
  using Input = float;
  template <int RN>
  static void run(const Tile<float>& tile, size_t width) {
    float_tile<Weights, RN>(tile, width);
  }
};

template <class Weights, class Products>
struct QuantizedFamily {
  using Input = ActivationBlock;
  template <int RN>
  static void run(const Tile<ActivationBlock>& tile, size_t width) {
    quantized_tile<Weights, Products, RN>(tile, width);
  }
};

// Rows in tiles of 4 (the last one padded with a repeated row), tokens in groups of 4 (the last
// group 1-3).
template <class Family>
void product(const uint8_t* w, size_t row_bytes, size_t rows, const typename Family::Input* x,
             size_t width, size_t tokens, float* y, size_t y_stride) {
  for (size_t r = 0; r < rows; r += kLanes) {
    Tile<typename Family::Input> tile{};
    tile.valid_rows = int(rows - r < size_t(kLanes) ? rows - r : size_t(kLanes));
    for (int i = 0; i < kLanes; ++i)
      tile.rows[i] = w + (r + size_t(i < tile.valid_rows ? i : 0)) * row_bytes;
    tile.x_stride = width;
    tile.y_stride = y_stride;
    size_t t = 0;
    for (; t + kTokens <= tokens; t += kTokens) {
      tile.x = x + t * width, tile.y = y + t * y_stride + r;
      Family::template run<kTokens>(tile, width);
    }
    tile.x = x + t * width, tile.y = y + t * y_stride + r;
    switch (tokens - t) {
      case 3:
        Family::template run<3>(tile, width);
        break;
      case 2:
        Family::template run<2>(tile, width);
        break;
      case 1:
        Family::template run<1>(tile, width);
        break;
      default:
        break;
    }
  }
}

// The dot products: the 1 x 1 tile.
template <class Family>
float dot(const uint8_t* w, const typename Family::Input* x, size_t width) {
  float y = 0;
  product<Family>(w, 0, 1, x, width, 1, &y, 1);
  return y;
}

float dot_f32_neon(const float* w, const float* x, size_t n) {
  return dot<FloatFamily<F32Weights>>(reinterpret_cast<const uint8_t*>(w), x, n);
}
float dot_f16_neon(const uint16_t* w, const float* x, size_t n) {
  return dot<FloatFamily<F16Weights>>(reinterpret_cast<const uint8_t*>(w), x, n);
}
template <class Products>
float dot_q8_0_neon(const uint8_t* w, const ActivationBlock* x, size_t blocks) {
  return dot<QuantizedFamily<Q8Weights, Products>>(w, x, blocks);
}
template <class Products>
float dot_q4_0_neon(const uint8_t* w, const ActivationBlock* x, size_t blocks) {
  return dot<QuantizedFamily<Q4Weights, Products>>(w, x, blocks);
}

// quantize_activations_ref's blocks, bit for bit: the same maximum (vmaxnm ignores a NaN as
// std::max(amax, NaN) does), the same scale, and FCVTAS, which rounds halves away from zero as
// std::lround does; the narrowing keeps the low bits, as the int8_t conversion does.
void quantize_activations_neon(const float* x, size_t n, ActivationBlock* out) {
  for (size_t b = 0; b < n / kBlock; ++b) {
    const float* v = x + b * kBlock;
    float32x4_t values[8];
    float32x4_t amax = vdupq_n_f32(0.0f);
    for (int i = 0; i < 8; ++i) {
      values[i] = vld1q_f32(v + 4 * i);
      amax = vmaxnmq_f32(amax, vabsq_f32(values[i]));
    }
    const float d = vmaxnmvq_f32(amax) / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    out[b].d = d;
    for (int i = 0; i < 8; i += 2) {
      const int32x4_t a = vcvtaq_s32_f32(vmulq_n_f32(values[i], id));
      const int32x4_t c = vcvtaq_s32_f32(vmulq_n_f32(values[i + 1], id));
      const int16x8_t halves = vcombine_s16(vmovn_s32(a), vmovn_s32(c));
      vst1_s8(out[b].qs + 4 * i, vmovn_s16(halves));
    }
  }
}

typedef float Floats4 __attribute__((vector_size(16)));
typedef uint32_t Words4 __attribute__((vector_size(16)));
#include "infer/attention_lanes.h"
using Lanes4 = AttentionLanes<Floats4, Words4>;
typedef float Floats2 __attribute__((vector_size(8)));
typedef double Doubles2 __attribute__((vector_size(16)));
#include "infer/layer_norm_lanes.h"
using Norm2 = LayerNormLanes<Floats2, Doubles2>;

template <class Products>
Kernels neon_set(const char* name) {
  return Kernels{name,
                 true,
                 quantize_activations_neon,
                 dot_f32_neon,
                 dot_f16_neon,
                 dot_q8_0_neon<Products>,
                 dot_q4_0_neon<Products>,
                 product<FloatFamily<F32Weights>>,
                 product<FloatFamily<F16Weights>>,
                 product<QuantizedFamily<Q8Weights, Products>>,
                 product<QuantizedFamily<Q4Weights, Products>>,
                 Lanes4::scores<6, 2>,
                 Lanes4::softmax,
                 Lanes4::weighted_values<4, 4>,
                 Norm2::layer_norm};
}

}  // namespace

const Kernels* neon_kernels() {
  static const Kernels kernels = neon_set<WideningProducts>("neon");
  return &kernels;
}

const Kernels* neon_dotprod_kernels() {
  static const bool supported = (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
  static const Kernels kernels = neon_set<DotProducts>("neon-dotprod");
  return supported ? &kernels : nullptr;
}

}  // namespace tinyllm::infer

#else

namespace tinyllm::infer {
const Kernels* neon_kernels() {
  return nullptr;
}
const Kernels* neon_dotprod_kernels() {
  return nullptr;
}
}  // namespace tinyllm::infer

#endif
