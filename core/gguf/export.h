// tinyllm_gguf_export: a fine-tuned checkpoint + its tokenizer + the task's text recipe -> one
// GGUF file per type that both our runtime and upstream llama.cpp load (arch gpt2,
// ../shared/reference/gguf-gpt2.md §7's checklist; docs/gguf.md lists what is written).
//
// Does: read the checkpoint (model.json, model.safetensors with Hugging Face GPT-2 names), map
// and transpose the tensors to llama.cpp's names and layout, pick each tensor's type, write the
// SentencePiece vocabulary as llama.cpp's "llama" tokenizer, and our task metadata under
// "tinyllm." (what turns raw readings into a prompt and which answers there are).
// Does not: find checkpoints in a project or record artifacts (the CLI does), evaluate the
// result, or export unigram tokenizers (llama.cpp's "t5" path is not verified for us).
// Desktop only: reads safetensors and prepared.json, which need nlohmann_json.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "gguf/gguf.h"
#include "model/config.h"
#include "sensortext/schema.h"

namespace tinyllm::gguf {

// The type a tensor gets in a file of `file_type`: 1-D tensors and position_embd stay F32;
// other matrices take the file's type, except that a Q4_0 file keeps output.weight (the
// classifier head) in Q8_0, as llama-quantize does when the row is not a multiple of 256.
TensorType tensor_type_for(const std::string& gguf_name, size_t n_dims, TensorType file_type);
// general.file_type for a file of `type`.
uint32_t file_type_id(TensorType type);

// What is exported. Paths are absolute or relative to the working directory.
struct ExportInputs {
  std::filesystem::path checkpoint;  // folder: model.json + model.safetensors
  std::filesystem::path tokenizer;   // tokenizer.model (SentencePiece BPE, byte fallback)
  // prepared.json as step 1 wrote it and the recording schema of the first source; a null
  // summary writes no task keys (a pre-trained model without a task).
  nlohmann::json prepared = nullptr;
  sensortext::Schema schema;
  std::string name;               // general.name
  std::string checkpoint_stored;  // tinyllm.source.checkpoint (project-relative)
};

// One exported file.
struct ExportedFile {
  std::filesystem::path path;
  TensorType type = TensorType::f32;
  uint64_t file_bytes = 0;
  uint64_t weights = 0;        // values in all tensors (output.weight included)
  uint64_t tensor_bytes = 0;   // bytes of tensor data, without padding
  double bits_per_weight = 0;  // tensor_bytes * 8 / weights
  std::string sha256;
};

// Reads the inputs once and writes one file per type to `out_dir` as
// "<stem>-<type>.gguf" (lower-case type), each atomically. `on_file` (optional) sees each file
// as soon as it is written: a caller reports progress with it.
Result<std::vector<ExportedFile>> export_gguf(
    const ExportInputs& inputs, const std::vector<TensorType>& types,
    const std::filesystem::path& out_dir, const std::string& stem,
    const std::function<void(const ExportedFile&)>& on_file = nullptr);

// --- the parts, for tests ---

// Hyper-parameter keys and the 4 + 12 n_layer + 1 tensors. `hf_tensor` gives a checkpoint
// tensor's values by Hugging Face name, row-major in its HF shape (model/names.h).
using TensorSource = std::function<Result<std::vector<float>>(const std::string& hf_name)>;
Status add_gpt2_model(Writer& writer, const model::ModelConfig& config,
                      const TensorSource& hf_tensor, TensorType file_type);
// tokenizer.ggml.* from a SentencePiece `.model` file's bytes; `n_vocab` is the embedding's rows
// (extra rows get UNUSED placeholder tokens). Also embeds the bytes for our own encoder.
Status add_vocabulary(Writer& writer, const std::string& model_bytes, const std::string& where,
                      int n_vocab);
// tinyllm.* task keys from prepared.json and the recording schema.
Status add_task_metadata(Writer& writer, const nlohmann::json& prepared,
                         const sensortext::Schema& schema);

}  // namespace tinyllm::gguf
