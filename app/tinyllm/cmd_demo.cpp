// tinyllm demo: the whole pipeline, headless, on the built-in demo project: data, tokenizer,
// pre-training, a sample, fine-tuning, the evaluation beside the baselines and the GGUF export.
// Each step runs the same code as its own subcommand and prints what it did.
#include <cstdio>
#include <cstdlib>

#include "cli_args.h"
#include "cli_output.h"
#include "commands.h"
#include "pipeline/data_step.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;

int run_demo_command(const std::vector<std::string>& argv) {
  auto args =
      Args::parse(argv, {{"kind", "seed", "preset", "steps", "finetune-steps"}, {"fresh"}, {}});
  if (!args) return fail(args.error());
  if (args->help()) {
    std::printf(
        "usage: tinyllm demo [DIR] [--kind imu|rssi] [--seed N] [--fresh] [--preset tiny|small]\n"
        "                   [--steps N] [--finetune-steps N]\n"
        "Creates (or reuses) the demo project in DIR (default ~/TinyLLM/demo-<kind>) and runs\n"
        "every step of the pipeline on it (default: the tiny model, pre-trained for 300 steps\n"
        "and fine-tuned for 120; a second run continues training).\n");
    return 0;
  }
  const std::string kind = args->get_or("kind", "imu");
  if (kind != "imu" && kind != "rssi") return fail(make_error("--kind", "must be imu or rssi"));
  auto seed = args->number_or("seed", 42);
  if (!seed) return fail(seed.error());
  fs::path dir;
  if (!args->positionals().empty()) {
    dir = args->positionals()[0];
  } else {
    const char* home = std::getenv("HOME");
    dir = fs::path(home ? home : ".") / "TinyLLM" / ("demo-" + kind);
  }
  auto registry = make_registry();
  if (!registry) return fail(registry.error());
  std::error_code ec;
  if (args->flag("fresh")) fs::remove_all(dir, ec);

  std::printf("== step 1: data ==\n");
  auto project = project::open_project(dir);
  if (!project) {
    auto created = pipeline::create_demo_project(
        dir, kind == "imu" ? pipeline::DemoKind::imu : pipeline::DemoKind::rssi, uint64_t(*seed),
        **registry);
    if (!created) return fail(created.error());
    project = std::move(created);
    std::printf("created the demo project in %s\n", dir.c_str());
  } else {
    std::printf("using the demo project in %s\n", dir.c_str());
  }
  auto settings = pipeline::saved_prepare_settings(*project);
  if (!settings) return fail(settings.error());
  auto prepared = pipeline::prepare_data(*project, **registry, *settings);
  if (!prepared) return fail(prepared.error());
  const auto& splits = prepared->summary["splits"];
  std::printf("prepared %llu training, %llu validation and %llu test examples (split by %s)\n",
              static_cast<unsigned long long>(splits["train"].value("examples", 0ULL)),
              static_cast<unsigned long long>(splits["val"].value("examples", 0ULL)),
              static_cast<unsigned long long>(splits["test"].value("examples", 0ULL)),
              prepared->summary.value("split_by", "").c_str());
  std::printf("first training example:\n%s\n", prepared->first_task_example.c_str());

  std::printf("\n== step 2: tokenizer ==\n");
  std::fflush(stdout);
  const std::string project_dir = dir.string();
  if (int rc = run_tokenizer_command({"train", "--project", project_dir, "--quiet"}); rc != 0)
    return rc;

  std::printf("\n== step 2: pre-training ==\n");
  std::fflush(stdout);
  // One run per demo project: a second demo continues it instead of starting over.
  const bool resume = fs::exists(dir / "checkpoints" / "demo" / "latest.json");
  std::vector<std::string> train = {"--project",    project_dir,
                                    "--run",        "demo",
                                    "--preset",     args->get_or("preset", "tiny"),
                                    "--steps",      args->get_or("steps", "300"),
                                    "--eval_every", "50"};
  if (resume) train.push_back("--resume");
  if (int rc = run_train_command(train); rc != 0) return rc;

  std::printf("\n== a sample from the model ==\n");
  std::fflush(stdout);
  if (int rc = run_sample_command({"--project", project_dir, "--run", "demo", "--tokens", "80"});
      rc != 0)
    return rc;
  std::printf("\n== step 3: fine-tuning ==\n");
  std::fflush(stdout);
  std::vector<std::string> finetune = {
      "--project", project_dir, "--run", "demo", "--steps", args->get_or("finetune-steps", "120")};
  if (fs::exists(dir / "finetune" / "demo" / "latest.json")) finetune.push_back("--resume");
  if (int rc = run_finetune_command(finetune); rc != 0) return rc;
  std::printf("\n== step 3: evaluation on held-out people ==\n");
  std::fflush(stdout);
  if (int rc = run_eval_command({"--project", project_dir, "--run", "demo"}); rc != 0) return rc;
  std::printf("\n== step 4: export for the device (GGUF) ==\n");
  std::fflush(stdout);
  if (int rc =
          run_export_command({"--project", project_dir, "--run", "demo", "--type", "f32,q8_0"});
      rc != 0)
    return rc;
  std::printf("\nthe on-device runtime and deployment come in later versions.\n");
  return 0;
}

}  // namespace tinyllm::cli
