// The pre-training step's bookkeeping: run ids, the checkpoint artifact of each run (its
// settings, how it ended, the tokenizer it was trained with) and finding that tokenizer again.
// The training itself runs in the tinyllm-train worker (libtorch); this file links neither
// libtorch nor sentencepiece, so the worker and the CLI both use it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "project/project.h"

namespace tinyllm::pipeline {

inline constexpr const char* kCheckpointKind = "checkpoint";
inline constexpr const char* kRunsFolder = "checkpoints";

// Where a kind of training run lives and how it is recorded: pre-training runs are
// checkpoints/runN with artifacts "checkpoint-runN"; fine-tuning runs finetune/ftN,
// "finetuned-ftN".
struct RunFamily {
  const char* folder;
  const char* id_prefix;
  const char* kind;             // the artifact kind
  const char* artifact_prefix;  // artifact id = prefix + run id
};
inline constexpr RunFamily kPretrainRuns{kRunsFolder, "run", kCheckpointKind, "checkpoint-"};
inline constexpr RunFamily kFinetuneRuns{"finetune", "ft", "finetuned", "finetuned-"};

// "checkpoint-<run>": the artifact that records a run.
std::string checkpoint_artifact_id(const std::string& run_id,
                                   const RunFamily& family = kPretrainRuns);
// Whether a run folder holds trained work (latest.json, best/ or a step-* folder).
bool run_has_checkpoints(const std::filesystem::path& run_folder);
// The first "runN" that no folder in checkpoints/ and no artifact uses.
std::string next_run_id(const project::Project& project, const RunFamily& family = kPretrainRuns);
// The run of the most recently recorded checkpoint; nothing when no run was recorded.
std::optional<std::string> latest_run_id(const project::Project& project,
                                         const RunFamily& family = kPretrainRuns);

// Which run a training start writes to. A new start (no resume) gets the next free run id unless
// one is named; a named run that already holds checkpoints is refused (nothing trained is
// overwritten). Resuming continues the named run, or the latest one.
Result<std::string> choose_run(const project::Project& project,
                               const std::optional<std::string>& requested, bool resume,
                               const RunFamily& family = kPretrainRuns);

// How a run ended (or, while it runs, how it would end if killed now).
struct RunOutcome {
  std::string reason;  // events::kCompleted, kEarlyStop or kInterrupted
  int64_t step = 0;    // steps done
  int64_t steps = 0;   // steps planned
  std::optional<double> best_val_loss = std::nullopt;
  std::optional<double> best_val_accuracy = std::nullopt;  // fine-tuning
};

// Records the run's checkpoint artifact in project.json: its latest checkpoint folder, the
// settings (paths inside the project stored relative), the outcome, and the tokenizer it was
// trained with (path and sha256). Inputs: the tokenizer artifact when there is one. Reads
// project.json afresh, since another step may have saved it while the run trained.
// A fine-tuning run also lists the prepared examples and the checkpoint it started from (when
// that is a recorded run) among its inputs.
Status record_checkpoint(const std::filesystem::path& project_root, const std::string& run_id,
                         const std::filesystem::path& checkpoint, nlohmann::json train_config,
                         const RunOutcome& outcome, const std::filesystem::path& tokenizer,
                         const RunFamily& family = kPretrainRuns);
// The recorded run whose folder holds `checkpoint` (a step-*/best folder); null when none.
const project::Artifact* run_of_checkpoint(const project::Project& project,
                                           const std::filesystem::path& checkpoint);

// The tokenizer a checkpoint folder was trained with, as recorded by its project: found by
// walking up from the folder to the project.json, checked against its recorded sha256. An error
// says why none can be used (not in a project, not recorded, missing, changed since).
Result<std::filesystem::path> recorded_tokenizer(const std::filesystem::path& checkpoint);
// The same, telling "none recorded" (not inside a project, the run is not recorded, it trained on
// token ids only: std::nullopt, with `why_none` saying which) from a recorded tokenizer that
// cannot be used (missing, changed or damaged since: an error naming the file).
Result<std::optional<std::filesystem::path>> find_recorded_tokenizer(
    const std::filesystem::path& checkpoint, std::string* why_none = nullptr);

}  // namespace tinyllm::pipeline
