// GELU (tanh approximation) in double arithmetic, rounded once to float.
//
// The form: 0.5 (1 + tanh(u)) = sigmoid(2u), so gelu(x) = x sigmoid(z) with
// z = 2 sqrt(2/pi) (x + 0.044715 x^3). With w = -|z| and E = e^w (<= 1, never overflows):
//   z > 0:  gelu(x) = x / (1 + E)        z <= 0:  gelu(x) = x E / (1 + E)
// Neither form cancels: 1 + tanh(u) computed as written loses every bit once tanh(u) rounds to
// -1 (x below about -5 in float, -7 in double), while gelu(x) stays a normal float down to
// x = -10.3.
//
// Why double: down there z reaches -110, and e^z's relative error is |z| times z's absolute
// error, so z needs about 7 bits more than float's 24 to keep the result within an ulp. In
// double every step's error stays below 1e-11 of the result, which is then rounded once to
// float: within 0.51 ulp of the exact function. Exact operations only (+ - * / comparisons in
// a fixed order, integer bit operations), so every arch gives the same floats.
#include "infer/gelu.h"

#include <cmath>
#include <cstdint>
#include <cstring>

namespace tinyllm::infer {
namespace {

constexpr double kZLinear = 2 * 0.7978845608028654;  // 2 sqrt(2/pi)
constexpr double kZCubic = kZLinear * 0.044715;
constexpr double kInvLn2 = 1.4426950408889634;
// ln 2 as fdlibm splits it: the high part's low 32 bits are zero, so k * kLn2Hi is exact.
constexpr double kLn2Hi = 6.93147180369123816490e-01;
constexpr double kLn2Lo = 1.90821492927058770002e-10;
// Adding and subtracting 1.5 * 2^52 rounds a double of magnitude < 2^51 to an integer (the
// default round-to-nearest); the integer is then the low bits of the sum's representation.
constexpr double kRoundToInteger = 6755399441055744.0;
// Below x = -11 gelu(x) rounds to -0 in float (|gelu(-11)| is about 1.5e-48), so x is clamped
// there; e^-120 vanishes next to 1 in double, so w is clamped there (|x| > 11 and infinities
// stay out of the range reduction).
constexpr double kMinX = -11.0;
constexpr double kMinW = -120.0;

// Values per block. Fixed trip counts let GCC vectorize both loops at -O2 (its "very cheap"
// cost model vectorizes no loop that needs a scalar epilogue).
constexpr size_t kBlockValues = 16;

// Built three times on x86-64 (AVX-512, AVX2, the SSE2 baseline; GCC picks one per CPU when the
// program starts): wider vectors, the same operations, so the same floats (no fused multiply-add:
// -ffp-contract=off).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void gelu_block(float* values) {
  double xs[kBlockValues], ws[kBlockValues], positive[kBlockValues];
  // The argument, and the selects as the last statements of the loop: GCC if-converts those,
  // not selects whose arms it could specialize (floating-point operations that may trap are
  // never moved out of a branch).
  for (size_t i = 0; i < kBlockValues; ++i) {
    const double x = values[i];
    const double z = x * (kZLinear + kZCubic * (x * x));
    const double w = -std::fabs(z);  // a sign-bit operation, not a libm call
    positive[i] = z > 0 ? 1.0 : 0.0;
    ws[i] = w < kMinW ? kMinW : w;
    xs[i] = x < kMinX ? kMinX : x;  // keeps NaN and +inf
  }
  for (size_t i = 0; i < kBlockValues; ++i) {
    // e^w = 2^k e^r: k = round(w / ln 2), |r| <= ln(2) / 2, e^r by its Taylor series to r^9
    // (the rest is below 7e-12 of it).
    const double w = ws[i];
    const double shifted = w * kInvLn2 + kRoundToInteger;
    const double k = shifted - kRoundToInteger;
    const double r = (w - k * kLn2Hi) - k * kLn2Lo;
    double p = 1.0 / 362880;
    p = p * r + 1.0 / 40320;
    p = p * r + 1.0 / 5040;
    p = p * r + 1.0 / 720;
    p = p * r + 1.0 / 120;
    p = p * r + 1.0 / 24;
    p = p * r + 1.0 / 6;
    p = p * r + 0.5;
    p = p * r + 1.0;
    p = p * r + 1.0;
    // 2^k from its bits: k (-174 <= k <= 0) sits in the low bits of `shifted`; the shift keeps
    // k + 1023 as the exponent field.
    uint64_t bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    bits = (bits + 1023) << 52;
    double two_to_k;
    std::memcpy(&two_to_k, &bits, sizeof two_to_k);
    const double e = p * two_to_k;
    // The numerator's factor, 1 or E, blended with weights 0 and 1 (exact: E is finite).
    const double factor = positive[i] + (1.0 - positive[i]) * e;
    values[i] = float(xs[i] * factor / (1.0 + e));
  }
}

}  // namespace

void gelu(float* values, size_t n) {
  size_t i = 0;
  for (; i + kBlockValues <= n; i += kBlockValues)
    gelu_block(values + i);
  if (i < n) {
    float tail[kBlockValues] = {};
    std::memcpy(tail, values + i, (n - i) * sizeof(float));
    gelu_block(tail);
    std::memcpy(values + i, tail, (n - i) * sizeof(float));
  }
}

}  // namespace tinyllm::infer
