// export_gguf: reads a checkpoint and a tokenizer once, then writes one GGUF file per type.
#include <cctype>
#include <map>

#include "base/files.h"
#include "base/version.h"
#include "gguf/export.h"
#include "gguf/keys.h"
#include "model/config_json.h"
#include "model/names.h"
#include "safetensors/safetensors.h"

namespace tinyllm::gguf {

namespace fs = std::filesystem;

namespace {

Result<model::ModelConfig> read_model_config(const fs::path& checkpoint) {
  const fs::path file = checkpoint / "model.json";
  TINYLLM_TRY_ASSIGN(text, read_file(file));
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded()) return make_error(file.string(), "not valid JSON");
  return model::config_from_json(json, file.string());
}

// Every checkpoint tensor as floats, by Hugging Face name; errors name the file and tensor.
Result<std::map<std::string, std::vector<float>>> read_weights(const fs::path& checkpoint,
                                                               const model::ModelConfig& config) {
  TINYLLM_TRY_ASSIGN(file, safetensors::SafetensorsFile::open(checkpoint / "model.safetensors"));
  std::map<std::string, std::vector<float>> weights;
  for (const auto& spec : model::gpt2_tensors(config)) {
    std::vector<float> values(static_cast<size_t>(spec.numel()));
    TINYLLM_TRY(
        file.read_expected(spec.name, safetensors::StDtype::F32, spec.shape, values.data()));
    weights.emplace(spec.name, std::move(values));
  }
  return weights;
}

std::string lower(std::string text) {
  for (char& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

}  // namespace

Result<std::vector<ExportedFile>> export_gguf(
    const ExportInputs& inputs, const std::vector<TensorType>& types, const fs::path& out_dir,
    const std::string& stem, const std::function<void(const ExportedFile&)>& on_file) {
  TINYLLM_TRY_ASSIGN(config, read_model_config(inputs.checkpoint));
  TINYLLM_TRY_ASSIGN(weights, read_weights(inputs.checkpoint, config));
  TINYLLM_TRY_ASSIGN(source_sha, sha256_file(inputs.checkpoint / "model.safetensors"));
  TINYLLM_TRY_ASSIGN(tokenizer_bytes, read_file(inputs.tokenizer));
  const TensorSource source = [&](const std::string& name) -> Result<std::vector<float>> {
    const auto it = weights.find(name);
    if (it == weights.end()) return make_error(inputs.checkpoint.string(), "no tensor " + name);
    return it->second;
  };
  std::error_code ec;
  fs::create_directories(out_dir, ec);
  if (ec) return make_error(out_dir.string(), "cannot create the folder: " + ec.message());

  std::vector<ExportedFile> files;
  for (const TensorType type : types) {
    Writer w;
    TINYLLM_TRY(add_gpt2_model(w, config, source, type));
    if (!inputs.name.empty()) w.set_string(keys::kName, inputs.name);
    TINYLLM_TRY(add_vocabulary(w, tokenizer_bytes, inputs.tokenizer.string(), config.n_vocab));
    if (!inputs.prepared.is_null())
      TINYLLM_TRY(add_task_metadata(w, inputs.prepared, inputs.schema));
    w.set_string(keys::kTinySourceSha256, source_sha);
    w.set_string(keys::kTinyWorkbenchVersion, kWorkbenchVersion);
    if (!inputs.checkpoint_stored.empty())
      w.set_string(keys::kTinySourceCheckpoint, inputs.checkpoint_stored);

    ExportedFile f;
    f.path = out_dir / (stem + "-" + lower(to_string(type)) + ".gguf");
    f.type = type;
    for (const auto& t : w.tensors()) {
      f.weights += t.elements();
      f.tensor_bytes += t.bytes;
    }
    TINYLLM_TRY_ASSIGN(bytes, w.bytes());
    TINYLLM_TRY(write_file_atomic(f.path, bytes));
    f.file_bytes = bytes.size();
    f.bits_per_weight = f.weights ? 8.0 * double(f.tensor_bytes) / double(f.weights) : 0.0;
    f.sha256 = sha256_hex(bytes);
    if (on_file) on_file(f);
    files.push_back(std::move(f));
  }
  return files;
}

}  // namespace tinyllm::gguf
