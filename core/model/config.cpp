#include "model/config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "model/preset_rows.h"

namespace tinyllm::model {

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
  // From resources/presets/*.json (preset_rows.h), smallest first.
  static const std::vector<Preset> all = [] {
    std::vector<Preset> out;
    for (size_t i = 0; i < generated::kPresetRowCount; ++i) {
      const auto& r = generated::kPresetRows[i];
      ModelConfig c;
      c.n_layer = r.n_layer;
      c.n_head = r.n_head;
      c.n_embd = r.n_embd;
      c.n_ff = r.n_ff;
      c.n_ctx = r.n_ctx;
      c.n_vocab = r.n_vocab;
      c.norm_eps = r.norm_eps;
      out.push_back({r.name, r.description, c});
    }
    std::stable_sort(out.begin(), out.end(), [](const Preset& a, const Preset& b) {
      return parameter_count(a.config) < parameter_count(b.config);
    });
    return out;
  }();
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
