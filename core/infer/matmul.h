// y = x W^T + b over the weight types of a GGUF file, threaded over output rows.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <vector>

#include "gguf/gguf.h"
#include "infer/kernels.h"
#include "infer/thread_pool.h"

namespace tinyllm::infer {

// A weight matrix inside the file's bytes: `rows` rows of `cols` values (ggml ne[1], ne[0]).
struct Matrix {
  gguf::TensorType type = gguf::TensorType::f32;
  const uint8_t* data = nullptr;
  size_t rows = 0, cols = 0;
  size_t row_bytes = 0;
  // Row r as floats into `out` (cols values): embedding lookups.
  void dequantize_row(size_t r, float* out) const;
};

// A Q8_0/Q4_0 matrix in a kernel set's packed layout (Kernels::pack_*), owned and 64-byte
// aligned; empty when the set has no packed products for the matrix's type.
class PackedMatrix {
 public:
  PackedMatrix() = default;
  PackedMatrix(const Matrix& w, const Kernels& kernels);
  const uint8_t* data() const { return data_.get(); }
  size_t bytes() const { return bytes_; }
  size_t group_bytes() const { return group_bytes_; }  // one group of kPackRows rows

 private:
  struct Free {
    void operator()(uint8_t* p) const { std::free(p); }
  };
  std::unique_ptr<uint8_t, Free> data_;
  size_t bytes_ = 0, group_bytes_ = 0;
};

// x's quantized blocks and their sums (Q8_0/Q4_0), reused across calls.
struct MatmulScratch {
  std::vector<ActivationBlock> blocks;
  std::vector<int32_t> block_sums;  // per block, the sum of its qs: packed products only
};

// y (tokens, w.rows) = x (tokens, w.cols) W^T + bias (bias may be null). One token is a
// matrix-vector product; more run as a blocked matrix-matrix product (a tile of weight rows
// meets every token while it is in cache). `packed` is w in the kernel set's packed layout, or
// null (or empty) for the file's layout.
void matmul(const Matrix& w, const PackedMatrix* packed, const float* bias, const float* x,
            size_t tokens, float* y, MatmulScratch& scratch, ThreadPool& pool,
            const Kernels& kernels);

}  // namespace tinyllm::infer
