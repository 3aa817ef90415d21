// tinyllm_model: what a GPT-2 model is, independent of any tensor library.
//
// Does: the model's hyperparameters (ModelConfig), the named presets (the paper's d6..d12 and the
// CPU-sized tiny/small), parameter counts, FLOPs, memory and time estimates, and the tensor
// names shared by the trainer (safetensors, Hugging Face layout), the GGUF exporter and the
// runtime (names.h). Plain C++ (no torch, no JSON library), so the edge runtime links it.
// Does not: hold weights, train, or read files (config_json.h reads/writes the JSON form).
//
// The architecture is GPT-2 exactly as llama.cpp runs it: learned positions, pre-LayerNorm
// blocks, fused QKV, tanh-GELU MLP of width n_ff, tied input/output embeddings, final LayerNorm.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"

namespace tinyllm::model {

struct ModelConfig {
  int n_layer = 4;         // transformer blocks
  int n_head = 4;          // attention heads; n_embd / n_head is the head size
  int n_embd = 128;        // residual width; a multiple of 32 (GGUF quant blocks)
  int n_ff = 512;          // MLP hidden width, 4 * n_embd for GPT-2; a multiple of 32
  int n_ctx = 256;         // context length: the number of learned positions
  int n_vocab = 2048;      // vocabulary size; training takes it from the tokenizer
  float norm_eps = 1e-5f;  // LayerNorm epsilon (GPT-2: 1e-5)

  int head_dim() const { return n_head > 0 ? n_embd / n_head : 0; }
  // Written out, not defaulted: the edge runtime builds as C++17.
  bool operator==(const ModelConfig& o) const {
    return n_layer == o.n_layer && n_head == o.n_head && n_embd == o.n_embd && n_ff == o.n_ff &&
           n_ctx == o.n_ctx && n_vocab == o.n_vocab && norm_eps == o.norm_eps;
  }
  bool operator!=(const ModelConfig& o) const { return !(*this == o); }
};

// Checks the shape rules: positive sizes, n_embd divisible by n_head, n_embd and n_ff
// multiples of 32. The error names the field.
Status validate(const ModelConfig& config);

// A named preset: the paper's sizes (for CUDA) and the CPU sizes the demo uses.
struct Preset {
  std::string name;         // "tiny", "small", "d6", ...
  std::string description;  // one line for lists
  ModelConfig config;
};

// All presets, smallest first.
const std::vector<Preset>& presets();
// The preset named `name`; the error lists the valid names.
Result<ModelConfig> preset(const std::string& name);

// Counts. Tied embeddings: the output projection is wte, counted once.
int64_t parameter_count(const ModelConfig& config);
// Parameters that take part in matmuls (everything but the position table).
int64_t matmul_parameter_count(const ModelConfig& config);

// Training FLOPs per token (forward + backward): 6 per matmul parameter plus attention's
// 12 * n_layer * n_embd * seq_len (the PaLM appendix B formula).
double training_flops_per_token(const ModelConfig& config, int seq_len);

// Training memory, in bytes, for fp32 weights with AdamW.
struct MemoryEstimate {
  int64_t weights = 0;      // parameters, fp32
  int64_t gradients = 0;    // one gradient per parameter
  int64_t optimizer = 0;    // AdamW's two moments
  int64_t activations = 0;  // what backward keeps for one micro-batch
  int64_t total() const { return weights + gradients + optimizer + activations; }
};
// Activations follow llm.c's accounting of what each layer keeps per token (18 * n_embd plus two
// n_head * seq_len attention maps), plus logits and probabilities over the vocabulary.
MemoryEstimate estimate_memory(const ModelConfig& config, int micro_batch, int seq_len);

// Seconds to train `tokens` tokens at `tokens_per_s`.
double estimate_seconds(int64_t tokens, double tokens_per_s);
// Tokens/s one can expect at `flops_per_s` sustained (e.g. measured matmul peak times an MFU).
double estimate_tokens_per_s(const ModelConfig& config, int seq_len, double flops_per_s);

// "1.07M", "124.4M": parameter counts as people say them.
std::string format_count(int64_t count);
// "512 MiB", "1.2 GiB".
std::string format_bytes(int64_t bytes);

}  // namespace tinyllm::model
