#include "gguf/quant.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tinyllm::gguf {

namespace {

uint32_t bits_of(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof bits);
  return bits;
}

float float_of(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

void put_u16(uint16_t value, std::string& out) {
  out.push_back(static_cast<char>(value & 0xFF));
  out.push_back(static_cast<char>(value >> 8));
}

uint16_t get_u16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

}  // namespace

uint16_t fp32_to_fp16(float value) {
  const uint32_t x = bits_of(value);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000);
  const uint32_t abs = x & 0x7FFFFFFF;
  if (abs > 0x7F800000) return 0x7E00;          // NaN (ggml drops sign and payload)
  if (abs >= 0x477FF000) return sign | 0x7C00;  // rounds to >= 65520: infinity
  if (abs >= 0x38800000) {                      // normal in binary16 (>= 2^-14)
    const uint32_t mantissa = abs & 0x7FFFFF;
    const uint32_t exponent = (abs >> 23) - 127 + 15;
    uint32_t half = (exponent << 10) | (mantissa >> 13);
    const uint32_t rest = mantissa & 0x1FFF;                      // the 13 bits dropped
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1))) ++half;  // a carry may bump the exponent
    return static_cast<uint16_t>(sign | half);
  }
  if (abs < 0x33000000) return sign;  // below half the smallest subnormal (2^-25): zero
  // Subnormal: value = m * 2^-24, m in [0, 1024]; shift the full 24-bit significand.
  const uint32_t exponent = abs >> 23;
  const uint32_t significand = (abs & 0x7FFFFF) | 0x800000;
  const uint32_t shift = 126 - exponent;  // 14..24 for exponents 102..112
  uint32_t half = significand >> shift;
  const uint32_t rest = significand & ((1u << shift) - 1);
  const uint32_t halfway = 1u << (shift - 1);
  if (rest > halfway || (rest == halfway && (half & 1))) ++half;
  return static_cast<uint16_t>(sign | half);
}

float fp16_to_fp32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1F;
  const uint32_t mantissa = bits & 0x3FF;
  if (exponent == 0x1F) return float_of(sign | 0x7F800000 | (mantissa << 13));
  if (exponent != 0) return float_of(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
  // Subnormal or zero: mantissa * 2^-24, exact in binary32.
  const float magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  return sign ? -magnitude : magnitude;
}

void quantize_f16(const float* values, size_t count, std::string& out) {
  out.reserve(out.size() + count * 2);
  for (size_t i = 0; i < count; ++i)
    put_u16(fp32_to_fp16(values[i]), out);
}

void quantize_q8_0(const float* values, size_t count, std::string& out) {
  out.reserve(out.size() + count / kQuantBlock * kQ8_0BlockBytes);
  for (size_t b = 0; b + kQuantBlock <= count; b += kQuantBlock) {
    const float* x = values + b;
    float amax = 0.0f;
    for (size_t j = 0; j < kQuantBlock; ++j)
      amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;  // of the fp32 d, as ggml does
    put_u16(fp32_to_fp16(d), out);
    for (size_t j = 0; j < kQuantBlock; ++j)
      out.push_back(static_cast<char>(static_cast<int8_t>(std::roundf(x[j] * id))));
  }
}

void quantize_q4_0(const float* values, size_t count, std::string& out) {
  out.reserve(out.size() + count / kQuantBlock * kQ4_0BlockBytes);
  for (size_t b = 0; b + kQuantBlock <= count; b += kQuantBlock) {
    const float* x = values + b;
    float amax = 0.0f, max = 0.0f;  // max: the signed value of largest magnitude, first wins
    for (size_t j = 0; j < kQuantBlock; ++j) {
      if (amax < std::fabs(x[j])) {
        amax = std::fabs(x[j]);
        max = x[j];
      }
    }
    const float d = max / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    put_u16(fp32_to_fp16(d), out);
    for (size_t j = 0; j < kQuantBlock / 2; ++j) {
      // The C cast truncates toward zero; x*id + 8.5 lies in [0.5, 16.5].
      const int lo = std::min(15, static_cast<int>(static_cast<int8_t>(x[j] * id + 8.5f)));
      const int hi = std::min(15, static_cast<int>(static_cast<int8_t>(x[j + 16] * id + 8.5f)));
      out.push_back(static_cast<char>(lo | (hi << 4)));
    }
  }
}

void dequantize_f16(const uint8_t* bytes, size_t count, float* out) {
  for (size_t i = 0; i < count; ++i)
    out[i] = fp16_to_fp32(get_u16(bytes + 2 * i));
}

void dequantize_q8_0(const uint8_t* bytes, size_t count, float* out) {
  for (size_t b = 0; b < count / kQuantBlock; ++b) {
    const uint8_t* block = bytes + b * kQ8_0BlockBytes;
    const float d = fp16_to_fp32(get_u16(block));
    for (size_t j = 0; j < kQuantBlock; ++j)
      out[b * kQuantBlock + j] = d * static_cast<float>(static_cast<int8_t>(block[2 + j]));
  }
}

void dequantize_q4_0(const uint8_t* bytes, size_t count, float* out) {
  for (size_t b = 0; b < count / kQuantBlock; ++b) {
    const uint8_t* block = bytes + b * kQ4_0BlockBytes;
    const float d = fp16_to_fp32(get_u16(block));
    for (size_t j = 0; j < kQuantBlock / 2; ++j) {
      out[b * kQuantBlock + j] = static_cast<float>((block[2 + j] & 0x0F) - 8) * d;
      out[b * kQuantBlock + j + 16] = static_cast<float>((block[2 + j] >> 4) - 8) * d;
    }
  }
}

}  // namespace tinyllm::gguf
