// tinyllm demo: the whole pipeline, headless, on the built-in demo project: data, tokenizer,
// pre-training, a sample, fine-tuning, the evaluation beside the baselines, the GGUF export, the
// edge runtime on this computer and, given --device, a take recorded on the device before
// training, then the deploy with a bench and an evaluation on the device. Each step runs the same
// code as its own subcommand and prints what it did.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli_args.h"
#include "cli_output.h"
#include "cli_runtime.h"
#include "cli_ssh.h"
#include "commands.h"
#include "deploy/device.h"
#include "deploy/runtimes.h"
#include "deploy/shell.h"
#include "pipeline/data_step.h"
#include "pipeline/demo_take.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;

namespace {

// The device named on the demo's command line: a device of the project by that name, or a host
// ([USER@]HOST[:PORT]) added as one (named after the host). Returns the device's name, "" when
// adding it failed (its error already printed).
std::string demo_device(const Args& args, const std::string& project_dir, const std::string& spec) {
  if (deploy::find_device(project_dir, spec).ok()) return spec;
  std::string user, host = spec, port = "22";
  if (const auto at = host.find('@'); at != std::string::npos) {
    user = host.substr(0, at);
    host = host.substr(at + 1);
  }
  if (const auto colon = host.rfind(':'); colon != std::string::npos) {
    port = host.substr(colon + 1);
    host = host.substr(0, colon);
  }
  std::vector<std::string> add = {"add",    "--project", project_dir, host,
                                  "--host", host,        "--port",    port};
  if (!user.empty()) add.insert(add.end(), {"--user", user});
  for (const char* option : {"key", "known-hosts", "runner", "arch"})
    if (const auto value = args.get(option))
      add.insert(add.end(), {std::string("--") + option, *value});
  if (const auto d = args.get("device-dir")) add.insert(add.end(), {"--dir", *d});
  if (args.flag("accept-new-host-key")) add.push_back("--accept-new-host-key");
  return run_device_command(add) == 0 ? host : "";
}

// Copies `bytes` to `path` on the device (through the shell, so that a path under ~ works).
Status send_file(deploy::SshSession& session, const std::string& path, const std::string& bytes) {
  std::istringstream in(bytes);
  TINYLLM_TRY_ASSIGN(
      r, session.exec_with_input("cat > " + deploy::shell_quote(path), in, bytes.size()));
  if (r.exit_status != 0) return make_error(session.label() + ":" + path, "cannot write: " + r.err);
  return {};
}

// One take from the device into the project, once per device: the example sensor script and what
// its sensor would have returned go to <install dir>/sensors/ on the device, the script becomes
// the device's sensor source, and `tinyllm record` records it (pipeline/demo_take.h says why the
// sensor is replayed).
int record_demo_take(const fs::path& dir, const std::string& device_name, uint64_t seed) {
  auto project = project::open_project(dir);
  if (!project) return fail(project.error());
  for (const auto& source : project->sources)
    if (source.origin.value("device", "") == device_name) {
      std::printf("the project already has a take from %s (%s): not recording another\n",
                  device_name.c_str(), source.id.c_str());
      return 0;
    }
  auto take = pipeline::demo_take(*project, seed);
  if (!take) return fail(take.error());
  auto device = deploy::find_device(dir, device_name);
  if (!device) return fail(device.error());
  auto script = deploy::find_device_script(take->script);
  if (!script) return fail(script.error());
  std::ifstream in(*script, std::ios::binary);
  const std::string script_bytes{std::istreambuf_iterator<char>(in), {}};
  const std::string remote = deploy::home_relative(device->install_dir) + "/sensors";
  const std::string remote_script = remote + "/" + take->script;
  const std::string remote_replay = remote + "/" + take->replay_file;
  {
    auto session = connect_device(*device);
    if (!session) return fail(session.error());
    auto made = session->exec("mkdir -p " + deploy::shell_quote(remote));
    if (!made) return fail(made.error());
    if (auto sent = send_file(*session, remote_script, script_bytes); !sent)
      return fail(sent.error());
    if (auto sent = send_file(*session, remote_replay, take->replay_bytes); !sent)
      return fail(sent.error());
  }
  std::vector<std::string> words = {take->interpreter, remote_script};
  for (const auto& arg : take->args)
    words.push_back(arg == "{replay}" ? remote_replay : arg);
  deploy::SensorSource source{take->source, deploy::shell_join(words), take->mapping};
  auto& sources = device->sources;
  sources.erase(std::remove_if(sources.begin(), sources.end(),
                               [&](const auto& s) { return s.name == source.name; }),
                sources.end());
  sources.push_back(source);
  if (auto saved = deploy::put_device(dir, *device); !saved) return fail(saved.error());
  std::printf(
      "sensor source '%s' of %s: %s\n(%s in its replay mode: the bytes its sensor would have "
      "returned for %s)\n",
      source.name.c_str(), device_name.c_str(), source.command.c_str(), take->script.c_str(),
      take->person.empty() ? "five scans in the lab" : "five circles of a new person");
  std::fflush(stdout);
  std::vector<std::string> record = {"--project", dir.string(), "--device", device_name,
                                     "--source",  source.name,  "--label",  take->label};
  if (!take->person.empty()) record.insert(record.end(), {"--person", take->person});
  if (take->scans) record.insert(record.end(), {"--scans", std::to_string(take->scans)});
  return run_record_command(record);
}

}  // namespace

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
        "host to add as one) it first records a take there (the example sensor script in its\n"
        "replay mode, once per device) into the training data, and at the end deploys the Q8_0\n"
        "model there, benchmarks and evaluates it.\n");
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
  const std::string project_dir = dir.string();
  const auto device = args->get("device");
  std::string device_name;
  if (device) {
    std::printf("\n== step 1: a take recorded on %s ==\n", device->c_str());
    std::fflush(stdout);
    device_name = demo_device(*args, project_dir, *device);
    if (device_name.empty()) return 1;
    if (int rc = record_demo_take(dir, device_name, uint64_t(*seed)); rc != 0) return rc;
    project = project::open_project(dir);
    if (!project) return fail(project.error());
    std::printf("\n== step 1: training text ==\n");
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

  if (!device) {
    std::printf("\nto put it on a device: tinyllm demo %s --device USER@HOST (step 5)\n",
                project_dir.c_str());
    return 0;
  }
  std::printf("\n== step 5: deploy to %s ==\n", device->c_str());
  std::fflush(stdout);
  const std::string& name = device_name;
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
