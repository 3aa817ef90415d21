#include "model/config.h"

#include <cmath>
#include <cstdio>

namespace tinyllm::model {
namespace {

ModelConfig make(int n_layer, int n_head, int n_embd, int n_ctx, int n_vocab) {
  ModelConfig c;
  c.n_layer = n_layer;
  c.n_head = n_head;
  c.n_embd = n_embd;
  c.n_ff = 4 * n_embd;
  c.n_ctx = n_ctx;
  c.n_vocab = n_vocab;
  return c;
}

// The paper's sizes assume GPT-2's 50257-token vocabulary: with it, d6 is 30M and d12 124M.
constexpr int kGpt2Vocab = 50257;
// CPU presets assume a small SentencePiece vocabulary; training uses the tokenizer's real size.
constexpr int kCpuVocab = 2048;

}  // namespace

Status validate(const ModelConfig& c) {
  auto positive = [](const char* field, int v) -> Status {
    if (v <= 0) return make_error(field, "must be positive, got " + std::to_string(v));
    return {};
  };
  TINYLLM_TRY(positive("n_layer", c.n_layer));
  TINYLLM_TRY(positive("n_head", c.n_head));
  TINYLLM_TRY(positive("n_embd", c.n_embd));
  TINYLLM_TRY(positive("n_ff", c.n_ff));
  TINYLLM_TRY(positive("n_ctx", c.n_ctx));
  TINYLLM_TRY(positive("n_vocab", c.n_vocab));
  if (c.n_embd % c.n_head != 0)
    return make_error("n_embd", "must be divisible by n_head (" + std::to_string(c.n_head) +
                                    "), got " + std::to_string(c.n_embd));
  if (c.n_embd % 32 != 0)
    return make_error("n_embd", "must be a multiple of 32 (GGUF quantization blocks), got " +
                                    std::to_string(c.n_embd));
  if (c.n_ff % 32 != 0)
    return make_error("n_ff", "must be a multiple of 32 (GGUF quantization blocks), got " +
                                  std::to_string(c.n_ff));
  if (!(c.norm_eps > 0.0f && c.norm_eps < 1.0f))
    return make_error("norm_eps", "must be in (0, 1), got " + std::to_string(c.norm_eps));
  return {};
}

const std::vector<Preset>& presets() {
  static const std::vector<Preset> all = {
      {"tiny", "~1M parameters, 4x128, context 256: CPU demo (minutes on 2 cores)",
       make(4, 4, 128, 256, kCpuVocab)},
      {"small", "~5M parameters, 6x256, context 256: CPU (tens of minutes on 2 cores)",
       make(6, 4, 256, 256, kCpuVocab)},
      {"d6", "paper d6, 30M: 6 layers, 384 wide, 6 heads, context 1024 (CUDA)",
       make(6, 6, 384, 1024, kGpt2Vocab)},
      {"d8", "paper d8, 51M: 8 layers, 512 wide, 8 heads, context 1024 (CUDA)",
       make(8, 8, 512, 1024, kGpt2Vocab)},
      {"d10", "paper d10, 82M: 10 layers, 640 wide, 10 heads, context 1024 (CUDA)",
       make(10, 10, 640, 1024, kGpt2Vocab)},
      {"d11", "paper d11, 101M: 11 layers, 704 wide, 11 heads, context 1024 (CUDA)",
       make(11, 11, 704, 1024, kGpt2Vocab)},
      {"d12", "paper d12, 124M (GPT-2 small): 12 layers, 768 wide, 12 heads (CUDA)",
       make(12, 12, 768, 1024, kGpt2Vocab)},
  };
  return all;
}

Result<ModelConfig> preset(const std::string& name) {
  std::string names;
  for (const auto& p : presets()) {
    if (p.name == name) return p.config;
    names += (names.empty() ? "" : ", ") + p.name;
  }
  return make_error("preset", "unknown preset '" + name + "'; choose one of " + names);
}

int64_t parameter_count(const ModelConfig& c) {
  const int64_t C = c.n_embd, F = c.n_ff;
  const int64_t per_layer = 2 * C                // ln_1
                            + C * 3 * C + 3 * C  // c_attn
                            + C * C + C          // attn c_proj
                            + 2 * C              // ln_2
                            + C * F + F          // c_fc
                            + F * C + C;         // mlp c_proj
  return int64_t(c.n_vocab) * C + int64_t(c.n_ctx) * C + c.n_layer * per_layer + 2 * C;
}

int64_t matmul_parameter_count(const ModelConfig& c) {
  return parameter_count(c) - int64_t(c.n_ctx) * c.n_embd;
}

double training_flops_per_token(const ModelConfig& c, int seq_len) {
  return 6.0 * double(matmul_parameter_count(c)) +
         12.0 * c.n_layer * double(c.n_embd) * double(seq_len);
}

MemoryEstimate estimate_memory(const ModelConfig& c, int micro_batch, int seq_len) {
  MemoryEstimate m;
  const int64_t n = parameter_count(c);
  m.weights = 4 * n;
  m.gradients = 4 * n;
  m.optimizer = 8 * n;
  const int64_t tokens = int64_t(micro_batch) * seq_len;
  const int64_t per_layer_token = 18 * int64_t(c.n_embd) + 2 * int64_t(c.n_head) * seq_len +
                                  2 * (int64_t(c.n_ff) - 4 * c.n_embd);  // n_ff != 4C
  const int64_t floats = tokens * (c.n_layer * per_layer_token           // blocks
                                   + 3 * int64_t(c.n_embd)               // embeddings, ln_f
                                   + 2 * int64_t(c.n_vocab));            // logits, probabilities
  m.activations = 4 * floats;
  return m;
}

double estimate_seconds(int64_t tokens, double tokens_per_s) {
  return tokens_per_s > 0 ? double(tokens) / tokens_per_s : 0.0;
}

double estimate_tokens_per_s(const ModelConfig& c, int seq_len, double flops_per_s) {
  return flops_per_s / training_flops_per_token(c, seq_len);
}

std::string format_count(int64_t count) {
  char buf[32];
  if (count >= 1000000000)
    std::snprintf(buf, sizeof buf, "%.2fB", count / 1e9);
  else if (count >= 1000000)
    std::snprintf(buf, sizeof buf, "%.2fM", count / 1e6);
  else if (count >= 1000)
    std::snprintf(buf, sizeof buf, "%.1fK", count / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(count));
  return buf;
}

std::string format_bytes(int64_t bytes) {
  char buf[32];
  const double b = double(bytes);
  if (b >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f GiB", b / (1024.0 * 1024 * 1024));
  else if (b >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%.0f MiB", b / (1024.0 * 1024));
  else
    std::snprintf(buf, sizeof buf, "%.0f KiB", b / 1024.0);
  return buf;
}

}  // namespace tinyllm::model
