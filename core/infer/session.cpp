#include "infer/session.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <string>

#include "infer/gelu.h"

namespace tinyllm::infer {
namespace {

// Queries per attention item: a multiple of every kernel set's query tiles (attention_scores:
// AVX-512 and NEON 6, AVX2 4, scalar 2; weighted_values: 4, 3, 2), few enough that the group's
// weights stay in L1.
constexpr size_t kQueryGroup = 12;
// Below this many values (or multiply-adds) a step runs on the calling thread: waking the pool
// costs more.
constexpr size_t kMinParallelWork = 1u << 15;
// Values per GELU item on the pool.
constexpr size_t kGeluChunk = 1u << 12;

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

// Causal attention of `tokens` new queries (at n_past_ ..) over the cache. q is in qkv_, the
// output goes to att_. The work items are (group of kQueryGroup consecutive queries, head): the
// group's scores against every key its last query sees (keys transposed in the cache: a vector
// lane per key), each query's softmax over its own visible keys, then the group's weighted sums
// of the value rows, held in registers. Every value gets the operations of its own query in the
// same order whatever the group (kernels.h), so a prompt gives the floats of its tokens fed one
// by one.
void Session::attention(size_t layer, size_t tokens) {
  const auto& hp = model_.hparams();
  const size_t C = size_t(hp.n_embd), H = size_t(hp.n_head), D = size_t(hp.head_dim());
  const size_t n_ctx = size_t(hp.n_ctx);
  const float* keys_t = k_cache_.data() + layer * C * n_ctx;
  const float* values = v_cache_.data() + layer * n_ctx * C;
  const float scale = 1.0f / std::sqrt(float(D));
  const size_t first = n_past_;
  const size_t groups = (tokens + kQueryGroup - 1) / kQueryGroup, items = groups * H;
  // Later groups see more keys: items are handed out one at a time, the latest groups first,
  // so that the threads finish together.
  std::atomic<size_t> next_item{0};
  auto run = [&](size_t, size_t) {
    std::vector<float> weights(kQueryGroup * (first + tokens));
    for (size_t item; (item = next_item.fetch_add(1)) < items;) {
      const size_t t0 = (groups - 1 - item / H) * kQueryGroup, h = item % H;
      const size_t n = std::min(kQueryGroup, tokens - t0);
      const size_t span = first + t0 + n;  // keys the group's last query sees
      // Row i: query t0 + i against every key of head h.
      kernels_->attention_scores(keys_t + h * D * n_ctx, n_ctx, span,
                                 qkv_.data() + t0 * 3 * C + h * D, 3 * C, D, n, weights.data(),
                                 span);
      for (size_t i = 0; i < n; ++i)  // query t0 + i sees first + t0 + i + 1 keys
        kernels_->softmax(weights.data() + i * span, first + t0 + i + 1, scale);
      kernels_->weighted_values(values + h * D, C, D, weights.data(), span, first + t0 + 1, n,
                                att_.data() + t0 * C + h * D, C);
    }
  };
  if (uint64_t(tokens) * (first + tokens) * C < kMinParallelWork)
    run(0, 1);
  else
    pool_.parallel_for(size_t(pool_.size()), run);
}

// GELU over the ffn hidden values of `tokens` tokens (ff_), in chunks on the pool: the floats
// do not depend on the split.
void Session::gelu_rows(size_t tokens) {
  const size_t n = tokens * size_t(model_.hparams().n_ff);
  if (n < kMinParallelWork) return gelu(ff_.data(), n);
  pool_.parallel_for((n + kGeluChunk - 1) / kGeluChunk, [&](size_t begin, size_t end) {
    gelu(ff_.data() + begin * kGeluChunk, std::min(n, end * kGeluChunk) - begin * kGeluChunk);
  });
}

// Layer norm of `rows` rows of C values, one row per item on the pool.
void Session::norm_rows(const float* x, size_t rows, const float* w, const float* b, float* out) {
  const auto& hp = model_.hparams();
  const size_t C = size_t(hp.n_embd);
  auto run = [&](size_t begin, size_t end) {
    for (size_t r = begin; r < end; ++r)
      kernels_->layer_norm(x + r * C, w, b, C, hp.norm_eps, out + r * C);
  };
  if (rows * C < kMinParallelWork)
    run(0, rows);
  else
    pool_.parallel_for(rows, run);
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
    norm_rows(x_.data(), count, b.attn_norm_w, b.attn_norm_b, h_.data());
    matmul(b.attn_qkv, &pb.attn_qkv, b.attn_qkv_b, h_.data(), count, qkv_.data(), matmul_scratch_,
           pool_, *kernels_);
    // Keys (transposed: a row of positions per dimension) and values of the new tokens into
    // the cache.
    const size_t n_ctx = size_t(hp.n_ctx), base = layer * n_ctx * C;
    for (size_t t = 0; t < count; ++t) {
      const float* row = qkv_.data() + t * 3 * C;
      std::copy_n(row + 2 * C, C, v_cache_.data() + base + (n_past_ + t) * C);
    }
    for (size_t c = 0; c < C; ++c) {  // a key row of positions written in order
      float* keys_t = k_cache_.data() + base + c * n_ctx + n_past_;
      for (size_t t = 0; t < count; ++t)
        keys_t[t] = qkv_[t * 3 * C + C + c];
    }
    attention(layer, count);
    matmul(b.attn_output, &pb.attn_output, b.attn_output_b, att_.data(), count, proj_.data(),
           matmul_scratch_, pool_, *kernels_);
    for (size_t i = 0; i < count * C; ++i)
      x_[i] += proj_[i];
    norm_rows(x_.data(), count, b.ffn_norm_w, b.ffn_norm_b, h_.data());
    matmul(b.ffn_up, &pb.ffn_up, b.ffn_up_b, h_.data(), count, ff_.data(), matmul_scratch_, pool_,
           *kernels_);
    gelu_rows(count);
    matmul(b.ffn_down, &pb.ffn_down, b.ffn_down_b, ff_.data(), count, proj_.data(), matmul_scratch_,
           pool_, *kernels_);
    for (size_t i = 0; i < count * C; ++i)
      x_[i] += proj_[i];
  }
  // Only the rows whose logits are wanted go through the final norm and the output head.
  const size_t first_row = all_logits ? 0 : count - 1, rows = count - first_row;
  norm_rows(x_.data() + first_row * C, rows, model_.output_norm_w(), model_.output_norm_b(),
            h_.data());
  logits_.resize(rows * V);
  matmul(model_.output(), &packed_output_, nullptr, h_.data(), rows, logits_.data(),
         matmul_scratch_, pool_, *kernels_);
  n_past_ += count;
  return {};
}

}  // namespace tinyllm::infer
