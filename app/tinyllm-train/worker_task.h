// The worker's side of fine-tuning and evaluation: task examples from a prepared folder, turned
// into tokens with our own tokenizer (tinyllm_text), and the task's answer set.
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"
#include "pipeline/finetune_step.h"
#include "text/tokenizer.h"
#include "train/task_data.h"

namespace tinyllm::worker {

// The answer set of a prepared folder (prepared.json's classes) and its train and val examples as
// tokens. With `augment`, training examples are re-written from varied readings for every draw
// (augment.h), unless the folder lacks what that needs: then `note` says why it is off. An
// augmented example longer than `n_ctx` tokens is replaced by the example as prepared.
Result<train::TaskData> load_task_data(const std::filesystem::path& prepared_dir,
                                       const text::Tokenizer& tokenizer, bool augment, int n_ctx,
                                       std::string& note);

// One split's examples as tokens (evaluation), with the texts they came from.
struct TokenSplit {
  pipeline::TaskSplit text;
  std::vector<train::TokenExample> tokens;
};
Result<TokenSplit> load_token_split(const std::filesystem::path& prepared_dir,
                                    const std::string& split, const text::Tokenizer& tokenizer,
                                    const std::vector<std::string>& classes);

}  // namespace tinyllm::worker
