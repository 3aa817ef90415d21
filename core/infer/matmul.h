// y = x W^T + b over the weight types of a GGUF file, threaded over output rows.
#pragma once

#include <cstddef>
#include <cstdint>
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

// y (tokens, w.rows) = x (tokens, w.cols) W^T + bias (bias may be null). One token is a
// matrix-vector product; more run as a blocked matrix-matrix product (a tile of weight rows
// meets every token while it is in cache). `scratch` holds x's quantized blocks for Q8_0/Q4_0.
void matmul(const Matrix& w, const float* bias, const float* x, size_t tokens, float* y,
            std::vector<ActivationBlock>& scratch, ThreadPool& pool, const Kernels& kernels);

}  // namespace tinyllm::infer
