// GPT-2 tensor names and layouts, in one table shared by the trainer, the GGUF exporter and the
// runtime.
//
// Checkpoints use Hugging Face's GPT-2 names and layout (the keys of gpt2's model.safetensors,
// without the "transformer." prefix), so `transformers` loads them:
//   wte.weight [n_vocab, n_embd]      wpe.weight [n_ctx, n_embd]
//   h.{i}.ln_1.{weight,bias} [n_embd]
//   h.{i}.attn.c_attn.weight [n_embd, 3*n_embd]   h.{i}.attn.c_attn.bias [3*n_embd]
//   h.{i}.attn.c_proj.weight [n_embd, n_embd]     h.{i}.attn.c_proj.bias [n_embd]
//   h.{i}.ln_2.{weight,bias} [n_embd]
//   h.{i}.mlp.c_fc.weight [n_embd, n_ff]          h.{i}.mlp.c_fc.bias [n_ff]
//   h.{i}.mlp.c_proj.weight [n_ff, n_embd]        h.{i}.mlp.c_proj.bias [n_embd]
//   ln_f.{weight,bias} [n_embd]
// HF's Conv1D keeps linear weights as [in, out] (y = x W + b), the transpose of nn.Linear; the
// trainer computes in that layout directly. GGUF wants [out, in] rows (ggml dims reversed), so the
// exporter transposes the tensors marked `conv1d`. The output head is wte (tied); GGUF files also
// get a copy named output.weight (docs/formats-notes.md §2).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/config.h"

namespace tinyllm::model {

// How the trainer initializes a tensor (GPT-2 / nanoGPT scheme).
enum class Init {
  normal,           // N(0, 0.02)
  normal_residual,  // N(0, 0.02 / sqrt(2 * n_layer)): projections into the residual stream
  zeros,            // biases
  ones,             // LayerNorm gains
};

struct TensorSpec {
  std::string name;            // Hugging Face name, e.g. "h.0.attn.c_attn.weight"
  std::string gguf_name;       // llama.cpp name, e.g. "blk.0.attn_qkv.weight"
  std::vector<int64_t> shape;  // Hugging Face (PyTorch) shape, row-major
  Init init = Init::zeros;
  bool conv1d = false;        // [in, out] layout: transpose for GGUF
  bool weight_decay = false;  // AdamW decays only 2-D matmul weights (not norms/biases/embeddings)
  int64_t numel() const;
};

// Every trainable tensor in checkpoint order: wte, wpe, the blocks, ln_f.
std::vector<TensorSpec> gpt2_tensors(const ModelConfig& config);

}  // namespace tinyllm::model
