// ModelConfig <-> JSON (desktop only: the edge runtime reads its config from GGUF metadata).
// The form is a flat object with exactly ModelConfig's field names; reading rejects unknown keys
// and wrong types, naming the key, so a typo never silently falls back to a default.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "model/config.h"

namespace tinyllm::model {

nlohmann::json to_json(const ModelConfig& config);
// Applies the keys present in `json` onto `base` (a partial object overrides only those fields),
// then validates. `where` names the source in errors ("small.json").
Result<ModelConfig> config_from_json(const nlohmann::json& json, const std::string& where,
                                     ModelConfig base = {});
// Reads a preset file such as resources/presets/small.json:
//   {"name": "small", "description": "...", "model": {ModelConfig keys}}
Result<Preset> read_preset_file(const std::filesystem::path& path);

// Hugging Face's GPT-2 config.json for a checkpoint folder, so `transformers` can load it.
nlohmann::json hf_config_json(const ModelConfig& config);

}  // namespace tinyllm::model
