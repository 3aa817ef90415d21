#include "train/train_config.h"

#include <charconv>
#include <variant>

#include "model/config_json.h"

namespace tinyllm::train {
using nlohmann::json;
namespace {

using FieldPtr = std::variant<int*, int64_t*, uint64_t*, double*, bool*, std::string*>;
struct Field {
  const char* name;
  FieldPtr ptr;
};

// The table of settings, in the order they are echoed.
std::vector<Field> fields(TrainConfig& c) {
  return {{"preset", &c.preset},
          {"data_dir", &c.data_dir},
          {"out_dir", &c.out_dir},
          {"run_id", &c.run_id},
          {"val_fraction", &c.val_fraction},
          {"batch_size", &c.batch_size},
          {"seq_len", &c.seq_len},
          {"batch_tokens", &c.batch_tokens},
          {"steps", &c.steps},
          {"lr", &c.lr},
          {"min_lr_ratio", &c.min_lr_ratio},
          {"warmup_steps", &c.warmup_steps},
          {"weight_decay", &c.weight_decay},
          {"beta1", &c.beta1},
          {"beta2", &c.beta2},
          {"adam_eps", &c.adam_eps},
          {"grad_clip", &c.grad_clip},
          {"eval_every", &c.eval_every},
          {"eval_batches", &c.eval_batches},
          {"sample_every", &c.sample_every},
          {"sample_tokens", &c.sample_tokens},
          {"temperature", &c.temperature},
          {"top_k", &c.top_k},
          {"prompt", &c.prompt},
          {"log_every", &c.log_every},
          {"checkpoint_every", &c.checkpoint_every},
          {"keep_last", &c.keep_last},
          {"patience", &c.patience},
          {"min_delta", &c.min_delta},
          {"spike_factor", &c.spike_factor},
          {"max_bad_steps", &c.max_bad_steps},
          {"resume", &c.resume},
          {"seed", &c.seed},
          {"threads", &c.threads},
          {"device", &c.device},
          {"precision", &c.precision},
          {"peak_flops", &c.peak_flops}};
}

const char* kModelKeys[] = {"n_layer", "n_head", "n_embd", "n_ff", "n_ctx", "n_vocab", "norm_eps"};

bool is_model_key(const std::string& key) {
  for (const char* k : kModelKeys)
    if (key == k) return true;
  return false;
}

Status set_from_json(const Field& f, const json& v, const std::string& at) {
  auto bad = [&](const char* type) {
    return make_error(at, std::string("expected ") + type + ", got " + v.dump());
  };
  return std::visit(
      [&](auto* p) -> Status {
        using T = std::remove_pointer_t<decltype(p)>;
        if constexpr (std::is_same_v<T, std::string>) {
          if (!v.is_string()) return bad("a string");
          *p = v.get<std::string>();
        } else if constexpr (std::is_same_v<T, bool>) {
          if (!v.is_boolean()) return bad("true or false");
          *p = v.get<bool>();
        } else if constexpr (std::is_same_v<T, double>) {
          if (!v.is_number()) return bad("a number");
          *p = v.get<double>();
        } else {
          if (!v.is_number_integer()) return bad("an integer");
          if (std::is_unsigned_v<T> && v.is_number_integer() && !v.is_number_unsigned() &&
              v.get<int64_t>() < 0)
            return bad("a non-negative integer");
          *p = v.get<T>();
        }
        return {};
      },
      f.ptr);
}

json field_value(const Field& f) {
  return std::visit([](auto* p) { return json(*p); }, f.ptr);
}

// Parses override text as the field's type: strings are taken as they are, the rest as JSON.
Result<json> parse_value(const Field& f, const std::string& text) {
  if (std::holds_alternative<std::string*>(f.ptr)) return json(text);
  json v = json::parse(text, nullptr, false);
  if (v.is_discarded())
    return make_error(std::string("--") + f.name, "cannot parse '" + text + "'");
  return v;
}

}  // namespace

json to_json(const TrainConfig& config) {
  json j = json::object();
  for (const auto& f : fields(const_cast<TrainConfig&>(config)))
    j[f.name] = field_value(f);
  j["model"] = model::to_json(config.model);
  return j;
}

Status apply_json(TrainConfig& c, const json& j, const std::string& where) {
  if (!j.is_object()) return make_error(where, "the training config must be a JSON object");
  const auto table = fields(c);
  for (const auto& [key, value] : j.items()) {
    const std::string at = where + ": key '" + key + "'";
    if (key == "model") {
      if (!value.is_object()) return make_error(at, "expected an object of model keys");
      for (const auto& [mk, mv] : value.items()) {
        if (!is_model_key(mk))
          return make_error(at + "." + mk,
                            "unknown model key (valid: n_layer, n_head, n_embd, "
                            "n_ff, n_ctx, n_vocab, norm_eps)");
        c.model_overrides[mk] = mv;
      }
      continue;
    }
    if (is_model_key(key)) {
      c.model_overrides[key] = value;
      continue;
    }
    auto it =
        std::find_if(table.begin(), table.end(), [&](const Field& f) { return key == f.name; });
    if (it == table.end())
      return make_error(at, "unknown setting (docs/events.md lists the training settings)");
    TINYLLM_TRY(set_from_json(*it, value, at));
  }
  return {};
}

Status apply_override(TrainConfig& c, const std::string& key, const std::string& value,
                      std::string* was, std::string* now) {
  const std::string at = "--" + key;
  if (is_model_key(key)) {
    json v = json::parse(value, nullptr, false);
    if (v.is_discarded() || !v.is_number())
      return make_error(at, "expected a number, got '" + value + "'");
    if (was) {
      auto base = model::preset(c.preset);
      json old = c.model_overrides.contains(key) ? c.model_overrides[key]
                 : base                          ? model::to_json(*base)[key]
                                                 : json();
      *was = old.dump();
    }
    c.model_overrides[key] = v;
    if (now) *now = v.dump();
    return {};
  }
  const auto table = fields(c);
  auto it = std::find_if(table.begin(), table.end(), [&](const Field& f) { return key == f.name; });
  if (it == table.end()) return make_error(at, "unknown setting");
  if (was) *was = field_value(*it).dump();
  TINYLLM_TRY_ASSIGN(v, parse_value(*it, value));
  TINYLLM_TRY(set_from_json(*it, v, at));
  if (now) *now = field_value(*it).dump();
  return {};
}

Status finalize(TrainConfig& c) {
  TINYLLM_TRY_ASSIGN(base, model::preset(c.preset));
  // n_ff follows n_embd unless it was given.
  json overrides = c.model_overrides;
  if (overrides.contains("n_embd") && !overrides.contains("n_ff"))
    overrides["n_ff"] = 4 * overrides["n_embd"].get<int>();
  TINYLLM_TRY_ASSIGN(m, model::config_from_json(overrides, "model", base));
  c.model = m;
  auto positive = [](const char* key, double v) -> Status {
    if (!(v > 0)) return make_error(key, "must be positive");
    return {};
  };
  TINYLLM_TRY(positive("batch_size", c.batch_size));
  TINYLLM_TRY(positive("steps", double(c.steps)));
  TINYLLM_TRY(positive("lr", c.lr));
  if (c.seq_len < 0 || c.seq_len > c.model.n_ctx)
    return make_error("seq_len", "must be between 1 and n_ctx (" + std::to_string(c.model.n_ctx) +
                                     "), or 0 for n_ctx");
  if (c.seq_len == 0) c.seq_len = c.model.n_ctx;
  if (c.warmup_steps < 0) return make_error("warmup_steps", "must not be negative");
  if (c.device != "auto" && c.device != "cpu" && c.device != "cuda")
    return make_error("device", "must be auto, cpu or cuda, got '" + c.device + "'");
  if (c.precision != "auto" && c.precision != "fp32" && c.precision != "bf16" &&
      c.precision != "fp16")
    return make_error("precision", "must be auto, fp32, bf16 or fp16, got '" + c.precision + "'");
  if (c.val_fraction < 0 || c.val_fraction >= 1)
    return make_error("val_fraction", "must be in [0, 1)");
  return {};
}

}  // namespace tinyllm::train
