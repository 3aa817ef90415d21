// The inner loops of the runtime: dot products of one weight row with one activation row, per
// weight type, as llama.cpp does them. Q8_0 and Q4_0 rows are dotted with activations quantized
// to 8 bits per 32-value block (integer products, one float multiply per block); F32 and F16 rows
// with float activations.
//
// Prompts run the matrix-matrix form, `product_*`: a block of weight rows against several tokens
// at once, register-tiled so that each weight block is loaded once for several tokens. Every
// value it writes equals the matching dot product bit for bit (the same operations in the same
// order), so a prompt gives the floats of its tokens fed one by one, and splitting rows over
// threads changes nothing. That holds within every set.
//
// Across sets: `reference_kernels()` is portable scalar code (the `_ref` twin that every set is
// tested against). A set with `reference_bits` gives its floats bit for bit (the NEON sets: each
// vector lane is one (row, token) pair summed in the reference's order); the x86-64 sets sum a
// row's floats 8 lanes at a time with fused multiply-adds, so their dot products differ from the
// reference's in the last bits (within 1e-5 of the sum of |products|), while their activation
// quantizer and the attention loops are exact. The sets:
//   "scalar"        reference_kernels(), everywhere
//   "avx2"          x86-64 AVX2 + FMA + F16C
//   "avx512-vnni"   the AVX2 set with VPDPBUSD for the Q8_0/Q4_0 integer products and wider
//                   tiles (AVX-512 F, BW, VL and VNNI): exactly the AVX2 set's floats; plus
//                   packed Q8_0/Q4_0 products (below), the reference's floats, which sessions use
//   "neon"          aarch64 Advanced SIMD (Armv8.0: Raspberry Pi 3 and 4)
//   "neon-dotprod"  the NEON set with SDOT for the integer products (Armv8.2 dot product: Pi 5)
// Each is checked at run time (cpuid, getauxval), so one binary runs on every CPU of its arch.
// armhf (32-bit ARM) runs the scalar set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace tinyllm::infer {

inline constexpr size_t kBlock = 32;  // values per Q8_0/Q4_0 block

// An activation block: like ggml's block_q8_0 but with a float scale, which costs 2 bytes and
// keeps the activation's rounding to the int8 values alone.
struct ActivationBlock {
  float d;        // scale: value = d * qs[j]
  int8_t qs[32];  // round(value / d), |qs| <= 127
};
static_assert(sizeof(ActivationBlock) == 36, "ActivationBlock must be packed as 4 + 32 bytes");

// Weight blocks are read from the file's bytes as ggml lays them out (quant.h):
//   Q8_0: fp16 d, int8 qs[32] (34 bytes);  Q4_0: fp16 d, uint8 qs[16] (18 bytes).

struct Kernels {
  const char* name;     // "scalar", "avx2", "avx512-vnni", "neon", "neon-dotprod"
  bool reference_bits;  // every function gives reference_kernels()' floats bit for bit
  // Quantizes `n` floats (a multiple of kBlock) into n / kBlock blocks.
  void (*quantize_activations)(const float* x, size_t n, ActivationBlock* out);
  float (*dot_f32)(const float* w, const float* x, size_t n);
  float (*dot_f16)(const uint16_t* w, const float* x, size_t n);
  // `blocks` weight blocks (raw bytes) against as many activation blocks.
  float (*dot_q8_0)(const uint8_t* w, const ActivationBlock* x, size_t blocks);
  float (*dot_q4_0)(const uint8_t* w, const ActivationBlock* x, size_t blocks);
  // y[t * y_stride + r] = dot(weight row r, token t) for r < rows, t < tokens; weight row r
  // starts at w + r * row_bytes, token t at x + t * cols (floats) or x + t * blocks (blocks).
  void (*product_f32)(const uint8_t* w, size_t row_bytes, size_t rows, const float* x, size_t cols,
                      size_t tokens, float* y, size_t y_stride);
  void (*product_f16)(const uint8_t* w, size_t row_bytes, size_t rows, const float* x, size_t cols,
                      size_t tokens, float* y, size_t y_stride);
  void (*product_q8_0)(const uint8_t* w, size_t row_bytes, size_t rows, const ActivationBlock* x,
                       size_t blocks, size_t tokens, float* y, size_t y_stride);
  void (*product_q4_0)(const uint8_t* w, size_t row_bytes, size_t rows, const ActivationBlock* x,
                       size_t blocks, size_t tokens, float* y, size_t y_stride);
  // Attention of one head (attention_lanes.h): the same floats in every set, the reference's.
  // Scores: s[q * s_stride + j] = sum over d < D in order of queries[q * q_stride + d] *
  // keys_t[d * k_stride + j] (keys transposed: a row per dimension), j < keys, q < n_queries.
  void (*attention_scores)(const float* keys_t, size_t k_stride, size_t keys, const float* queries,
                           size_t q_stride, size_t D, size_t n_queries, float* s, size_t s_stride);
  // s[j] = e^(scale s[j] - top) / total over j < n: top the largest, total 16 partial sums.
  void (*softmax)(float* s, size_t n, float scale);
  // out[q * out_stride + d] = sum over j < keys0 + q in order of p[q * p_stride + j] *
  // values[j * v_stride + d], d < D, q < n_queries (query q sees one key more than q - 1).
  void (*weighted_values)(const float* values, size_t v_stride, size_t D, const float* p,
                          size_t p_stride, size_t keys0, size_t n_queries, float* out,
                          size_t out_stride);
  // out = layer norm of the C values at x, weights w, biases b (layer_norm_lanes.h: mean and
  // variance in double over 8 partial sums): the same floats in every set, the reference's.
  void (*layer_norm)(const float* x, const float* w, const float* b, size_t C, float eps,
                     float* out);

