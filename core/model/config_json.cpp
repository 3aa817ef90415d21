#include "model/config_json.h"

#include "base/files.h"

namespace tinyllm::model {
using nlohmann::json;

nlohmann::json to_json(const ModelConfig& c) {
  return json{{"n_layer", c.n_layer},  {"n_head", c.n_head}, {"n_embd", c.n_embd},
              {"n_ff", c.n_ff},        {"n_ctx", c.n_ctx},   {"n_vocab", c.n_vocab},
              {"norm_eps", c.norm_eps}};
}

Result<ModelConfig> config_from_json(const json& j, const std::string& where, ModelConfig c) {
  if (!j.is_object()) return make_error(where, "model config must be a JSON object");
  for (const auto& [key, value] : j.items()) {
    const std::string at = where + ": key '" + key + "'";
    int* int_field = key == "n_layer"   ? &c.n_layer
                     : key == "n_head"  ? &c.n_head
                     : key == "n_embd"  ? &c.n_embd
                     : key == "n_ff"    ? &c.n_ff
                     : key == "n_ctx"   ? &c.n_ctx
                     : key == "n_vocab" ? &c.n_vocab
                                        : nullptr;
    if (int_field) {
      if (!value.is_number_integer())
        return make_error(at, "expected an integer, got " + value.dump());
      *int_field = value.get<int>();
    } else if (key == "norm_eps") {
      if (!value.is_number()) return make_error(at, "expected a number, got " + value.dump());
      c.norm_eps = value.get<float>();
    } else {
      return make_error(at,
                        "unknown model key (valid: n_layer, n_head, n_embd, n_ff, n_ctx, "
                        "n_vocab, norm_eps)");
    }
  }
  if (auto s = validate(c); !s)
    return make_error(where + ": " + s.error().where, s.error().message);
  return c;
}

Result<Preset> read_preset_file(const std::filesystem::path& path) {
  TINYLLM_TRY_ASSIGN(text, read_file(path));
  json j = json::parse(text, nullptr, false);
  const std::string where = path.string();
  if (j.is_discarded() || !j.is_object()) return make_error(where, "not a JSON object");
  Preset p;
  for (const auto& [key, value] : j.items()) {
    if (key == "name" && value.is_string()) {
      p.name = value.get<std::string>();
    } else if (key == "description" && value.is_string()) {
      p.description = value.get<std::string>();
    } else if (key == "model") {
      TINYLLM_TRY_ASSIGN(config, config_from_json(value, where));
      p.config = config;
    } else {
      return make_error(where + ": key '" + key + "'",
                        "unknown or mistyped preset key (valid: name, description, model)");
    }
  }
  if (p.name.empty() || !j.contains("model"))
    return make_error(where, "a preset needs 'name' and 'model'");
  return p;
}

json hf_config_json(const ModelConfig& c) {
  return json{{"architectures", {"GPT2LMHeadModel"}},
              {"model_type", "gpt2"},
              {"activation_function", "gelu_new"},  // tanh approximation
              {"n_layer", c.n_layer},
              {"n_head", c.n_head},
              {"n_embd", c.n_embd},
              {"n_inner", c.n_ff},
              {"n_positions", c.n_ctx},
              {"n_ctx", c.n_ctx},
              {"vocab_size", c.n_vocab},
              {"layer_norm_epsilon", c.norm_eps},
              {"tie_word_embeddings", true},
              {"resid_pdrop", 0.0},
              {"embd_pdrop", 0.0},
              {"attn_pdrop", 0.0},
              {"torch_dtype", "float32"}};
}

}  // namespace tinyllm::model
