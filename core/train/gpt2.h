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

// Low-rank adapters (LoRA, Hu et al. 2021): a chosen matmul x W becomes
// x W + (alpha / rank) * dropout(x) A B, with A (in, rank) and B (rank, out) trained and W frozen.
// B starts at zero, so the adapted model starts exactly where the pre-trained one is.
struct LoraSettings {
  int rank = 0;  // 0: no adapters (full fine-tuning)
  double alpha = 16;
  double dropout = 0.05;
  // Weight names without ".weight", matched at a '.' boundary: "attn.c_attn" adapts every
  // block's QKV matmul, "h.3.mlp.c_fc" only block 3's. Only 2-D matmul weights can be adapted.
  std::vector<std::string> targets = {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"};
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

  // Freezes the weights and adds adapters on the targets (seeded A, zero B). Errors name a
  // target that matches no matmul weight.
  Status add_lora(const LoraSettings& settings, uint64_t seed);
  bool has_lora() const { return lora_.rank > 0; }
  const LoraSettings& lora() const { return lora_; }
  // "h.0.attn.c_attn.lora_A" (in, rank) and "...lora_B" (rank, out), in their own flat buffer.
  const std::vector<Parameter>& lora_parameters() const { return lora_params_; }
  int64_t lora_count() const { return has_lora() ? lora_flat_.numel() : 0; }
  // What the optimizer updates: the adapters when there are some, else every weight.
  const std::vector<Parameter>& trainable_parameters() const {
    return has_lora() ? lora_params_ : params_;
  }
  torch::Tensor& trainable_params() { return has_lora() ? lora_flat_ : flat_params_; }
  torch::Tensor& trainable_grads() { return has_lora() ? lora_grads_ : flat_grads_; }
  int64_t trainable_decay_count() const { return has_lora() ? 0 : decay_count_; }
  // The weight as a plain GPT-2 would hold it: W + (alpha / rank) A B for an adapted one (the
  // checkpoint's model.safetensors, so that evaluation and export need no adapters).
  torch::Tensor merged(const Parameter& parameter) const;
  // Reseeds adapter dropout, so that a step's masks depend only on (seed, step): resume is exact.
  void reseed_dropout(uint64_t seed);

 private:
  struct Block {
    torch::Tensor ln1_w, ln1_b;    // (C), (C)
    torch::Tensor qkv_w, qkv_b;    // (C, 3C), (3C): Q, K, V column blocks, heads of hd columns
    torch::Tensor proj_w, proj_b;  // (C, C), (C)
    torch::Tensor ln2_w, ln2_b;    // (C), (C)
    torch::Tensor fc_w, fc_b;      // (C, F), (F)
    torch::Tensor out_w, out_b;    // (F, C), (C)
    // Adapters of qkv_w, proj_w, fc_w, out_w: indices into adapters_, -1 for none.
    int qkv_lora = -1, proj_lora = -1, fc_lora = -1, out_lora = -1;
  };
  struct Adapter {
    std::string weight;  // the adapted weight's name
    torch::Tensor a, b;  // views into lora_flat_
  };
  // x W + bias, plus the adapter's low-rank update when `adapter` >= 0.
  torch::Tensor linear(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& bias,
                       int adapter) const;
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
  LoraSettings lora_{.rank = 0};
  std::vector<Adapter> adapters_;
  std::vector<Parameter> lora_params_;
  torch::Tensor lora_flat_, lora_grads_;
  // Dropout masks come from this generator (CPU), only while gradients are recorded: dropout
  // regularizes training, and validation, sampling and scoring see the whole model.
  mutable at::Generator dropout_gen_;
};

}  // namespace tinyllm::train
