// AdamW over the model's flat parameter buffer, the learning-rate schedule and gradient clipping:
// the policy of one optimizer step, in small named functions.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace tinyllm::train {

struct AdamWSettings {
  double beta1 = 0.9;
  double beta2 = 0.95;
  double eps = 1e-8;
  double weight_decay = 0.1;  // applied to flat[0, decay_count) only
};

// Decoupled weight decay Adam (Loshchilov & Hutter), the same arithmetic as torch.optim.AdamW,
// on one flat buffer: a handful of tensor ops per step however many parameters there are.
class AdamW {
 public:
  AdamW(torch::Tensor flat_params, int64_t decay_count, AdamWSettings settings);
  void step(const torch::Tensor& flat_grads, double lr);

  torch::Tensor& exp_avg() { return exp_avg_; }
  torch::Tensor& exp_avg_sq() { return exp_avg_sq_; }
  int64_t steps_taken() const { return t_; }
  void set_steps_taken(int64_t t) { t_ = t; }

 private:
  torch::Tensor params_;      // (N) the model's flat parameters (shared storage)
  torch::Tensor exp_avg_;     // (N) first moment
  torch::Tensor exp_avg_sq_;  // (N) second moment
  torch::Tensor denom_;       // (N) scratch
  int64_t decay_count_ = 0;
  AdamWSettings s_;
  int64_t t_ = 0;  // updates applied (skipped steps do not count)
};

struct Schedule {
  double lr = 1e-3;           // peak learning rate
  double min_lr_ratio = 0.1;  // the cosine ends at lr * min_lr_ratio
  int64_t warmup_steps = 100;
  int64_t total_steps = 1000;
};

// Learning rate for optimizer step `step` (0-based): linear warmup from lr/warmup to lr, then
// cosine decay to min_lr at total_steps.
double lr_at(int64_t step, const Schedule& schedule);

// Scales the gradients so their global L2 norm is at most max_norm (max_norm <= 0: no clipping).
// Returns the norm before clipping; NaN or inf when a gradient is not finite.
double clip_grad_norm(torch::Tensor& flat_grads, double max_norm);

}  // namespace tinyllm::train
