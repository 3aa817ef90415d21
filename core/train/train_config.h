// TrainConfig: every setting of a training run, with its default, allowed range and meaning (one
// settings::Table, which docs/events.md's settings list is checked against). The worker resolves
// it once from defaults, a resumed checkpoint, a JSON file and `--key=value` overrides
// (resolve_train_config), echoes the overrides at start, and stores it verbatim in each
// checkpoint. Unknown keys, wrong types and out-of-range values are errors that name the key.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "model/config.h"
#include "settings/settings.h"

namespace tinyllm::train {

struct TrainConfig {
  // what is learned
  std::string objective = "pretrain";  // pretrain (next token) or finetune (task answers)
  std::string init_from;               // finetune: weights to start from; empty: from scratch
  std::string examples_dir;            // finetune: task_*.jsonl; default <project>/data/prepared
  bool augment = true;  // finetune: vary the readings of each training example per batch
  // finetune: LoRA adapters instead of training every weight (train/gpt2.h LoraSettings)
  int lora_rank = 0;  // 0: full fine-tuning
  double lora_alpha = 16;
  double lora_dropout = 0.05;
  std::vector<std::string> lora_targets = {"attn.c_attn", "attn.c_proj", "mlp.c_fc", "mlp.c_proj"};
  // model
  std::string preset = "tiny";  // model/config.h presets; "model" keys override its fields
  nlohmann::json model_overrides = nlohmann::json::object();  // model keys set on top of it
  model::ModelConfig model;  // preset + overrides, set by finalize (n_vocab from the data)
  // data and output
  std::string data_dir;         // token shards; default <project>/tokenizer/shards
  std::string out_dir;          // checkpoints; default <project>/checkpoints/<run_id>
  std::string run_id = "run1";  // names the checkpoint folder inside a project
  double val_fraction = 0.05;   // held-out tail of the train tokens when there is no val shard
  // batch: batch_tokens = batch_size * seq_len * grad_accum * world_size
  int batch_size = 8;        // sequences per micro-batch, per process
  int seq_len = 0;           // tokens per sequence; 0 means n_ctx
  int64_t batch_tokens = 0;  // tokens per optimizer step, all processes; 0: no accumulation
  int64_t steps = 1000;      // optimizer steps in the run
  // optimizer and schedule
  double lr = 1e-3;            // peak learning rate
  double min_lr_ratio = 0.1;   // cosine decays to lr * min_lr_ratio
  int64_t warmup_steps = 100;  // linear warmup steps
  double weight_decay = 0.1;   // AdamW decay of 2-D weights only
  double beta1 = 0.9;
  double beta2 = 0.95;
  double adam_eps = 1e-8;
  double grad_clip = 1.0;  // max global gradient norm; 0 disables
  // evaluation, sampling, logging
  int64_t eval_every = 100;  // validation loss every N steps (and at the end); 0 disables
  int eval_batches = 8;      // micro-batches of validation data per evaluation
  int64_t sample_every = 0;  // generate a sample every N steps (and at the end); 0 disables
  int sample_tokens = 64;    // tokens per sample
  double temperature = 1.0;  // sampling temperature
  int top_k = 40;            // sample among the k most likely tokens; 0: all
  std::string prompt;        // sample prompt (text; needs the tokenizer model)
  int64_t log_every = 1;     // a step event every N steps
  // checkpoints and stopping
  int64_t checkpoint_every = 200;  // checkpoint every N steps (and at the end); 0: end only
  int keep_last = 2;               // step checkpoints kept besides best/
  int patience = 0;                // early stop after N evaluations without improvement; 0: off
  double min_delta = 0.0;          // improvement needed to reset the patience counter
  double spike_factor = 3.0;       // skip a step whose loss exceeds factor * recent mean; 0: off
  int max_bad_steps = 5;           // stop after this many skipped steps in a row
  bool resume = false;             // continue from the latest checkpoint in out_dir
  // machine
  uint64_t seed = 1337;            // model init and data order
  int threads = 0;                 // CPU threads; 0: all cores
  std::string device = "auto";     // auto (CUDA when available), cpu, cuda
  std::string precision = "auto";  // auto (bf16 autocast on CUDA, fp32 on CPU), fp32, bf16, fp16
  double peak_flops = 0;           // FLOP/s for the MFU figure; 0: measured at start
};

// The table of training settings bound to `config`'s fields (the model keys n_layer.. write
// model_overrides). It refers to `config`, so it must not outlive it.
settings::Table settings_table(TrainConfig& config);

// The config as a flat JSON object (model fields under "model").
nlohmann::json to_json(const TrainConfig& config);
// Applies a JSON object of settings onto `config`: train keys, "preset", and "model" (an object
// of model keys). Model keys may also appear at the top level (n_layer, ...).
Status apply_json(TrainConfig& config, const nlohmann::json& json, const std::string& where);
// Applies one `key=value` override; the value is parsed as the key's type.
// `was`/`now` receive the old and new value as text, for the echo.
Status apply_override(TrainConfig& config, const std::string& key, const std::string& value,
                      std::string* was = nullptr, std::string* now = nullptr);
// Resolves the preset (when the model was not given in full) and checks ranges, including
// whether the chosen device exists.
Status finalize(TrainConfig& config);

// What the worker's command line says about the settings.
struct TrainRequest {
  std::optional<std::filesystem::path> project;      // --project: default data_dir and out_dir
  std::optional<std::filesystem::path> config_file;  // --config
  std::vector<std::pair<std::string, std::string>> overrides;  // --key=value, in order
};

struct ResolvedTrainConfig {
  TrainConfig config;                                 // finalized
  nlohmann::json echo = nlohmann::json::array();      // [{key, was, now}] per override
  std::optional<std::filesystem::path> resumed_from;  // the checkpoint whose settings were read
};

// The one place the precedence is applied, lowest first: defaults < the resumed checkpoint's
// train.json (with resume) < the --config file < overrides in order. The run's place (out_dir,
// run_id) is decided first from the file and the overrides (out_dir defaults to
// <project>/checkpoints/<run_id>) and is where the resumed checkpoint is looked for; the
// checkpoint's own out_dir/run_id are not applied, so a copied or moved run stays where it is.
Result<ResolvedTrainConfig> resolve_train_config(const TrainRequest& request);

}  // namespace tinyllm::train
