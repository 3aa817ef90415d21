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
  auto qkv = linear(h, b.qkv_w, b.qkv_b, b.qkv_lora)  // (B*T, 3C)
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
  return linear(y, b.proj_w, b.proj_b, b.proj_lora);  // (B*T, C)
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
    h = torch::gelu(linear(h, b.fc_w, b.fc_b, b.fc_lora), "tanh");  // (B*T, F)
    x = x + linear(h, b.out_w, b.out_b, b.out_lora);
  }
  x = torch::layer_norm(x, {C}, lnf_w_, lnf_b_, eps);
  return torch::mm(x, wte_.t()).view({B, T, config_.n_vocab});  // tied output head, no bias
}

torch::Tensor Gpt2::linear(const torch::Tensor& x, const torch::Tensor& w,
                           const torch::Tensor& bias, int adapter) const {
  auto y = torch::addmm(bias, x, w);
  if (adapter < 0) return y;
  const Adapter& a = adapters_[size_t(adapter)];
  torch::Tensor in = x;
  if (lora_.dropout > 0 && torch::GradMode::is_enabled()) {
    const double keep = 1.0 - lora_.dropout;
    auto mask = torch::empty(x.sizes(), torch::kFloat32).bernoulli_(keep, dropout_gen_);
    in = x * mask.to(x.device(), x.scalar_type()).div_(keep);
  }
  const double scale = lora_.alpha / double(lora_.rank);
  return torch::addmm(y, torch::mm(in, a.a), a.b, 1.0, scale);
}

Status Gpt2::add_lora(const LoraSettings& settings, uint64_t seed) {
  if (has_lora()) return make_error("lora", "the model has adapters already");
  if (settings.rank <= 0) return make_error("lora_rank", "must be at least 1");
  // Which matmul weights the targets name, in checkpoint-name order.
  const auto is_target = [&](const std::string& weight) {
    const std::string stem = weight.substr(0, weight.size() - std::string(".weight").size());
    for (const auto& t : settings.targets)
      if (stem == t ||
          (stem.size() > t.size() && stem.compare(stem.size() - t.size(), t.size(), t) == 0 &&
           stem[stem.size() - t.size() - 1] == '.'))
        return true;
    return false;
  };
  std::vector<const Parameter*> adapted;
  for (const auto& spec : model::gpt2_tensors(config_)) {
    const bool matmul = spec.shape.size() == 2 && spec.name.rfind("h.", 0) == 0;
    if (matmul && is_target(spec.name)) adapted.push_back(find(spec.name));
  }
  for (const auto& t : settings.targets) {
    bool used = false;
    for (const auto* p : adapted)
      used = used || p->spec.name.find(t + ".weight") != std::string::npos;
    if (!used)
      return make_error("lora_targets", "\"" + t +
                                            "\" matches no matmul weight of this model (e.g. "
                                            "attn.c_attn, attn.c_proj, mlp.c_fc, mlp.c_proj, or "
                                            "h.0.attn.c_attn for one block)");
  }
  if (adapted.empty()) return make_error("lora_targets", "no weight to adapt");
  const int64_t r = settings.rank;
  int64_t total = 0;
  for (const auto* p : adapted)
    total += r * (p->spec.shape[0] + p->spec.shape[1]);
  try {
    torch::NoGradGuard no_grad;
    auto opts = torch::TensorOptions().dtype(torch::kFloat32).device(device());
    lora_flat_ = torch::zeros({total}, opts);
    lora_grads_ = torch::zeros({total}, opts);
    auto gen = at::detail::createCPUGenerator(seed);
    int64_t offset = 0;
    auto add = [&](const std::string& name, std::vector<int64_t> shape) {
      const int64_t n = shape[0] * shape[1];
      auto view = lora_flat_.narrow(0, offset, n).view(shape);
      view.requires_grad_(true);
      view.mutable_grad() = lora_grads_.narrow(0, offset, n).view(shape);
      offset += n;
      lora_params_.push_back(
          {model::TensorSpec{name, "", shape, model::Init::zeros, false, false}, view});
      return view;
    };
    for (const auto* p : adapted) {
      const std::string stem = p->spec.name.substr(0, p->spec.name.size() - 7);
      const int64_t in = p->spec.shape[0], out = p->spec.shape[1];
      auto a = add(stem + ".lora_A", {in, r});
      auto b = add(stem + ".lora_B", {r, out});
      // A as PyTorch's default Linear init (uniform +-1/sqrt(in)), B zero.
      const double bound = 1.0 / std::sqrt(double(in));
      a.copy_(torch::empty({in, r}, torch::kFloat32).uniform_(-bound, bound, gen));
      adapters_.push_back({p->spec.name, a, b});
    }
  } catch (const c10::Error& e) {
    return make_error("lora", std::string("cannot add adapters: ") + e.what_without_backtrace());
  }
  for (auto& p : params_)
    p.value.requires_grad_(false);
  lora_ = settings;
  // Point each block's matmuls at their adapters.
  for (size_t i = 0; i < adapters_.size(); ++i) {
    const std::string& w = adapters_[i].weight;  // h.N.<matmul>.weight
    const size_t dot = w.find('.', 2);
    auto& block = blocks_[size_t(std::stoi(w.substr(2, dot - 2)))];
    const std::string kind = w.substr(dot + 1);
    int* slot = kind == "attn.c_attn.weight"   ? &block.qkv_lora
                : kind == "attn.c_proj.weight" ? &block.proj_lora
                : kind == "mlp.c_fc.weight"    ? &block.fc_lora
                                               : &block.out_lora;
    *slot = int(i);
  }
  reseed_dropout(seed);
  return {};
}

torch::Tensor Gpt2::merged(const Parameter& parameter) const {
  for (const auto& a : adapters_)
    if (a.weight == parameter.spec.name) {
      torch::NoGradGuard no_grad;
      return parameter.value + (lora_.alpha / double(lora_.rank)) * torch::mm(a.a, a.b);
    }
  return parameter.value;
}

void Gpt2::reseed_dropout(uint64_t seed) {
  dropout_gen_ = at::detail::createCPUGenerator(seed);
}

torch::Tensor Gpt2::loss(const torch::Tensor& idx, const torch::Tensor& targets) const {
  auto logits = forward(idx);
  return torch::cross_entropy_loss(logits.view({-1, config_.n_vocab}), targets.reshape({-1}), {},
                                   at::Reduction::Mean, /*ignore_index=*/-1);
}

}  // namespace tinyllm::train
