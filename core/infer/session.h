// A running context over a Model: the KV cache, scratch buffers and the thread pool. Tokens are
// fed at positions n_past() onwards; one call with many tokens is prompt processing (blocked
// matrix-matrix products), one token at a time is generation (matrix-vector products).
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "infer/kernels.h"
#include "infer/matmul.h"
#include "infer/model.h"
#include "infer/thread_pool.h"

namespace tinyllm::infer {

struct SessionOptions {
  int threads = 0;                   // <= 0: all cores
  const Kernels* kernels = nullptr;  // null: best_kernels()
};

class Session {
 public:
  // `model` must outlive the session.
  explicit Session(const Model& model, SessionOptions options = {});

  // Runs `count` tokens at positions n_past() .. n_past() + count - 1 and advances n_past().
  // logits() then holds the last token's logits, or every token's (count rows) with
  // `all_logits`. Fails on an id outside the vocabulary or past the context.
  Status eval(const int32_t* tokens, size_t count, bool all_logits = false);
  Status eval(const std::vector<int32_t>& tokens, bool all_logits = false) {
    return eval(tokens.data(), tokens.size(), all_logits);
  }
  // Row-major (rows, n_vocab) logits of the last eval.
  const std::vector<float>& logits() const { return logits_; }
  size_t n_past() const { return n_past_; }
  // Forgets positions >= n_past (the cache before them stays valid): scoring several answers
  // after one prompt, or starting over with 0.
  void rewind(size_t n_past) {
    if (n_past < n_past_) n_past_ = n_past;
  }
  const Model& model() const { return model_; }
  const Kernels& kernels() const { return *kernels_; }
  int threads() const { return pool_.size(); }

 private:
  void attention(size_t layer, size_t tokens);
  void gelu_rows(size_t tokens);
  void norm_rows(const float* x, size_t rows, const float* w, const float* b, float* out);

  const Model& model_;
  const Kernels* kernels_;
  ThreadPool pool_;
  size_t n_past_ = 0;
  // Keys (n_layer, C, n_ctx): transposed, so that attention's vector lanes are keys; values
  // (n_layer, n_ctx, C).
  std::vector<float> k_cache_, v_cache_;
  // Scratch, (tokens, width): residual stream, normed input, qkv, attention out, ffn hidden.
  std::vector<float> x_, h_, qkv_, att_, ff_, proj_;
  MatmulScratch matmul_scratch_;
  // The model's Q8_0/Q4_0 matrices in the kernel set's packed layout, where it has one.
  struct PackedBlock {
    PackedMatrix attn_qkv, attn_output, ffn_up, ffn_down;
  };
  std::vector<PackedBlock> packed_blocks_;
  PackedMatrix packed_output_;
  std::vector<float> logits_;
};

}  // namespace tinyllm::infer
