// Checkpoints: one folder per saved step inside a run folder.
//
//   <run>/step-00000200/   model.safetensors      weights, Hugging Face GPT-2 names and layout
//                          config.json            Hugging Face GPT2Config (transformers loads it)
//                          model.json             our ModelConfig
//                          train.json             the TrainConfig of the run, verbatim
//                          optimizer.safetensors  AdamW moments ("exp_avg.<name>", ...)
//                          lora.safetensors       LoRA runs: the adapters (model.safetensors
//                                                 holds the weights merged, a plain GPT-2)
//                          state.json             step, counters, RNG seed, files' SHA-256
//   <run>/best/            the same, for the lowest validation loss so far
//   <run>/latest.json      {"checkpoint": "step-00000200", "step": 200}
//
// Every file is written with fsync into a hidden temporary folder that is renamed into place
// only when complete, and latest.json is replaced atomically afterwards; a crash (even kill -9)
// at any moment leaves the previous checkpoint whole and latest.json pointing at one that is.
// Loading checks every tensor's name, dtype and shape and the files' checksums.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "model/config.h"
#include "train/gpt2.h"
#include "train/optimizer.h"

namespace tinyllm::train {

// What the loop needs to continue exactly where it stopped.
struct TrainState {
  int64_t step = 0;  // optimizer steps completed
  int64_t tokens_seen = 0;
  int64_t adam_steps = 0;  // updates applied (skipped steps excluded)
  double best_val_loss = 1e30;
  int64_t evals_since_best = 0;  // patience counter
  double loss_mean = 0;          // recent-loss average for the spike guard
  int64_t loss_mean_count = 0;
  int64_t bad_steps = 0;  // skipped steps in a row
  double val_loss = 0;    // the latest validation loss (0 before the first)
  // Fine-tuning: the latest and best validation accuracy (-1 before the first).
  double val_accuracy = -1;
  double best_val_accuracy = -1;
  // Position tasks: the latest and best mean validation error in metres (-1 / 1e30 before).
  double val_error = -1;
  double best_val_error = 1e30;
  uint64_t seed = 0;
  // LoRA: the SHA-256 of the frozen base's model.safetensors (resume refuses another base).
  std::string base_sha256;
};

nlohmann::json to_json(const TrainState& state);
Result<TrainState> state_from_json(const nlohmann::json& json, const std::string& where);

// Called while a checkpoint is half-written: the weights are in the temporary folder, nothing
// else is. Normal runs pass none; the worker's test build kills itself here (kill -9 test).
using HalfWrittenObserver = std::function<void(const std::filesystem::path& temporary_dir)>;

// Writes a checkpoint folder at `dir` (replacing one that is there). `optimizer` may be null
// for weights-only checkpoints.
Status write_checkpoint(const std::filesystem::path& dir, Gpt2& model, AdamW* optimizer,
                        const nlohmann::json& train_config, const TrainState& state,
                        const HalfWrittenObserver& half_written = nullptr);

// Points <run>/latest.json at `checkpoint` (a folder inside run).
Status write_latest(const std::filesystem::path& run, const std::string& checkpoint, int64_t step);
// The folder latest.json names; an error when there is none.
Result<std::filesystem::path> latest_checkpoint(const std::filesystem::path& run);
// Deletes the oldest step-* folders so that `keep` remain (never the one latest.json names).
void prune_checkpoints(const std::filesystem::path& run, int keep);

struct CheckpointInfo {
  model::ModelConfig model;
  nlohmann::json train_config;
  TrainState state;
};
// Reads and validates the JSON files of a checkpoint folder.
Result<CheckpointInfo> read_checkpoint_info(const std::filesystem::path& dir);
// Loads weights (and, when `optimizer` is given, its moments) into a model of the same config.
Status load_checkpoint(const std::filesystem::path& dir, Gpt2& model, AdamW* optimizer);

std::string step_folder_name(int64_t step);

}  // namespace tinyllm::train
