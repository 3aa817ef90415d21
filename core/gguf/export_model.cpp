// The GPT-2 part of an export: hyper-parameters and tensors in llama.cpp's names, layout and
// types (../shared/reference/gguf-gpt2.md §2, §4.7).
#include "gguf/export.h"
#include "gguf/keys.h"
#include "model/names.h"

namespace tinyllm::gguf {

TensorType tensor_type_for(const std::string& gguf_name, size_t n_dims, TensorType file_type) {
  if (n_dims < 2 || gguf_name == keys::kPositionEmbd) return TensorType::f32;
  if (file_type == TensorType::q4_0 && gguf_name == keys::kOutput) return TensorType::q8_0;
  return file_type;
}

uint32_t file_type_id(TensorType type) {
  switch (type) {
    case TensorType::f16:
      return keys::kFileTypeMostlyF16;
    case TensorType::q8_0:
      return keys::kFileTypeMostlyQ8_0;
    case TensorType::q4_0:
      return keys::kFileTypeMostlyQ4_0;
    default:
      return keys::kFileTypeAllF32;
  }
}

namespace {

// [rows, cols] row-major -> [cols, rows] row-major.
std::vector<float> transposed(const std::vector<float>& values, size_t rows, size_t cols) {
  std::vector<float> out(values.size());
  for (size_t r = 0; r < rows; ++r)
    for (size_t c = 0; c < cols; ++c)
      out[c * rows + r] = values[r * cols + c];
  return out;
}

}  // namespace

Status add_gpt2_model(Writer& writer, const model::ModelConfig& config,
                      const TensorSource& hf_tensor, TensorType file_type) {
  TINYLLM_TRY(model::validate(config));
  writer.set_string(keys::kArchitecture, keys::kArchGpt2);
  writer.set_u32(keys::kFileType, file_type_id(file_type));
  if (file_type != TensorType::f32 && file_type != TensorType::f16)
    writer.set_u32(keys::kQuantizationVersion, keys::kQuantizationVersionValue);
  writer.set_u32(keys::kContextLength, static_cast<uint32_t>(config.n_ctx));
  writer.set_u32(keys::kEmbeddingLength, static_cast<uint32_t>(config.n_embd));
  writer.set_u32(keys::kFeedForwardLength, static_cast<uint32_t>(config.n_ff));
  writer.set_u32(keys::kBlockCount, static_cast<uint32_t>(config.n_layer));
  writer.set_u32(keys::kHeadCount, static_cast<uint32_t>(config.n_head));
  writer.set_f32(keys::kLayerNormEpsilon, config.norm_eps);

  std::vector<float> token_embd;  // kept for output.weight (tied embeddings)
  for (const auto& spec : model::gpt2_tensors(config)) {
    TINYLLM_TRY_ASSIGN(values, hf_tensor(spec.name));
    if (static_cast<int64_t>(values.size()) != spec.numel())
      return make_error(spec.name, "expected " + std::to_string(spec.numel()) + " values, got " +
                                       std::to_string(values.size()));
    // ggml dims are the PyTorch shape reversed; Conv1D [in, out] becomes [out, in] first.
    std::vector<uint64_t> ne;
    if (spec.shape.size() == 2) {
      const auto rows = static_cast<size_t>(spec.shape[0]),
                 cols = static_cast<size_t>(spec.shape[1]);
      if (spec.conv1d) {
        values = transposed(values, rows, cols);
        ne = {rows, cols};  // in, out
      } else {
        ne = {cols, rows};
      }
    } else {
      ne = {static_cast<uint64_t>(spec.shape[0])};
    }
    if (spec.gguf_name == keys::kTokenEmbd) token_embd = values;
    const TensorType type = tensor_type_for(spec.gguf_name, ne.size(), file_type);
    if (auto st = writer.add_tensor(spec.gguf_name, type, ne, values); !st)
      return make_error(spec.name + " -> " + spec.gguf_name, st.error().message);
  }
  // Written even though it repeats token_embd: llama.cpp before March 2025 requires it.
  return writer.add_tensor(
      keys::kOutput, tensor_type_for(keys::kOutput, 2, file_type),
      {static_cast<uint64_t>(config.n_embd), static_cast<uint64_t>(config.n_vocab)}, token_embd);
}

}  // namespace tinyllm::gguf
