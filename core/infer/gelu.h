// GPT-2's GELU, the tanh approximation (torch's approximate="tanh"):
//   gelu(x) = 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
// over an array of floats, in place. It gives the same floats on every arch (x86-64, aarch64,
// armhf): only IEEE double additions, subtractions, multiplications, divisions and comparisons
// in a fixed order (no libm, no fused multiply-add: tinyllm_infer is built with
// -ffp-contract=off), plus exact integer operations to build a power of two. Within 0.51 ulp of
// the exact function over [-12, 12] (tests/test_infer.cpp measures it); gelu(+inf) = +inf,
// gelu(-inf) = -0 (the limit), NaN stays NaN. The loops are written so that GCC vectorizes
// them at -O2 and -O3.
#pragma once

#include <cstddef>

namespace tinyllm::infer {

void gelu(float* values, size_t n);

}  // namespace tinyllm::infer
