// tinyllm_infer: the edge runtime's engine, plain C++17 (no Qt, no libtorch, no JSON library),
// so that it cross-compiles static for the Raspberry Pi.
//
// model.h: a GGUF file of arch gpt2 (core/gguf's export) loaded and checked into views of its
// tensors. The weights stay in the file's bytes (memory-mapped read-only by load(), so loading
// copies nothing) in the type they were written in, and are used as they are by the kernels
// (kernels.h).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "gguf/gguf.h"
#include "infer/matmul.h"

namespace tinyllm::infer {

struct Hyperparameters {
  int n_vocab = 0;
  int n_ctx = 0;
  int n_embd = 0;
  int n_ff = 0;
  int n_layer = 0;
  int n_head = 0;
  float norm_eps = 1e-5f;
  int head_dim() const { return n_embd / n_head; }
};

// One transformer block's tensors (C = n_embd, F = n_ff); 1-D tensors are always F32.
struct BlockWeights {
  const float* attn_norm_w = nullptr;  // (C)
  const float* attn_norm_b = nullptr;  // (C)
  Matrix attn_qkv;                     // (3C rows, C cols): q, k, v stacked
  const float* attn_qkv_b = nullptr;   // (3C)
  Matrix attn_output;                  // (C, C)
  const float* attn_output_b = nullptr;
  const float* ffn_norm_w = nullptr;
  const float* ffn_norm_b = nullptr;
  Matrix ffn_up;  // (F, C)
  const float* ffn_up_b = nullptr;
  Matrix ffn_down;  // (C, F)
  const float* ffn_down_b = nullptr;
};

class Model {
 public:
  // Maps the file (gguf::File::map) and checks it.
  static Result<Model> load(const std::filesystem::path& path);
  // From a file already read; errors name the file and the tensor or key.
  static Result<Model> from_file(gguf::File file);

  const Hyperparameters& hparams() const { return hp_; }
  const gguf::File& file() const { return *file_; }
  const Matrix& token_embd() const { return token_embd_; }       // (n_vocab, C)
  const float* position_embd() const { return position_embd_; }  // (n_ctx, C), F32
  const std::vector<BlockWeights>& blocks() const { return blocks_; }
  const float* output_norm_w() const { return output_norm_w_; }
  const float* output_norm_b() const { return output_norm_b_; }
  const Matrix& output() const { return output_; }  // (n_vocab, C)
  // The type most matrices have ("F32", "Q8_0", ...), from general.file_type's tensors.
  std::string weight_type() const;
  uint64_t parameter_count() const;

 private:
  Model() = default;
  std::unique_ptr<gguf::File> file_;  // owned on the heap: the views point into its bytes
  Hyperparameters hp_;
  Matrix token_embd_, output_;
  const float* position_embd_ = nullptr;
  const float* output_norm_w_ = nullptr;
  const float* output_norm_b_ = nullptr;
  std::vector<BlockWeights> blocks_;
};

}  // namespace tinyllm::infer
