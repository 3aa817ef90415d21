#include "infer/matmul.h"

#include <algorithm>
#include <new>

#include "gguf/quant.h"

namespace tinyllm::infer {
namespace {

// Weight rows per tile (kPackRows, a packed group): 16 rows of a 1024-wide Q8_0 matrix are ~17 KiB,
// well inside L1/L2 while every token of the prompt passes over them.
constexpr size_t kRowTile = 16;
// Below this many multiply-adds a product runs on the calling thread: waking the pool costs more.
constexpr size_t kMinParallelWork = 1u << 15;

static_assert(kRowTile == kPackRows, "a tile of rows is one packed group");

// The set's packing of w's type (and that layout in `type`), or null.
Kernels::Pack packing_of(const Matrix& w, const Kernels& kernels, PackedType& type) {
  switch (w.type) {
    case gguf::TensorType::f32:
      type = PackedType::f32;
      return kernels.pack_f32;
    case gguf::TensorType::f16:
      type = PackedType::f16;
      return kernels.pack_f16;
    case gguf::TensorType::q8_0:
      type = PackedType::q8_0;
      return kernels.pack_q8_0;
    case gguf::TensorType::q4_0:
      type = PackedType::q4_0;
      return kernels.pack_q4_0;
    default:
      return nullptr;
  }
}

}  // namespace

PackedMatrix::PackedMatrix(const Matrix& w, const Kernels& kernels) {
  PackedType type{};
  const Kernels::Pack pack = packing_of(w, kernels, type);
  if (!pack) return;
  // aligned_alloc wants a multiple of the alignment: every group is (64-byte vectors).
  bytes_ = packed_matrix_bytes(type, w.rows, w.cols);
  group_bytes_ = packed_group_bytes(type, w.cols);
  data_.reset(static_cast<uint8_t*>(std::aligned_alloc(64, bytes_)));
  if (!data_) throw std::bad_alloc();
  pack(w.data, w.row_bytes, w.rows, w.cols, data_.get());
}

void Matrix::dequantize_row(size_t r, float* out) const {
  const uint8_t* row = data + r * row_bytes;
  switch (type) {
    case gguf::TensorType::f32:
      std::copy_n(reinterpret_cast<const float*>(row), cols, out);
      break;
    case gguf::TensorType::f16:
      gguf::dequantize_f16(row, cols, out);
      break;
    case gguf::TensorType::q8_0:
      gguf::dequantize_q8_0(row, cols, out);
      break;
    case gguf::TensorType::q4_0:
      gguf::dequantize_q4_0(row, cols, out);
      break;
    default:
      std::fill_n(out, cols, 0.0f);  // Model::load admits only the four types above
  }
}

void matmul(const Matrix& w, const PackedMatrix* packed, const float* bias, const float* x,
            size_t tokens, float* y, MatmulScratch& scratch, ThreadPool& pool,
            const Kernels& kernels) {
  const size_t cols = w.cols, rows = w.rows;
  const bool quantized = w.type == gguf::TensorType::q8_0 || w.type == gguf::TensorType::q4_0;
  const uint8_t* packed_data = packed ? packed->data() : nullptr;
  const size_t blocks = cols / kBlock;
  if (quantized) {
    scratch.blocks.resize(tokens * blocks);
    for (size_t t = 0; t < tokens; ++t)
      kernels.quantize_activations(x + t * cols, cols, scratch.blocks.data() + t * blocks);
  }
  if (packed_data && quantized) {
    scratch.block_sums.resize(tokens * blocks);
    for (size_t i = 0; i < tokens * blocks; ++i) {
      int32_t sum = 0;
      for (int8_t q : scratch.blocks[i].qs)
        sum += q;
      scratch.block_sums[i] = sum;
    }
  }
  const ActivationBlock* xq = scratch.blocks.data();
  const int32_t* sums = scratch.block_sums.data();
  const size_t group_bytes = packed_data ? packed->group_bytes() : 0;
  // Each tile of rows meets every token while it is in cache; the kernel's register tiles
  // inside it load each weight block once for several tokens.
  auto run_tiles = [&](size_t tile_begin, size_t tile_end) {
    for (size_t tile = tile_begin; tile < tile_end; ++tile) {
      const size_t r0 = tile * kRowTile, r1 = std::min(rows, r0 + kRowTile);
      const uint8_t* tile_rows = w.data + r0 * w.row_bytes;
      float* out = y + r0;
      const float* tile_bias = bias ? bias + r0 : nullptr;
      if (packed_data) {  // the bias added in registers
        const uint8_t* group = packed_data + tile * group_bytes;
        switch (w.type) {
          case gguf::TensorType::f32:
            kernels.packed_product_f32(group, r1 - r0, tile_bias, x, cols, tokens, out, rows);
            break;
          case gguf::TensorType::f16:
            kernels.packed_product_f16(group, r1 - r0, tile_bias, x, cols, tokens, out, rows);
            break;
          case gguf::TensorType::q8_0:
            kernels.packed_product_q8_0(group, r1 - r0, tile_bias, xq, sums, blocks, tokens, out,
                                        rows);
            break;
          case gguf::TensorType::q4_0:
            kernels.packed_product_q4_0(group, r1 - r0, tile_bias, xq, sums, blocks, tokens, out,
                                        rows);
            break;
          default:
            break;
        }
      } else
        switch (w.type) {
          case gguf::TensorType::f32:
            kernels.product_f32(tile_rows, w.row_bytes, r1 - r0, x, cols, tokens, out, rows);
            break;
          case gguf::TensorType::f16:
            kernels.product_f16(tile_rows, w.row_bytes, r1 - r0, x, cols, tokens, out, rows);
            break;
          case gguf::TensorType::q8_0:
            kernels.product_q8_0(tile_rows, w.row_bytes, r1 - r0, xq, blocks, tokens, out, rows);
            break;
          case gguf::TensorType::q4_0:
            kernels.product_q4_0(tile_rows, w.row_bytes, r1 - r0, xq, blocks, tokens, out, rows);
            break;
          default:
            break;
        }
      if (bias && !packed_data)
        for (size_t t = 0; t < tokens; ++t)
          for (size_t r = r0; r < r1; ++r)
            y[t * rows + r] += bias[r];
    }
  };
  const size_t tiles = (rows + kRowTile - 1) / kRowTile;
  if (uint64_t(rows) * cols * tokens < kMinParallelWork)  // 64-bit: no wrap on 32-bit ARM
    run_tiles(0, tiles);
  else
    pool.parallel_for(tiles, run_tiles);
}

}  // namespace tinyllm::infer
