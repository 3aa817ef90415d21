#include "infer/session.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tinyllm::infer {
namespace {

void layer_norm(const float* x, const float* w, const float* b, size_t C, float eps, float* out) {
  double mean = 0, var = 0;
  for (size_t c = 0; c < C; ++c)
    mean += x[c];
  mean /= double(C);
  for (size_t c = 0; c < C; ++c)
    var += (x[c] - mean) * (x[c] - mean);
  var /= double(C);  // biased, as torch's layer_norm
  const float inv = float(1.0 / std::sqrt(var + double(eps)));
  for (size_t c = 0; c < C; ++c)
    out[c] = (x[c] - float(mean)) * inv * w[c] + b[c];
}

// GELU with the tanh approximation (GPT-2's, torch's approximate="tanh"). tanh in double,
// rounded to float: glibc's tanhf on aarch64 differs from x86_64's in the last bit, its double
// tanh rounds to the same float, so every runtime computes the same activations.
float gelu(float x) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  const float t = float(std::tanh(double(kSqrt2OverPi * (x + 0.044715f * x * x * x))));
  return 0.5f * x * (1.0f + t);
}

}  // namespace

Session::Session(const Model& model, SessionOptions options)
    : model_(model),
      kernels_(options.kernels ? options.kernels : &best_kernels()),
      pool_(options.threads) {
  const auto& hp = model.hparams();
  const size_t cache = size_t(hp.n_layer) * size_t(hp.n_ctx) * size_t(hp.n_embd);
  k_cache_.assign(cache, 0.0f);
  v_cache_.assign(cache, 0.0f);
  for (const BlockWeights& b : model.blocks())
    packed_blocks_.push_back(
        {PackedMatrix(b.attn_qkv, *kernels_), PackedMatrix(b.attn_output, *kernels_),
         PackedMatrix(b.ffn_up, *kernels_), PackedMatrix(b.ffn_down, *kernels_)});
  packed_output_ = PackedMatrix(model.output(), *kernels_);
}

// Causal attention of `tokens` new queries (at n_past_ ..) over the cache, in parallel over
// (token, head) pairs. q is in qkv_, the output goes to att_.
void Session::attention(size_t layer, size_t tokens) {
  const auto& hp = model_.hparams();
  const size_t C = size_t(hp.n_embd), H = size_t(hp.n_head), D = size_t(hp.head_dim());
  const float* keys = k_cache_.data() + layer * size_t(hp.n_ctx) * C;
  const float* values = v_cache_.data() + layer * size_t(hp.n_ctx) * C;
  const float scale = 1.0f / std::sqrt(float(D));
  const size_t first = n_past_;
  auto run = [&](size_t begin, size_t end) {
    std::vector<float> weights(first + tokens);
    for (size_t item = begin; item < end; ++item) {
      const size_t t = item / H, h = item % H;
      const size_t span = first + t + 1;  // positions this query sees
      const float* q = qkv_.data() + t * 3 * C + h * D;
      // Scores of every visible key: the product's rows are the keys of head h (C floats
      // apart), its one token the query; each score is dot_f32's, bit for bit.
      kernels_->product_f32(reinterpret_cast<const uint8_t*>(keys + h * D), C * sizeof(float), span,
                            q, D, 1, weights.data(), span);
      float top = -INFINITY;
      for (size_t j = 0; j < span; ++j) {
        weights[j] *= scale;
        top = std::max(top, weights[j]);
      }
      float total = 0;
      for (size_t j = 0; j < span; ++j)
        total += (weights[j] = std::exp(weights[j] - top));
      float* out = att_.data() + t * C + h * D;
      std::fill_n(out, D, 0.0f);
      for (size_t j = 0; j < span; ++j)
        kernels_->add_scaled(out, values + j * C + h * D, weights[j] / total, D);
    }
  };
  const size_t items = tokens * H;
  if (uint64_t(items) * (first + tokens) * D < (1u << 15))
    run(0, items);
  else
    pool_.parallel_for(items, run);
}

