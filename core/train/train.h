// tinyllm_train: GPT-2 pre-training in libtorch. The public entry point of the library.
//
// Does: build the model (gpt2.h), run the training loop — AdamW, warmup + cosine schedule,
// gradient clipping and accumulation, validation, sampling, NaN/spike guard, early stopping —
// on CPU or CUDA, alone or data-parallel over processes (distributed.h); write and resume
// checkpoints (checkpoint.h); and report progress as JSON events (docs/events.md).
// Does not: tokenize (the worker passes encode/decode functions from tinyllm_text), print
// anything (events go to the sink), or install signal handlers (the caller sets `stop`).
//
// libtorch and libsentencepiece cannot share a process (docs/architecture.md), so this library is
// only linked into the tinyllm-train worker, its tests and the benchmark.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/token_source.h"
#include "train/train_config.h"

namespace tinyllm::train {

// Receives each event as it happens: {"event": "step", ...}. Only rank 0 emits events.
using EventSink = std::function<void(const nlohmann::json& event)>;

// Optional text handling for samples: the worker supplies these from our tokenizer.
struct TextCodec {
  std::function<std::vector<int32_t>(const std::string&)> encode;
  std::function<std::optional<std::string>(const std::vector<int32_t>&)> decode;
  // The ids' text for people (text/readable.h): byte pieces, newlines and controls visible.
  std::function<std::string(const std::vector<int32_t>&)> readable;
  int32_t start_id = 0;  // the id a sample starts from when there is no prompt (BOS/separator)
};

// Observers a caller may install; normal runs need none.
struct TrainHooks {
  HalfWrittenObserver checkpoint_half_written;  // inside every checkpoint write (checkpoint.h)
};

struct TrainOutcome {
  std::string reason;  // "completed", "early_stop", "interrupted"
  int64_t step = 0;
  double loss = 0;
  double val_loss = 0;
  double best_val_loss = 0;
  double best_val_accuracy = -1;     // fine-tuning; -1 when never validated
  double best_val_error = -1;        // position fine-tuning: metres; -1 when never validated
  std::filesystem::path checkpoint;  // the last checkpoint written
};

// Runs (or, with config.resume, continues) a training run. `config` must have been finalized
// (train_config.h). Setting *stop makes the loop checkpoint at the end of the current step and
// return with reason "interrupted". While *pause is set the loop waits at a step boundary (after
// the step's evaluation and checkpoint), emitting "paused" and then "resumed" with the step; with
// several processes all of them pause at the same step and keep their collectives alive.
// Returns an error for bad settings, data or checkpoints, or a diverged run; the sink has then
// also received an "error" event.
Result<TrainOutcome> run_training(TrainConfig config, const DataSplit& data,
                                  const Rendezvous& rendezvous, const EventSink& sink,
                                  const std::atomic<bool>* stop, const TextCodec* codec = nullptr,
                                  const TrainHooks& hooks = {},
                                  const std::atomic<bool>* pause = nullptr);

struct TaskData;  // task_data.h

// Fine-tunes on task examples (task_data.h): the same loop, events, checkpoints, pause/stop/resume
// and NaN guard as run_training, with the loss on the answers only, starting from
// config.init_from (or from scratch), validated by answer accuracy ("val" events carry
// val_accuracy; best/ and early stopping follow it). With several processes each takes
// batch_size examples of every step (the step's batch grows with them) and a share of the
// validation examples.
Result<TrainOutcome> run_finetuning(TrainConfig config, const TaskData& task, const EventSink& sink,
                                    const std::atomic<bool>* stop, const TrainHooks& hooks = {},
                                    const std::atomic<bool>* pause = nullptr,
                                    const Rendezvous& rendezvous = {});

// torch::Device for a config's device setting ("auto" picks CUDA when available).
std::string resolve_device(const std::string& setting);

}  // namespace tinyllm::train
