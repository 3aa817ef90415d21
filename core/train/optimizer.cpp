#include "train/optimizer.h"

#include <cmath>

namespace tinyllm::train {

AdamW::AdamW(torch::Tensor flat_params, int64_t decay_count, AdamWSettings settings)
    : params_(std::move(flat_params)), decay_count_(decay_count), s_(settings) {
  exp_avg_ = torch::zeros_like(params_);
  exp_avg_sq_ = torch::zeros_like(params_);
  denom_ = torch::empty_like(params_);
}

void AdamW::step(const torch::Tensor& grads, double lr) {
  torch::NoGradGuard no_grad;
  ++t_;
  if (s_.weight_decay > 0 && decay_count_ > 0)
    params_.narrow(0, 0, decay_count_).mul_(1.0 - lr * s_.weight_decay);
  exp_avg_.lerp_(grads, 1.0 - s_.beta1);
  exp_avg_sq_.mul_(s_.beta2).addcmul_(grads, grads, 1.0 - s_.beta2);
  const double bias1 = 1.0 - std::pow(s_.beta1, double(t_));
  const double bias2 = 1.0 - std::pow(s_.beta2, double(t_));
  torch::sqrt_out(denom_, exp_avg_sq_);
  denom_.div_(std::sqrt(bias2)).add_(s_.eps);
  params_.addcdiv_(exp_avg_, denom_, -lr / bias1);
}

double lr_at(int64_t step, const Schedule& s) {
  // 1) warmup: linear up to the peak
  if (step < s.warmup_steps) return s.lr * double(step + 1) / double(s.warmup_steps);
  const double min_lr = s.lr * s.min_lr_ratio;
  // 2) past the end: hold the minimum
  if (step >= s.total_steps) return min_lr;
  // 3) between: cosine from lr down to min_lr
  const double span = double(std::max<int64_t>(1, s.total_steps - s.warmup_steps));
  const double progress = double(step - s.warmup_steps) / span;
  return min_lr + 0.5 * (1.0 + std::cos(M_PI * progress)) * (s.lr - min_lr);
}

double clip_grad_norm(torch::Tensor& grads, double max_norm) {
  torch::NoGradGuard no_grad;
  const double norm = grads.norm().item<double>();
  if (max_norm > 0 && std::isfinite(norm) && norm > max_norm) grads.mul_(max_norm / (norm + 1e-6));
  return norm;
}

}  // namespace tinyllm::train