  // Optional (nullptr where a set has none): weight matrices repacked once, when a session
  // starts, into groups of kPackRows rows interleaved so that one vector holds a value (float) or
  // 4 values (Q8_0/Q4_0) of each of 16 rows, and one vector lane is one row. Packed products then
  // add into a row's lane without horizontal sums, with few instructions per value:
  // - F32/F16: y = the row's products summed in order with fused multiply-adds
  //   (sum = fma(w[k], x[k], sum) for k = 0, 1, ...);
  // - Q8_0/Q4_0: the reference's dot product, bit for bit (a lane holds a block's integer sum).
  // pack_*: `rows` rows of `cols` values (raw file bytes, row r at w + r * row_bytes) into
  // packed_matrix_bytes(type, rows, cols) bytes at `out` (64-byte aligned).
  using Pack = void (*)(const uint8_t* w, size_t row_bytes, size_t rows, size_t cols, uint8_t* out);
  Pack pack_f32 = nullptr, pack_f16 = nullptr, pack_q8_0 = nullptr, pack_q4_0 = nullptr;
  // One group: y[t * y_stride + r] = dot(row r, token t) (+ bias[r], one rounded add, unless bias
  // is null) for r < rows (<= kPackRows), t < tokens; token t at x + t * cols (floats) or
  // x + t * blocks (blocks). x_sums[t * blocks + b] is the sum of token t's block b's qs (the
  // unsigned operand's offset).
  using PackedFloatProduct = void (*)(const uint8_t* group, size_t rows, const float* bias,
                                      const float* x, size_t cols, size_t tokens, float* y,
                                      size_t y_stride);
  using PackedQuantizedProduct = void (*)(const uint8_t* group, size_t rows, const float* bias,
                                          const ActivationBlock* x, const int32_t* x_sums,
                                          size_t blocks, size_t tokens, float* y, size_t y_stride);
  PackedFloatProduct packed_product_f32 = nullptr, packed_product_f16 = nullptr;
  PackedQuantizedProduct packed_product_q8_0 = nullptr, packed_product_q4_0 = nullptr;
};

// The packed layout (kernels_avx512_packed.cpp), per group of kPackRows rows (a last group's
// missing rows are zeros): F32/F16: per column the 16 rows' values (64/32 bytes); Q8_0/Q4_0: per
// block the 16 rows' float scales (64 bytes), then their values 4 per row per 64 bytes: Q8_0 as
// unsigned bytes (value + 128, 8 x 64 bytes), Q4_0 as nibbles (4 x 64 bytes).
enum class PackedType { f32, f16, q8_0, q4_0 };
inline constexpr size_t kPackRows = 16;
inline constexpr size_t kPackedQ8BlockBytes = 64 + 8 * 64;  // one group's block
inline constexpr size_t kPackedQ4BlockBytes = 64 + 4 * 64;
inline size_t packed_group_bytes(PackedType type, size_t cols) {
  switch (type) {
    case PackedType::f32:
      return cols * 64;
    case PackedType::f16:
      return cols * 32;
    case PackedType::q8_0:
      return cols / kBlock * kPackedQ8BlockBytes;
    case PackedType::q4_0:
      return cols / kBlock * kPackedQ4BlockBytes;
  }
  return 0;
}
inline size_t packed_matrix_bytes(PackedType type, size_t rows, size_t cols) {
  return (rows + kPackRows - 1) / kPackRows * packed_group_bytes(type, cols);
}

const Kernels& reference_kernels();
// Each: nullptr when not built for its arch or when the CPU lacks what it needs.
const Kernels* avx2_kernels();
const Kernels* avx512_vnni_kernels();
const Kernels* neon_kernels();
const Kernels* neon_dotprod_kernels();
// Every set this binary has that this CPU runs, the reference first and the fastest last.
std::vector<const Kernels*> kernel_sets();
// The fastest set this CPU runs (the last of kernel_sets()).
const Kernels& best_kernels();
// The set called `name` (a Kernels::name), or nullptr when this binary or CPU has none.
const Kernels* kernels_named(std::string_view name);

}  // namespace tinyllm::infer
