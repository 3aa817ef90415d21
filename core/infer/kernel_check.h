// A self-test of a kernel set on the CPU it runs on: every function against reference_kernels()
// on fixed and seeded random inputs. `tinyllm-run kernels` runs it for every set the binary has
// (on a device, or under qemu for the ARM sets), and test_infer for the sets of the build machine.
//
// What it requires of a set (kernels.h):
// - quantize_activations and the attention loops (1-15 queries, 1-70 keys, head sizes 1-300):
//   the reference's bits;
// - product_*: each value the set's own dot product's bits, for 1-9 rows and 1-7 tokens (every
//   tile shape and remainder), outputs outside the rows untouched;
// - dot_*: the reference's bits where the set says `reference_bits`, else within 1e-5 of the sum
//   of |products| (floats summed in another order);
// - packed products (sets that have them), for 1-33 rows (part of, one and two groups and a row)
//   and 1-15 tokens, nothing past their rows: Q8_0/Q4_0 the reference's dot products bit for bit,
//   F32/F16 the bits of a row's products summed in order with fused multiply-adds (std::fma).
#pragma once

#include <cstddef>
#include <string>

#include "infer/kernels.h"

namespace tinyllm::infer {

struct KernelCheck {
  size_t values = 0;     // values compared
  std::string mismatch;  // the first difference found ("" when none)
  bool passed() const { return mismatch.empty(); }
};

KernelCheck check_kernels(const Kernels& set);

}  // namespace tinyllm::infer
