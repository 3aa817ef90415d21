// The table of the workbench's steps: for each its id, title, what it needs, and its state in a
// project, decided from the artifacts the project records (never from files lying around).
// `tinyllm project info` and the GUI's step rail both read this table; a new step (fine-tune,
// quantize, deploy) becomes available by giving its row a state function here.
#pragma once

#include <string>
#include <vector>

#include "project/project.h"

namespace tinyllm::pipeline {

enum class StepId { data = 0, pretrain, finetune, quantize, deploy };

enum class StepStatus {
  not_available,       // not in this version
  needs_earlier_step,  // an earlier step has not made what this one needs
  ready,               // can run (again): nothing made yet, or a run to resume
  done,                // made, and its inputs unchanged
  stale,               // made, but an input changed since (or its files are gone)
  needs_attention,     // what it made is damaged (e.g. tokenizer.model): make it again
};
// "done", "stale", "ready", "needs an earlier step", "not available yet", "needs attention"
const char* to_string(StepStatus status);

struct StepState {
  StepStatus status = StepStatus::not_available;
  std::string reason;  // one sentence saying why, e.g. "run2 stopped at step 149 of 1000"
};

struct StepInfo {
  StepId id;
  const char* key;    // "data", "pretrain", ...
  const char* title;  // "Data", "Pre-train", ...
  const char* needs;  // what it needs and does, in words
  StepState (*state)(const project::Project& project);
};

// Every step, in order.
const std::vector<StepInfo>& steps();
const StepInfo& step_info(StepId id);
StepState step_state(const project::Project& project, StepId id);

}  // namespace tinyllm::pipeline
