// The fine-tuning step's bookkeeping, shared by the CLI, the GUI and the worker: the task
// examples step 1 prepared, the check that every example fits the model's context (before any
// training starts), the checkpoint a fine-tune starts from, and the step's state. The training
// itself runs in the tinyllm-train worker (`tinyllm-train finetune`). Links neither libtorch nor
// sentencepiece (text goes through our own tokenizer).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "pipeline/pretrain_step.h"
#include "pipeline/steps.h"
#include "project/project.h"
#include "text/tokenizer.h"

namespace tinyllm::pipeline {

inline constexpr const char* kPreparedFolder = "data/prepared";

// One line of task_<split>.jsonl.
struct TaskExampleText {
  std::string prompt, response, label;
  std::string series, subject;
  int64_t start = 0, rows = 0;
  std::vector<double> target;  // position tasks: x, y
  int line = 0;                // 1-based line in its file
};

struct TaskSplit {
  std::filesystem::path file;
  std::vector<TaskExampleText> examples;
};

// The prepared summary (prepared.json) of a prepared folder.
Result<nlohmann::json> read_prepared_summary(const std::filesystem::path& prepared_dir);
// task_<split>.jsonl of a prepared folder; errors name the file and line.
Result<TaskSplit> read_task_split(const std::filesystem::path& prepared_dir,
                                  const std::string& split);

// Whether every example (prompt + response, the end marker included) fits n_ctx tokens.
struct ContextCheck {
  int n_ctx = 0;
  size_t examples = 0, over = 0;
  size_t max_tokens = 0;
  double mean_tokens = 0, p95_tokens = 0;
  std::string longest_at;  // "task_train.jsonl:12"
  bool ok() const { return over == 0 && examples > 0; }
  // What the numbers mean and, when some do not fit, the ways out.
  std::string message() const;
  nlohmann::json to_json() const;
};
ContextCheck check_context(const text::Tokenizer& tokenizer, const std::vector<TaskSplit>& splits,
                           int n_ctx);

// The checkpoint a fine-tune starts from by default: the best (else latest) checkpoint of the
// latest pre-training run. An error says what to do when there is none.
Result<std::filesystem::path> default_init_checkpoint(const project::Project& project);
// The model's context (n_ctx) a checkpoint folder was trained with.
Result<int> checkpoint_context(const std::filesystem::path& checkpoint);

// A run folder's checkpoint to use (evaluate, sample, start from): best/ when it exists, else
// the one latest.json names.
Result<std::filesystem::path> best_or_latest_checkpoint(const std::filesystem::path& run_folder);

// The folder to evaluate for a fine-tuning run: best/ when it exists, else the latest.
Result<std::filesystem::path> finetune_checkpoint(const project::Project& project,
                                                  const std::string& run_id);

// The fine-tuning settings a run starts with unless the user gives them (training settings,
// docs/events.md): measured on magic wand, the demo and UJIIndoorLoc (docs/text-forms.md).
// From scratch the model needs a higher learning rate than from a pre-trained one; LoRA
// (`lora`: adapters of rank kLoraDefaultRank) a higher one still, as only the small adapters move.
inline constexpr int kLoraDefaultRank = 8;
std::vector<std::pair<std::string, std::string>> finetune_defaults(bool from_scratch, bool lora);

// The Fine-tune row of the step table.
StepState finetune_state(const project::Project& project);

}  // namespace tinyllm::pipeline
