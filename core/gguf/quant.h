// The number formats of GGUF tensors: F16 and the block quantizations Q8_0 and Q4_0, bit-exact
// with ggml's reference quantizers (quantize_row_q8_0_ref, quantize_row_q4_0_ref;
// ../shared/reference/gguf-gpt2.md §4), so llama.cpp reads our files as its own. Plain C++17.
//
//   Q8_0 block (34 bytes): fp16 d, int8 qs[32];            value = d * qs[j]
//   Q4_0 block (18 bytes): fp16 d, uint8 qs[16];           value j    = ((qs[j] & 15) - 8) * d
//                                                          value j+16 = ((qs[j] >> 4) - 8) * d
// Blocks run along a row (ggml's ne[0]) and never cross rows, so a row's length must be a
// multiple of 32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tinyllm::gguf {

inline constexpr size_t kQuantBlock = 32;
inline constexpr size_t kQ8_0BlockBytes = 2 + 32;
inline constexpr size_t kQ4_0BlockBytes = 2 + 16;

// IEEE binary16 from binary32: round to nearest even, overflow to infinity, NaN -> 0x7E00
// (ggml_compute_fp32_to_fp16).
uint16_t fp32_to_fp16(float value);
// Exact: every binary16 value (subnormals included) is a binary32 value.
float fp16_to_fp32(uint16_t bits);

// Encodes `count` floats (a multiple of 32 for the block types) into `out`, appending.
void quantize_f16(const float* values, size_t count, std::string& out);
void quantize_q8_0(const float* values, size_t count, std::string& out);
void quantize_q4_0(const float* values, size_t count, std::string& out);

// Decodes `count` values from `bytes` (which must hold them) into `out`.
void dequantize_f16(const uint8_t* bytes, size_t count, float* out);
void dequantize_q8_0(const uint8_t* bytes, size_t count, float* out);
void dequantize_q4_0(const uint8_t* bytes, size_t count, float* out);

}  // namespace tinyllm::gguf