Status Session::eval(const int32_t* tokens, size_t count, bool all_logits) {
  const auto& hp = model_.hparams();
  if (count == 0) return make_error("eval", "no tokens to evaluate");
  if (n_past_ + count > size_t(hp.n_ctx))
    return make_error("eval", std::to_string(n_past_ + count) +
                                  " tokens do not fit the model's context of " +
                                  std::to_string(hp.n_ctx));
  for (size_t t = 0; t < count; ++t)
    if (tokens[t] < 0 || tokens[t] >= hp.n_vocab)
      return make_error("eval", "token id " + std::to_string(tokens[t]) +
                                    " is outside the vocabulary (" + std::to_string(hp.n_vocab) +
                                    ")");
  const size_t C = size_t(hp.n_embd), F = size_t(hp.n_ff), V = size_t(hp.n_vocab);
  x_.resize(count * C);
  h_.resize(count * C);
  qkv_.resize(count * 3 * C);
  att_.resize(count * C);
  proj_.resize(count * C);
  ff_.resize(count * F);

  // Token plus position embedding.
  for (size_t t = 0; t < count; ++t) {
    float* x = x_.data() + t * C;
    model_.token_embd().dequantize_row(size_t(tokens[t]), x);
    const float* pos = model_.position_embd() + (n_past_ + t) * C;
    for (size_t c = 0; c < C; ++c)
      x[c] += pos[c];
  }
  for (size_t layer = 0; layer < model_.blocks().size(); ++layer) {
    const BlockWeights& b = model_.blocks()[layer];
    const PackedBlock& pb = packed_blocks_[layer];
    for (size_t t = 0; t < count; ++t)
      layer_norm(x_.data() + t * C, b.attn_norm_w, b.attn_norm_b, C, hp.norm_eps,
                 h_.data() + t * C);
    matmul(b.attn_qkv, &pb.attn_qkv, b.attn_qkv_b, h_.data(), count, qkv_.data(), matmul_scratch_,
           pool_, *kernels_);
    // Keys and values of the new tokens into the cache.
    const size_t base = layer * size_t(hp.n_ctx) * C;
    for (size_t t = 0; t < count; ++t) {
      const float* row = qkv_.data() + t * 3 * C;
      std::copy_n(row + C, C, k_cache_.data() + base + (n_past_ + t) * C);
      std::copy_n(row + 2 * C, C, v_cache_.data() + base + (n_past_ + t) * C);
    }
    attention(layer, count);
    matmul(b.attn_output, &pb.attn_output, b.attn_output_b, att_.data(), count, proj_.data(),
           matmul_scratch_, pool_, *kernels_);
    for (size_t i = 0; i < count * C; ++i)
      x_[i] += proj_[i];
    for (size_t t = 0; t < count; ++t)
      layer_norm(x_.data() + t * C, b.ffn_norm_w, b.ffn_norm_b, C, hp.norm_eps, h_.data() + t * C);
    matmul(b.ffn_up, &pb.ffn_up, b.ffn_up_b, h_.data(), count, ff_.data(), matmul_scratch_, pool_,
           *kernels_);
    for (float& v : ff_)
      v = gelu(v);
    matmul(b.ffn_down, &pb.ffn_down, b.ffn_down_b, ff_.data(), count, proj_.data(), matmul_scratch_,
           pool_, *kernels_);
    for (size_t i = 0; i < count * C; ++i)
      x_[i] += proj_[i];
  }
  // Only the rows whose logits are wanted go through the final norm and the output head.
  const size_t first_row = all_logits ? 0 : count - 1, rows = count - first_row;
  for (size_t t = first_row; t < count; ++t)
    layer_norm(x_.data() + t * C, model_.output_norm_w(), model_.output_norm_b(), C, hp.norm_eps,
               h_.data() + (t - first_row) * C);
  logits_.resize(rows * V);
  matmul(model_.output(), &packed_output_, nullptr, h_.data(), rows, logits_.data(),
         matmul_scratch_, pool_, *kernels_);
  n_past_ += count;
  return {};
}

}  // namespace tinyllm::infer
