#include "model/names.h"

namespace tinyllm::model {

int64_t TensorSpec::numel() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

std::vector<TensorSpec> gpt2_tensors(const ModelConfig& c) {
  const int64_t C = c.n_embd, F = c.n_ff;
  std::vector<TensorSpec> t;
  auto add = [&](std::string hf, std::string gguf, std::vector<int64_t> shape, Init init,
                 bool conv1d = false, bool decay = false) {
    TensorSpec s;
    s.name = std::move(hf);
    s.gguf_name = std::move(gguf);
    s.shape = std::move(shape);
    s.init = init;
    s.conv1d = conv1d;
    s.weight_decay = decay;
    t.push_back(std::move(s));
  };
  // Embeddings are not decayed (the rule; nanoGPT decays them, llm.c does not).
  add("wte.weight", "token_embd.weight", {c.n_vocab, C}, Init::normal);
  add("wpe.weight", "position_embd.weight", {c.n_ctx, C}, Init::normal);
  for (int i = 0; i < c.n_layer; ++i) {
    const std::string h = "h." + std::to_string(i) + ".";
    const std::string b = "blk." + std::to_string(i) + ".";
    add(h + "ln_1.weight", b + "attn_norm.weight", {C}, Init::ones);
    add(h + "ln_1.bias", b + "attn_norm.bias", {C}, Init::zeros);
    add(h + "attn.c_attn.weight", b + "attn_qkv.weight", {C, 3 * C}, Init::normal, true, true);
    add(h + "attn.c_attn.bias", b + "attn_qkv.bias", {3 * C}, Init::zeros);
    add(h + "attn.c_proj.weight", b + "attn_output.weight", {C, C}, Init::normal_residual, true,
        true);
    add(h + "attn.c_proj.bias", b + "attn_output.bias", {C}, Init::zeros);
    add(h + "ln_2.weight", b + "ffn_norm.weight", {C}, Init::ones);
    add(h + "ln_2.bias", b + "ffn_norm.bias", {C}, Init::zeros);
    add(h + "mlp.c_fc.weight", b + "ffn_up.weight", {C, F}, Init::normal, true, true);
    add(h + "mlp.c_fc.bias", b + "ffn_up.bias", {F}, Init::zeros);
    add(h + "mlp.c_proj.weight", b + "ffn_down.weight", {F, C}, Init::normal_residual, true, true);
    add(h + "mlp.c_proj.bias", b + "ffn_down.bias", {C}, Init::zeros);
  }
  add("ln_f.weight", "output_norm.weight", {C}, Init::ones);
  add("ln_f.bias", "output_norm.bias", {C}, Init::zeros);
  return t;
}

}  // namespace tinyllm::model
