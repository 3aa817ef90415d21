// The GPT-2 model in libtorch, computed exactly as llama.cpp runs it (docs/formats-notes.md §1):
// learned positions, pre-LayerNorm blocks, fused QKV, tanh-GELU, tied embeddings, final LayerNorm.
//
// All parameters live in one flat fp32 buffer (and their gradients in another), each tensor a
// view in Hugging Face's layout (model/names.h). That makes the optimizer, gradient clipping and
// the DDP allreduce one operation each over the whole model, and checkpoints a copy per tensor.
// The 2-D matmul weights (the only ones AdamW decays) come first in the buffer.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "base/result.h"
#include "model/config.h"
#include "model/names.h"

namespace tinyllm::train {

struct Parameter {
  model::TensorSpec spec;
  torch::Tensor value;  // view into Gpt2::flat_params(), shape spec.shape, requires_grad
};

class Gpt2 {
 public:
  // Builds the model on `device` with GPT-2's initialization from `seed`.
  static Result<Gpt2> create(const model::ModelConfig& config, torch::Device device, uint64_t seed);

  // idx: (B, T) int64 token ids, T <= n_ctx. Returns logits (B, T, n_vocab).
  torch::Tensor forward(const torch::Tensor& idx) const;
  // The same with each token's position (B, T) int64 and an additive attention bias (B, T, T)
  // (0: may attend, -inf: may not) in place of the causal one: scoring a tree of answers after
  // one prompt in a single pass (task_data.h).
  torch::Tensor forward(const torch::Tensor& idx, const torch::Tensor& positions,
                        const torch::Tensor& attention_bias) const;
  // Mean cross-entropy of predicting targets (B, T) from idx (B, T). Targets of -1 carry no loss
  // (fine-tuning masks the prompt and the padding that way).
  torch::Tensor loss(const torch::Tensor& idx, const torch::Tensor& targets) const;

  const model::ModelConfig& config() const { return config_; }
  const std::vector<Parameter>& parameters() const { return params_; }
  const Parameter* find(const std::string& name) const;
  torch::Tensor& flat_params() { return flat_params_; }
  torch::Tensor& flat_grads() { return flat_grads_; }
  int64_t decay_count() const { return decay_count_; }
  torch::Device device() const { return flat_params_.device(); }

 private:
  struct Block {
    torch::Tensor ln1_w, ln1_b;    // (C), (C)
    torch::Tensor qkv_w, qkv_b;    // (C, 3C), (3C): Q, K, V column blocks, heads of hd columns
    torch::Tensor proj_w, proj_b;  // (C, C), (C)
    torch::Tensor ln2_w, ln2_b;    // (C), (C)
    torch::Tensor fc_w, fc_b;      // (C, F), (F)
    torch::Tensor out_w, out_b;    // (F, C), (C)
  };
  torch::Tensor attention(const torch::Tensor& h, const Block& b, const torch::Tensor& bias,
                          int64_t B, int64_t T) const;
  // x: (B*T, C) embeddings; bias: (B*H, T, T).
  torch::Tensor run(torch::Tensor x, const torch::Tensor& bias, int64_t B, int64_t T) const;

  model::ModelConfig config_;
  std::vector<Parameter> params_;
  torch::Tensor flat_params_;    // (N) every parameter
  torch::Tensor flat_grads_;     // (N) their gradients; each parameter's .grad() is a view
  int64_t decay_count_ = 0;      // flat_params_[0, decay_count_) are the decayed 2-D weights
  torch::Tensor wte_, wpe_;      // (V, C), (n_ctx, C)
  torch::Tensor lnf_w_, lnf_b_;  // (C), (C)
  std::vector<Block> blocks_;
  torch::Tensor causal_bias_;  // (n_ctx, n_ctx): 0 on and below the diagonal, -inf above
};

}  // namespace tinyllm::train
