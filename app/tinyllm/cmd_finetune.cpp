// tinyllm finetune: step 3's training, in the tinyllm-train worker. Before the worker starts,
// the examples are checked against the model's context here (no libtorch needed), so a user
// learns in a second, not after minutes of training, that an answer would be cut off.
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "commands.h"
#include "model/config.h"
#include "pipeline/finetune_step.h"
#include "pipeline/tokenizer_step.h"
#include "train_on_hosts.h"
#include "worker_launch.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kFinetuneUsage =
    R"(usage: tinyllm finetune --project P [--steps N] [--from CHECKPOINT|scratch] [options]

  --project P        project folder: reads data/prepared (task examples) and the tokenizer,
                     writes finetune/<run>
  --from DIR         the checkpoint to start from; default: the latest pre-training run's best
                     checkpoint. 'scratch' trains a new model (a baseline: how much did
                     pre-training help?)
  --preset NAME      the model size when training from scratch (default tiny)
  --steps N          optimizer steps (default 600; early stopping on validation accuracy)
  --no-augment       train on the readings as recorded (augmentation is on by default)
  --lora             train LoRA adapters (rank 8, --lora_rank R --lora_alpha A --lora_dropout D
                     --lora_targets attn.c_attn,mlp.c_fc) instead of every weight; needs a
                     pre-trained start. Checkpoints hold the weights merged (docs/finetune.md)
  --run ID           run name (finetune/<ID>); default: a new run (ft1, ft2, ...)
  --resume           continue the run from its latest checkpoint
  --check            only check that every example fits the model's context, then exit
  --json             print the worker's JSON events as they come
  --KEY VALUE        any training setting, e.g. --lr 3e-4 --batch_size 16 (docs/events.md)

The loss is on the answers only; validation accuracy decides the best checkpoint (best/).
Ctrl-C stops after the current step and writes a checkpoint; --resume continues from it.
--on HOST[,HOST...] [--gpus N] runs it on other computers, as for tinyllm train (see tinyllm train
--help); with several workers each takes --batch_size examples of every step.
)";

std::optional<std::string> option(const WorkerOptions& options, const std::string& key) {
  std::optional<std::string> value;
  for (const auto& [k, v] : options)
    if (k == key) value = v;
  return value;
}

}  // namespace

int run_finetune_command(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::printf("%s", kFinetuneUsage);
    return 0;
  }
  auto parsed = split_options(argv, {"json", "resume", "check", "no-augment", "lora"});
  if (!parsed) return fail(parsed.error());
  bool raw_json = false, check_only = false, resume = false, lora = false;
  std::optional<std::string> from;
  WorkerOptions forward;
  for (const auto& [k, v] : *parsed) {
    if (k == "json")
      raw_json = true;
    else if (k == "check")
      check_only = true;
    else if (k == "from")
      from = v;
    else if (k == "no-augment")
      forward.emplace_back("augment", "false");
    else if (k == "lora")
      lora = v == "true";
    else if (k == "resume" && v == "true")
      resume = true, forward.emplace_back(k, v);
    else
      forward.emplace_back(k == "run" ? "run_id" : k, v);
  }
  const auto project_arg = option(forward, "project");
  if (!project_arg) {
    std::fprintf(stderr, "%s", kFinetuneUsage);
    return fail(make_error("tinyllm finetune", "name the project (--project P)"));
  }
  auto project = project::open_project(*project_arg);
  if (!project) return fail(project.error());

  WorkerOptions run_options;
  if (!resume) {
    // Where the weights come from, and so the context the examples must fit.
    std::string init;
    int n_ctx = 0;
    if (from && *from == "scratch") {
      auto preset = model::preset(option(forward, "preset").value_or("tiny"));
      if (!preset) return fail(preset.error());
      n_ctx = preset->n_ctx;
      if (auto given = option(forward, "n_ctx")) n_ctx = std::atoi(given->c_str());
    } else {
      fs::path dir;
      if (from) {
        dir = *from;
      } else {
        auto found = pipeline::default_init_checkpoint(*project);
        if (!found) return fail(found.error());
        dir = *found;
      }
      auto ctx = pipeline::checkpoint_context(dir);
      if (!ctx) return fail(ctx.error());
      n_ctx = *ctx;
      init = fs::absolute(dir).string();
    }
    auto tokenizer = text::load_checked_tokenizer(project->path(pipeline::kTokenizerModel));
    if (!tokenizer) return fail(tokenizer.error());
    const fs::path prepared = project->path(pipeline::kPreparedFolder);
    std::vector<pipeline::TaskSplit> splits;
    for (const char* name : {"train", "val"}) {
      auto split = pipeline::read_task_split(prepared, name);
      if (!split) return fail(split.error());
      splits.push_back(std::move(*split));
    }
    const auto check = pipeline::check_context(*tokenizer, splits, n_ctx);
    if (check_only) {
      if (raw_json)
        std::printf("%s\n", check.to_json().dump().c_str());
      else
        std::printf("%s\n", check.message().c_str());
      return check.ok() ? 0 : 1;
    }
    if (!check.ok()) return fail(make_error(prepared.string(), check.message()));
    if (!raw_json) std::printf("context check: %s\n", check.message().c_str());
    // The fine-tuning defaults (pipeline/finetune_step.h), under what the user gave.
    if (option(forward, "lora_rank")) lora = std::atoi(option(forward, "lora_rank")->c_str()) > 0;
    for (const auto& [k, v] : pipeline::finetune_defaults(init.empty(), lora))
      if (!option(forward, k)) run_options.emplace_back(k, v);
    run_options.emplace_back("init_from", init);
  }
  for (auto& kv : forward)
    run_options.push_back(kv);
  if (option(run_options, "on")) return run_on_hosts("finetune", run_options, raw_json);
  if (option(run_options, "gpus"))
    return fail(make_error("--gpus", "is for --on (the GPUs of each host)"));
  return launch("finetune", run_options, 1, raw_json);
}

}  // namespace tinyllm::cli
