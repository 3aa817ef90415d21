// tinyllm demo: the whole pipeline, headless, on the built-in demo project: data, tokenizer,
// pre-training, a sample, fine-tuning, the evaluation beside the baselines, the GGUF export, the
// edge runtime on this computer and, given --device, the deploy with a bench and an evaluation
// on the device. Each step runs the same code as its own subcommand and prints what it did.
#include <cstdio>
#include <cstdlib>

#include "cli_args.h"
#include "cli_output.h"
#include "cli_runtime.h"
#include "commands.h"
#include "deploy/device.h"
#include "pipeline/data_step.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;

int run_demo_command(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{"kind", "seed", "preset", "steps", "finetune-steps", "device",
                                  "key", "known-hosts", "device-dir", "runner", "arch"},
                                 {"fresh", "accept-new-host-key"},
                                 {}});
  if (!args) return fail(args.error());
  if (args->help()) {
    std::printf(
        "usage: tinyllm demo [DIR] [--kind imu|rssi] [--seed N] [--fresh] [--preset tiny|small]\n"
        "                   [--steps N] [--finetune-steps N]\n"
        "                   [--device [USER@]HOST[:PORT] [--key FILE] [--known-hosts FILE]\n"
        "                    [--device-dir D] [--runner CMD] [--arch A] [--accept-new-host-key]]\n"
        "Creates (or reuses) the demo project in DIR (default ~/TinyLLM/demo-<kind>) and runs\n"
        "every step of the pipeline on it (default: the tiny model, pre-trained for 300 steps\n"
        "and fine-tuned for 120; a second run continues training), then classifies the test\n"
        "windows with the edge runtime. With --device (a device of the project by name, or a\n"
        "host to add as one) it deploys the Q8_0 model there, benchmarks and evaluates it.\n");
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

  std::printf("\n== step 4: the edge runtime on this computer (tinyllm-run, Q8_0) ==\n");
  std::fflush(stdout);
  auto local =
      run_local_runtime({"eval", "--model", (dir / "exports" / "demo-q8_0.gguf").string(), "--file",
                         (dir / "data" / "prepared" / "task_test.jsonl").string(), "--json"});
  if (!local) return fail(local.error());
  std::printf(
      "tinyllm-run classified %d test windows: %.1f%% right, %.1f ms each (%.0f prompt "
      "tokens)\n",
      local->value("examples", 0), 100.0 * local->value("accuracy", 0.0),
      local->value("mean_latency_ms", 0.0), local->value("mean_prompt_tokens", 0.0));

  const auto device = args->get("device");
  if (!device) {
    std::printf("\nto put it on a device: tinyllm demo %s --device USER@HOST (step 5)\n",
                project_dir.c_str());
    return 0;
  }
  std::printf("\n== step 5: deploy to %s ==\n", device->c_str());
  std::fflush(stdout);
  std::string name = *device;
  if (!deploy::find_device(dir, *device).ok()) {
    // A host given on the command line becomes a device of the project, named after it.
    std::string user, host = *device, port = "22";
    if (const auto at = host.find('@'); at != std::string::npos) {
      user = host.substr(0, at);
      host = host.substr(at + 1);
    }
    if (const auto colon = host.rfind(':'); colon != std::string::npos) {
      port = host.substr(colon + 1);
      host = host.substr(0, colon);
    }
    name = host;
    std::vector<std::string> add = {"add",    "--project", project_dir, name,
                                    "--host", host,        "--port",    port};
    if (!user.empty()) add.insert(add.end(), {"--user", user});
    for (const char* option : {"key", "known-hosts", "runner", "arch"})
      if (const auto value = args->get(option))
        add.insert(add.end(), {std::string("--") + option, *value});
    if (const auto d = args->get("device-dir")) add.insert(add.end(), {"--dir", *d});
    if (args->flag("accept-new-host-key")) add.push_back("--accept-new-host-key");
    if (int rc = run_device_command(add); rc != 0) return rc;
  }
  if (int rc = run_deploy_command({"--project", project_dir, "--device", name, "--type", "q8_0"});
      rc != 0)
    return rc;
  std::printf("\n== step 5: on the device, beside this computer ==\n");
  std::fflush(stdout);
  if (int rc = run_remote_command({"bench", "--project", project_dir, "--device", name}); rc != 0)
    return rc;
  return run_remote_command({"eval", "--project", project_dir, "--device", name});
}

}  // namespace tinyllm::cli
