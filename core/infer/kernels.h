// The inner loops of the runtime: dot products of one weight row with one activation row, per
// weight type, as llama.cpp does them. Q8_0 and Q4_0 rows are dotted with activations quantized
// to 8 bits per 32-value block (integer products, one float multiply per block); F32 and F16 rows
// with float activations.
//
// Prompts run the matrix-matrix form, `product_*`: a block of weight rows against several tokens
// at once, register-tiled so that each weight block is loaded once for several tokens. Every
// value it writes equals the matching dot product bit for bit (the same operations in the same
// order), so a prompt gives the floats of its tokens fed one by one, and splitting rows over
// threads changes nothing.
//
// Every kernel set has the same functions: `reference_kernels()` is portable scalar code (the
// `_ref` twin that tests compare against), `avx2_kernels()` the x86-64 AVX2+FMA+F16C one where
// the CPU has it (checked at run time, so one binary runs everywhere).
#pragma once

#include <cstddef>
#include <cstdint>

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
  const char* name;  // "scalar", "avx2"
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
  // out[i] += p * v[i] for i < n, a multiply then an add per value: the same floats in every set
  // (attention's weighted sum of values).
  void (*add_scaled)(float* out, const float* v, float p, size_t n);
};

const Kernels& reference_kernels();
// nullptr when not built for x86-64 or when the CPU lacks AVX2, FMA or F16C.
const Kernels* avx2_kernels();
// The fastest set this CPU runs.
const Kernels& best_kernels();

}  // namespace tinyllm::infer
