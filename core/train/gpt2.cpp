#include "train/gpt2.h"

#include <cmath>
#include <map>

namespace tinyllm::train {
namespace {

void initialize(torch::Tensor& t, model::Init init, int n_layer, at::Generator& gen) {
  torch::NoGradGuard no_grad;
  switch (init) {
    case model::Init::normal:
      t.normal_(0.0, 0.02, gen);
      break;
    case model::Init::normal_residual:
      t.normal_(0.0, 0.02 / std::sqrt(2.0 * n_layer), gen);
      break;
    case model::Init::zeros:
      t.zero_();
      break;
    case model::Init::ones:
      t.fill_(1.0);
      break;
  }
}

}  // namespace

Result<Gpt2> Gpt2::create(const model::ModelConfig& config, torch::Device device, uint64_t seed) {
  TINYLLM_TRY(model::validate(config));
  Gpt2 m;
  m.config_ = config;
  auto specs = model::gpt2_tensors(config);
  // Decayed weights first so that AdamW decays one contiguous range.
  std::stable_partition(specs.begin(), specs.end(),
                        [](const model::TensorSpec& s) { return s.weight_decay; });
  int64_t total = 0;
  for (const auto& s : specs) {
    total += s.numel();
    if (s.weight_decay) m.decay_count_ += s.numel();
  }
  try {
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device);
    m.flat_params_ = torch::zeros({total}, opts);
    m.flat_grads_ = torch::zeros({total}, opts);
    // Initialize on the CPU from one seeded generator, in checkpoint-name order, so that the
    // weights do not depend on the device or the buffer order.
    auto gen = at::detail::createCPUGenerator(seed);
    std::map<std::string, torch::Tensor> by_name;
    const auto ordered = model::gpt2_tensors(config);
    for (const auto& s : ordered) {
      auto t = torch::empty(s.shape, torch::kFloat32);
      initialize(t, s.init, config.n_layer, gen);
      by_name[s.name] = t;
    }
    int64_t offset = 0;
    for (const auto& s : specs) {
      auto view = m.flat_params_.narrow(0, offset, s.numel()).view(s.shape);
      view.copy_(by_name[s.name]);
      view.requires_grad_(true);
      view.mutable_grad() = m.flat_grads_.narrow(0, offset, s.numel()).view(s.shape);
      offset += s.numel();
      m.params_.push_back({s, view});
    }
    // The named views the forward pass uses.
    auto get = [&](const std::string& name) { return m.find(name)->value; };
    m.wte_ = get("wte.weight");
    m.wpe_ = get("wpe.weight");
    m.lnf_w_ = get("ln_f.weight");
    m.lnf_b_ = get("ln_f.bias");
    for (int i = 0; i < config.n_layer; ++i) {
      const std::string h = "h." + std::to_string(i) + ".";
      m.blocks_.push_back(
          {get(h + "ln_1.weight"), get(h + "ln_1.bias"), get(h + "attn.c_attn.weight"),
           get(h + "attn.c_attn.bias"), get(h + "attn.c_proj.weight"), get(h + "attn.c_proj.bias"),
           get(h + "ln_2.weight"), get(h + "ln_2.bias"), get(h + "mlp.c_fc.weight"),
           get(h + "mlp.c_fc.bias"), get(h + "mlp.c_proj.weight"), get(h + "mlp.c_proj.bias")});
    }
    m.causal_bias_ = torch::full({config.n_ctx, config.n_ctx}, -INFINITY, opts).triu(1);
  } catch (const c10::Error& e) {
    return make_error("model",
                      std::string("cannot build the model: ") + e.what_without_backtrace());
  }
  return m;
}

const Parameter* Gpt2::find(const std::string& name) const {
  for (const auto& p : params_)
    if (p.spec.name == name) return &p;
  return nullptr;
}

// Causal self-attention on h (B*T, C). Scores are one (B*H, T, T) map per head; the scale and
// the causal bias go in with the Q K^T matmul (baddbmm), so nothing else of that size is made.
torch::Tensor Gpt2::attention(const torch::Tensor& h, const Block& b, const torch::Tensor& bias,
                              int64_t B, int64_t T) const {
  const int64_t C = config_.n_embd, H = config_.n_head, D = config_.head_dim();
  auto qkv = torch::addmm(b.qkv_b, h, b.qkv_w)  // (B*T, 3C)
                 .view({B, T, 3, H, D})
                 .permute({2, 0, 3, 1, 4});  // (3, B, H, T, D)
  auto q = qkv[0].reshape({B * H, T, D});
  auto k = qkv[1].reshape({B * H, T, D});
  auto v = qkv[2].reshape({B * H, T, D});
  auto scores = torch::baddbmm(bias, q, k.transpose(1, 2), 1.0, 1.0 / std::sqrt(double(D)));
  auto y = torch::bmm(torch::softmax(scores, -1), v)  // (B*H, T, D)
               .view({B, H, T, D})
               .transpose(1, 2)
               .reshape({B * T, C});
  return torch::addmm(b.proj_b, y, b.proj_w);  // (B*T, C)
}

torch::Tensor Gpt2::forward(const torch::Tensor& idx) const {
  const int64_t B = idx.size(0), T = idx.size(1), C = config_.n_embd;
  TORCH_CHECK(T <= config_.n_ctx, "sequence length ", T, " exceeds n_ctx ", config_.n_ctx);
  auto x = (torch::embedding(wte_, idx) + wpe_.narrow(0, 0, T)).view({B * T, C});
  auto bias = causal_bias_.narrow(0, 0, T).narrow(1, 0, T).expand({B * config_.n_head, T, T});
  return run(x, bias, B, T);
}

torch::Tensor Gpt2::forward(const torch::Tensor& idx, const torch::Tensor& positions,
                            const torch::Tensor& attention_bias) const {
  const int64_t B = idx.size(0), T = idx.size(1), C = config_.n_embd, H = config_.n_head;
  TORCH_CHECK(positions.max().item<int64_t>() < config_.n_ctx, "a position exceeds n_ctx ",
              config_.n_ctx);
  auto x = (torch::embedding(wte_, idx) + torch::embedding(wpe_, positions)).view({B * T, C});
  auto bias = attention_bias.unsqueeze(1).expand({B, H, T, T}).reshape({B * H, T, T});
  return run(x, bias, B, T);
}

torch::Tensor Gpt2::run(torch::Tensor x, const torch::Tensor& bias, int64_t B, int64_t T) const {
  const int64_t C = config_.n_embd;
  const double eps = config_.norm_eps;
  for (const auto& b : blocks_) {
    auto h = torch::layer_norm(x, {C}, b.ln1_w, b.ln1_b, eps);
    x = x + attention(h, b, bias, B, T);
    h = torch::layer_norm(x, {C}, b.ln2_w, b.ln2_b, eps);
    h = torch::gelu(torch::addmm(b.fc_b, h, b.fc_w), "tanh");  // (B*T, F)
    x = x + torch::addmm(b.out_b, h, b.out_w);
  }
  x = torch::layer_norm(x, {C}, lnf_w_, lnf_b_, eps);
  return torch::mm(x, wte_.t()).view({B, T, config_.n_vocab});  // tied output head, no bias
}

torch::Tensor Gpt2::loss(const torch::Tensor& idx, const torch::Tensor& targets) const {
  auto logits = forward(idx);
  return torch::cross_entropy_loss(logits.view({-1, config_.n_vocab}), targets.reshape({-1}), {},
                                   at::Reduction::Mean, /*ignore_index=*/-1);
}

}  // namespace tinyllm::train
