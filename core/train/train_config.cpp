#include "train/train_config.h"

#include <torch/cuda.h>

#include "base/files.h"
#include "model/config_json.h"
#include "train/checkpoint.h"

namespace tinyllm::train {
using nlohmann::json;
using settings::Range;
namespace {

constexpr double kMaxSteps = 1e9;

const char* kModelKeys[] = {"n_layer", "n_head", "n_embd", "n_ff", "n_ctx", "n_vocab", "norm_eps"};

bool is_model_key(const std::string& key) {
  for (const char* k : kModelKeys)
    if (key == k) return true;
  return false;
}

std::vector<std::string> preset_names() {
  std::vector<std::string> names;
  for (const auto& p : model::presets())
    names.push_back(p.name);
  return names;
}

// A model key: its value lives in model_overrides (the preset gives the rest at finalize).
settings::Setting model_setting(TrainConfig& c, const char* name, settings::Type type, Range range,
                                std::string help) {
  settings::Setting s;
  s.name = name;
  s.type = type;
  s.range = range;
  s.help = std::move(help);
  s.default_value = "preset";  // a note for the docs: the preset decides
  s.dumped = false;            // written under "model" (resolved), see to_json
  s.get = [&c, key = std::string(name)]() -> json {
    if (c.model_overrides.contains(key)) return c.model_overrides[key];
    auto base = model::preset(c.preset);
    return base ? model::to_json(*base)[key] : json();
  };
  s.set = [&c, key = std::string(name)](const json& v) { c.model_overrides[key] = v; };
  return s;
}

}  // namespace

settings::Table settings_table(TrainConfig& c) {
  using settings::Type;
  settings::Table t("training setting");
  t.text("preset", c.preset, preset_names(),
         "model size: tiny (~1M), small (~5M) for CPUs; d6 d8 d10 d11 d12 (paper, 30-124M, CUDA)");
  t.add(model_setting(c, "n_layer", Type::integer, Range::between(1, 256), "transformer blocks"));
  t.add(model_setting(c, "n_head", Type::integer, Range::between(1, 256),
                      "attention heads; n_embd must be divisible by it"));
  t.add(model_setting(c, "n_embd", Type::integer, Range::between(32, 16384),
                      "residual width, a multiple of 32"));
  t.add(model_setting(c, "n_ff", Type::integer, Range::between(32, 65536),
                      "MLP width, a multiple of 32; follows 4*n_embd unless given"));
  t.add(model_setting(c, "n_ctx", Type::integer, Range::between(8, 65536),
                      "context length (learned positions)"));
  t.add(model_setting(c, "n_vocab", Type::integer, Range::between(1, 1 << 20),
                      "vocabulary size; replaced by the token shards' vocabulary"));
  t.add(
      model_setting(c, "norm_eps", Type::number, Range::between(1e-12, 0.1), "LayerNorm epsilon"));
  t.text("objective", c.objective, {"pretrain", "finetune"},
         "pretrain: next token on the corpus; finetune: the task's answers (loss on them only)");
  t.text("init_from", c.init_from, {},
         "finetune: the checkpoint folder to start from; empty: from scratch (a baseline)");
  t.text("examples_dir", c.examples_dir, {},
         "finetune: the task examples (task_*.jsonl); default <project>/data/prepared");
  t.flag("augment", c.augment,
         "finetune: vary each training window's readings per batch (gain, offset, time warp; "
         "RSSI: dropped access points, noise)");
  t.integer("lora_rank", c.lora_rank, Range::between(1, 4096).or_value(0, "full fine-tuning"),
            "finetune: train low-rank adapters of this rank instead of every weight (needs "
            "init_from); checkpoints hold the weights merged");
  t.number("lora_alpha", c.lora_alpha, Range::between(1e-6, 1e6),
           "finetune: the adapters' update is scaled by lora_alpha / lora_rank");
  t.number("lora_dropout", c.lora_dropout, Range::between(0, 0.9),
           "finetune: dropout on the adapters' input while training");
  t.text_list("lora_targets", c.lora_targets,
              "finetune: the matmuls that get adapters: attn.c_attn, attn.c_proj, mlp.c_fc, "
              "mlp.c_proj (every block), or h.N.<matmul> for block N only");
  t.text("data_dir", c.data_dir, {},
         "token shards (train_NNN.bin, val_NNN.bin); default <project>/tokenizer/shards; "
         "synthetic[:TOKENS] for a generated stream");
  t.text("out_dir", c.out_dir, {}, "checkpoint folder; default <project>/checkpoints/<run_id>");
  t.text("run_id", c.run_id, {}, "run name, the checkpoint folder inside a project");
  t.number("val_fraction", c.val_fraction, Range::between(0, 0.5),
           "tail of the train tokens held out when there is no val shard");
  t.integer("batch_size", c.batch_size, Range::between(1, 65536),
            "sequences per micro-batch per process");
  t.integer("seq_len", c.seq_len, Range::between(1, 65536).or_value(0, "n_ctx"),
            "tokens per sequence, at most n_ctx");
  t.integer("batch_tokens", c.batch_tokens, Range::between(1, 1e12).or_value(0, "no accumulation"),
            "tokens per optimizer step over all processes; a multiple of "
            "batch_size*seq_len*processes, the quotient is the gradient accumulation");
  t.integer("steps", c.steps, Range::between(1, kMaxSteps), "optimizer steps");
  t.number("lr", c.lr, Range::between(1e-9, 10), "peak learning rate (after linear warmup)");
  t.number("min_lr_ratio", c.min_lr_ratio, Range::between(0, 1),
           "the cosine schedule ends at lr*min_lr_ratio");
  t.integer("warmup_steps", c.warmup_steps, Range::between(0, kMaxSteps), "linear warmup steps");
  t.number("weight_decay", c.weight_decay, Range::between(0, 10),
           "AdamW decay, on 2-D matmul weights only");
  t.number("beta1", c.beta1, Range::between(0, 0.99999), "AdamW first-moment decay");
  t.number("beta2", c.beta2, Range::between(0, 0.99999), "AdamW second-moment decay");
  t.number("adam_eps", c.adam_eps, Range::between(1e-12, 1), "AdamW epsilon");
  t.number("grad_clip", c.grad_clip, Range::between(1e-6, 1e6).or_value(0, "off"),
           "max global gradient L2 norm");
  t.integer("eval_every", c.eval_every, Range::between(1, kMaxSteps).or_value(0, "off"),
            "validation loss every N steps and at the end");
  t.integer("eval_batches", c.eval_batches, Range::between(1, 1e6),
            "micro-batches of fixed validation sequences per evaluation");
  t.integer("sample_every", c.sample_every, Range::between(1, kMaxSteps).or_value(0, "off"),
            "a sample every N steps and at the end");
  t.integer("sample_tokens", c.sample_tokens, Range::between(1, 1 << 20), "tokens per sample");
  t.number("temperature", c.temperature, Range::between(0, 100),
           "sampling temperature; 0 is greedy");
  t.integer("top_k", c.top_k, Range::between(1, 1 << 24).or_value(0, "all"),
            "sample among the k most likely tokens");
  t.text("prompt", c.prompt, {}, "text the samples continue (needs the tokenizer)");
  t.integer("log_every", c.log_every, Range::between(1, kMaxSteps), "a step event every N steps");
  t.integer("checkpoint_every", c.checkpoint_every,
            Range::between(1, kMaxSteps).or_value(0, "at the end only"),
            "a step checkpoint every N steps and at the end");
  t.integer("keep_last", c.keep_last, Range::between(1, 100000),
            "step checkpoints kept besides best/");
  t.integer("patience", c.patience, Range::between(1, 1e6).or_value(0, "off"),
            "early stop after N evaluations without an improvement of min_delta (finetune: "
            "of validation accuracy)");
  t.number("min_delta", c.min_delta, Range::between(0, 1e6),
           "improvement that resets the patience count (loss; finetune: accuracy)");
  t.number("spike_factor", c.spike_factor, Range::between(1, 1e6).or_value(0, "off"),
           "skip a step whose loss is non-finite or above factor x recent mean");
  t.integer("max_bad_steps", c.max_bad_steps, Range::between(1, 1e6),
            "stop with an error after N skipped steps in a row");
  t.flag("resume", c.resume,
         "continue from out_dir/latest.json (bit-for-bit on CPU with the same settings)");
  t.integer("seed", c.seed, Range::between(0, 18446744073709551615.0), "model init and data order");
  t.integer("threads", c.threads, Range::between(1, 4096).or_value(0, "all cores"), "CPU threads");
  t.text("device", c.device, {"auto", "cpu", "cuda"},
         "auto picks CUDA when libtorch has it and sees a GPU");
  t.text("precision", c.precision, {"auto", "fp32", "bf16", "fp16"},
         "auto: bf16 autocast on CUDA, fp32 on CPU; fp16 is not implemented");
  t.number("peak_flops", c.peak_flops, Range::between(1, 1e20).or_value(0, "measured at start"),
           "FLOP/s the MFU figure divides by");
  return t;
}

json to_json(const TrainConfig& config) {
  TrainConfig copy = config;  // the table binds mutable fields; a copy keeps `config` const
  json j = settings_table(copy).to_json();
  j["model"] = model::to_json(config.model);
  return j;
}

Status apply_json(TrainConfig& c, const json& j, const std::string& where) {
  if (!j.is_object()) return make_error(where, "the training config must be a JSON object");
  auto table = settings_table(c);
  for (const auto& [key, value] : j.items()) {
    if (key != "model") {
      TINYLLM_TRY(table.apply_json(json{{key, value}}, where));
      continue;
    }
    const std::string at = where + ": model";
    if (!value.is_object()) return make_error(at, "expected an object of model keys");
    for (const auto& [mk, mv] : value.items()) {
      if (!is_model_key(mk))
        return make_error(at + "." + mk,
                          "unknown model key (valid: n_layer, n_head, n_embd, n_ff, n_ctx, "
                          "n_vocab, norm_eps)");
      TINYLLM_TRY(table.apply_json(json{{mk, mv}}, at));
    }
  }
  return {};
}

Status apply_override(TrainConfig& c, const std::string& key, const std::string& value,
                      std::string* was, std::string* now) {
  auto table = settings_table(c);
  if (auto s = table.apply_override(key, value, was, now); !s)
    return make_error("--" + s.error().where, s.error().message);
  return {};
}

Status finalize(TrainConfig& c) {
  TINYLLM_TRY(settings_table(c).check());
  TINYLLM_TRY_ASSIGN(base, model::preset(c.preset));
  // n_ff follows n_embd unless it was given.
  json overrides = c.model_overrides;
  if (overrides.contains("n_embd") && !overrides.contains("n_ff"))
    overrides["n_ff"] = 4 * overrides["n_embd"].get<int>();
  TINYLLM_TRY_ASSIGN(m, model::config_from_json(overrides, "model", base));
  c.model = m;
  if (c.seq_len > c.model.n_ctx)
    return make_error("seq_len", std::to_string(c.seq_len) + " is out of range [1, n_ctx = " +
                                     std::to_string(c.model.n_ctx) + "] (or 0: n_ctx)");
  if (c.seq_len == 0) c.seq_len = c.model.n_ctx;
  if (c.lora_rank > 0 && c.objective != "finetune")
    return make_error("lora_rank", "LoRA is for fine-tuning (objective finetune)");
  if (c.lora_rank > 0 && c.init_from.empty())
    return make_error("lora_rank",
                      "LoRA adapts a pre-trained model, and there is none to start from "
                      "(init_from is empty): pre-train first, or fine-tune every weight "
                      "(lora_rank 0)");
  if (c.lora_rank > 0 && c.lora_targets.empty())
    return make_error("lora_targets", "names no matmul to adapt");
  // Checked here, before the worker writes anything: without CUDA the device count is 0.
  if (c.device == "cuda" && !torch::cuda::is_available())
    return make_error("device",
                      "'cuda' is not available: this libtorch has no CUDA or sees no GPU "
                      "(allowed here: auto, cpu)");
  return {};
}

namespace {

Result<json> read_json_file(const std::filesystem::path& path) {
  TINYLLM_TRY_ASSIGN(text, read_file(path));
  return settings::parse_json(text, path.string());
}

}  // namespace

Result<ResolvedTrainConfig> resolve_train_config(const TrainRequest& request) {
  std::optional<json> file;
  if (request.config_file) {
    TINYLLM_TRY_ASSIGN(j, read_json_file(*request.config_file));
    file = std::move(j);
  }
  // The run's place and whether it resumes, from the file and the overrides alone.
  TrainConfig place;
  if (file) TINYLLM_TRY(apply_json(place, *file, request.config_file->string()));
  for (const auto& [k, v] : request.overrides)
    if (k == "out_dir" || k == "run_id" || k == "resume") TINYLLM_TRY(apply_override(place, k, v));
  if (place.out_dir.empty() && request.project)
    place.out_dir = (*request.project / "checkpoints" / place.run_id).string();
  if (place.out_dir.empty()) return make_error("out_dir", "pass --project=DIR or --out_dir=FOLDER");

  ResolvedTrainConfig out;
  TrainConfig& config = out.config;
  if (place.resume) {
    TINYLLM_TRY_ASSIGN(dir, latest_checkpoint(place.out_dir));
    const auto path = dir / "train.json";
    TINYLLM_TRY_ASSIGN(saved, read_json_file(path));
    if (saved.is_object()) {
      saved.erase("out_dir");  // the run is where it was found, even when copied or moved
      saved.erase("run_id");
    }
    TINYLLM_TRY(apply_json(config, saved, path.string()));
    out.resumed_from = dir;
  }
  if (file) TINYLLM_TRY(apply_json(config, *file, request.config_file->string()));
  for (const auto& [k, v] : request.overrides) {
    std::string was, now;
    TINYLLM_TRY(apply_override(config, k, v, &was, &now));
    out.echo.push_back({{"key", k}, {"was", was}, {"now", now}});
  }
  config.out_dir = place.out_dir;  // the same unless only --project gave it
  if (request.project && config.data_dir.empty())
    config.data_dir = (*request.project / "tokenizer" / "shards").string();
  if (request.project && config.examples_dir.empty() && config.objective == "finetune")
    config.examples_dir = (*request.project / "data" / "prepared").string();
  TINYLLM_TRY(finalize(config));
  return out;
}

}  // namespace tinyllm::train
