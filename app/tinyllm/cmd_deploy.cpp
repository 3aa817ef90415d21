// tinyllm deploy | remote: step 5. `deploy` installs the project's export on one or more devices
// in parallel (core/deploy/install.h: versioned folder, checked, resumable, atomic switch);
// `remote` runs the installed runtime there (bench, eval, run), keeps it loaded behind an SSH
// tunnel (serve), rolls back or uninstalls, and keeps every result in the project beside the
// desktop's numbers for the same file.

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "cli_args.h"
#include "cli_output.h"
#include "cli_runtime.h"
#include "cli_ssh.h"
#include "commands.h"
#include "deploy/model_server.h"
#include "deploy/project_deploy.h"
#include "deploy/remote_run.h"
#include "model/config.h"
#include "project/project.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kDeployUsage =
    R"(usage: tinyllm deploy --project P --device NAME[,NAME...] [--type q8_0 | --gguf FILE] [--json]

Installs the project's newest export of --type (default q8_0) with the runtime build for each
device's architecture into <install folder>/<project>/<version>/ on the device, checks every
file's SHA-256 there, runs the model once, then points <project>/current at it. Several devices
are deployed in parallel. An interrupted upload resumes; an unchanged model is not sent again;
the previous version stays current until the new one is proven to run.

  --device LIST   device names (tinyllm device list), comma-separated
  --type T        f32, f16, q8_0 (default) or q4_0: the export to send
  --gguf FILE     send this GGUF file instead of a recorded export
  --json          JSON lines: progress events and one result per device
)";

const char* kRemoteUsage =
    R"(usage: tinyllm remote bench|eval|run|serve|rollback|uninstall|results --project P --device NAME [options]

  bench       prompt and generation tokens/s, load time and peak memory of the installed model
  eval        accuracy and confusion matrix on the test split shipped with the model
  run         "try it": classify one prompt (--prompt TEXT, --input READINGS or --example N of
              the test split) and show the label, every answer's score and the latency
  serve       keep the installed model loaded on the device (tinyllm-run serve, reached through
              an SSH tunnel): one JSON request per line on stdin ({"op":"classify","prompt":...},
              "generate", "info"), one answer per line on stdout, after a first line
              {"event":"ready",...}; the end of stdin stops it on the device
  rollback    point `current` back at the version installed before it
  uninstall   remove the model from the device (--version V: only that version)
  results     the results kept in the project, per device and version, desktop beside device

  --device LIST  bench/eval: several devices at once, comma-separated (a fleet)
  --no-desktop   bench/eval: do not also measure the same file on this computer
  --threads N    bench/eval/run/serve: threads on the device (default: all its cores)
  --json         one JSON object instead of the table

Results are kept in deployments/<device>/results/<version>/ (the desktop's in
deployments/desktop/).
)";

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

std::string percent(uint64_t done, uint64_t total) {
  return total ? std::to_string(done * 100 / total) + "%" : "-";
}

struct DeviceDeploy {
  std::string device;
  bool ok = false;
  std::string error;
  deploy::DeployOutcome outcome;
  double seconds = 0;
};

int deploy_command(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::printf("%s", kDeployUsage);
    return 0;
  }
  auto args = Args::parse(argv, {{"project", "device", "type", "gguf"}, {"json"}, {}});
  if (!args) return fail(args.error());
  if (!args->positionals().empty())
    return fail(make_error(args->positionals()[0], "unexpected argument (see --help)"));
  const auto root = args->get("project");
  if (!root) return fail(make_error("--project", "required (see --help)"));
  const auto names = split_list(args->get_or("device", ""));
  if (names.empty()) return fail(make_error("--device", "name at least one device"));
  auto project = project::open_project(*root);
  if (!project) return fail(project.error());
  auto choice =
      deploy::choose_export(*project, args->get_or("type", "q8_0"), args->get_or("gguf", ""));
  if (!choice) return fail(choice.error());
  std::vector<deploy::DeviceProfile> devices;
  for (const auto& n : names) {
    auto d = deploy::find_device(project->root, n);
    if (!d) return fail(d.error());
    devices.push_back(*d);
  }
  const bool as_json = args->flag("json");
  std::mutex lock;  // one line at a time on stdout; one writer of devices.json at a time
  auto say = [&](const std::string& device, const json& event, const std::string& line) {
    std::lock_guard<std::mutex> guard(lock);
    if (as_json) {
      json e = event;
      e["device"] = device;
      std::printf("%s\n", e.dump().c_str());
    } else {
      std::printf("[%s] %s\n", device.c_str(), line.c_str());
    }
    std::fflush(stdout);
  };

  std::vector<DeviceDeploy> results(devices.size());
  auto deploy_one = [&](size_t i) {
    auto& d = devices[i];
    auto& r = results[i];
    r.device = d.name;
    const auto start = std::chrono::steady_clock::now();
    auto run = [&]() -> Status {
      TINYLLM_TRY_ASSIGN(session, connect_device(d));
      TINYLLM_TRY_ASSIGN(probe, deploy::probe_device(session, d));
      d.probe = probe;
      {
        std::lock_guard<std::mutex> guard(lock);
        TINYLLM_TRY(deploy::put_device(project->root, d));
      }
      TINYLLM_TRY_ASSIGN(package, deploy::package_for(*project, d, *choice));
      say(d.name,
          {{"event", "package"}, {"version", package.version}, {"arch", package.runtime_arch}},
          "sending " + package.version + " with the " + package.runtime_arch + " runtime");
      int last_decile = -1;
      std::string last_stage;
      TINYLLM_TRY_ASSIGN(
          outcome, deploy::install(session, d, package, [&](const deploy::DeployEvent& e) {
            const int decile = e.total ? int(e.done * 10 / e.total) : 10;
            if (e.stage == last_stage && (e.stage != "upload" || decile == last_decile)) return;
            last_stage = e.stage;
            last_decile = decile;
            say(d.name,
                {{"event", "progress"},
                 {"stage", e.stage},
                 {"file", e.file},
                 {"done", e.done},
                 {"total", e.total}},
                e.stage + (e.file.empty() ? "" : " " + e.file) + " " + percent(e.done, e.total));
          }));
      r.outcome = outcome;
      return deploy::record_install(project->root, d, *choice, package, outcome);
    };
    auto status = run();
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    r.ok = status.ok();
    if (!r.ok) r.error = status.error().to_string();
  };
  std::vector<std::thread> threads;
  for (size_t i = 0; i < devices.size(); ++i)
    threads.emplace_back(deploy_one, i);
  for (auto& t : threads)
    t.join();

  int failed = 0;
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : results) {
    if (!r.ok) ++failed;
    if (as_json) {
      json j = {{"event", "result"}, {"device", r.device}, {"ok", r.ok}, {"seconds", r.seconds}};
      if (r.ok)
        j.update({{"version", r.outcome.version},
                  {"previous", r.outcome.previous},
                  {"remote_dir", r.outcome.model_dir + "/" + r.outcome.version},
                  {"bytes_sent", r.outcome.bytes_sent},
                  {"bytes_resumed", r.outcome.bytes_resumed},
                  {"unchanged", r.outcome.unchanged},
                  {"notes", r.outcome.notes}});
      else
        j["error"] = r.error;
      std::printf("%s\n", j.dump().c_str());
      continue;
    }
    if (r.ok)
      rows.push_back(
          {r.device, r.outcome.version,
           r.outcome.unchanged
               ? "unchanged: nothing sent"
               : model::format_bytes(int64_t(r.outcome.bytes_sent)) + " sent" +
                     (r.outcome.bytes_resumed
                          ? ", " + model::format_bytes(int64_t(r.outcome.bytes_resumed)) +
                                " resumed"
                          : ""),
           format_number(r.seconds, 1) + " s", "current"});
    else
      rows.push_back({r.device, "-", "-", format_number(r.seconds, 1) + " s", "FAILED"});
  }
  if (!as_json) {
    print_table({"device", "version", "sent", "time", "state"}, rows);
    for (const auto& r : results) {
      if (!r.ok) std::fprintf(stderr, "tinyllm: %s: %s\n", r.device.c_str(), r.error.c_str());
      for (const auto& note : r.outcome.notes)
        std::fprintf(stderr, "tinyllm: %s: note: %s\n", r.device.c_str(), note.c_str());
    }
  }
  return failed ? 1 : 0;
}

// The prompt of the N-th example (1-based) in a task_*.jsonl file.
Result<std::string> example_prompt(const fs::path& file, int n) {
  std::ifstream in(file);
  if (!in) return make_error(file.string(), "cannot read (is the data prepared?)");
  std::string line;
  for (int i = 1; std::getline(in, line); ++i) {
    if (i != n) continue;
    const json j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.contains("prompt"))
      return make_error(file.string() + ":" + std::to_string(i), "not an example");
    return j["prompt"].get<std::string>();
  }
  return make_error(file.string(), "has fewer than " + std::to_string(n) + " examples");
}

void print_bench(const std::string& who, const json& r,
                 std::vector<std::vector<std::string>>& rows) {
  rows.push_back({who, format_number(r.value("prompt_tokens_per_s", 0.0), 0),
                  format_number(r.value("gen_tokens_per_s", 0.0), 0),
                  format_number(r.value("load_ms", 0.0), 1) + " ms",
                  format_number(r.value("peak_rss_mib", 0.0), 1) + " MiB",
                  std::to_string(r.value("threads", 0))});
}

void print_eval(const std::string& who, const json& r,
                std::vector<std::vector<std::string>>& rows) {
  rows.push_back(
      {who, format_number(100.0 * r.value("accuracy", 0.0), 1) + "%",
       std::to_string(r.value("correct", 0)) + "/" + std::to_string(r.value("examples", 0)),
       format_number(r.value("mean_latency_ms", 0.0), 1) + " ms",
       format_number(r.value("mean_prompt_tokens", 0.0), 0)});
}

int results_command(const fs::path& root, const std::string& device, bool as_json) {
  auto runs = deploy::load_runs(root);
  if (!runs) return fail(runs.error());
  if (as_json) {
    json list = json::array();
    for (const auto& r : *runs)
      if (device.empty() || r.device == device || r.device == deploy::kDesktopDevice)
        list.push_back(deploy::to_json(r));
    print_json(list);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : *runs) {
    if (!device.empty() && r.device != device && r.device != deploy::kDesktopDevice) continue;
    std::string numbers;
    if (r.mode == "bench")
      numbers = format_number(r.result.value("prompt_tokens_per_s", 0.0), 0) + " prompt tok/s, " +
                format_number(r.result.value("gen_tokens_per_s", 0.0), 0) + " gen tok/s, " +
                format_number(r.result.value("peak_rss_mib", 0.0), 1) + " MiB";
    else if (r.mode == "eval")
      numbers = format_number(100.0 * r.result.value("accuracy", 0.0), 1) + "% of " +
                std::to_string(r.result.value("examples", 0)) + ", " +
                format_number(r.result.value("mean_latency_ms", 0.0), 1) + " ms each";
    else
      numbers = r.result.value("label", "") + " in " +
                format_number(r.result.value("latency_ms", 0.0), 1) + " ms";
    rows.push_back({r.time, r.device, r.version, r.mode, numbers});
  }
  if (rows.empty()) {
    std::printf("no results yet: tinyllm remote bench|eval --project %s --device NAME\n",
                root.c_str());
    return 0;
  }
  print_table({"time", "device", "version", "mode", "result"}, rows);
  return 0;
}

// The same GGUF the device ran, run by this computer's runtime and kept as the desktop's result;
// nothing when the project no longer has that file.
Result<std::optional<deploy::RunRecord>> desktop_run(const project::Project& project,
                                                     const std::string& device,
                                                     const deploy::RunRecord& record,
                                                     std::vector<std::string> run_args) {
  std::string local_gguf;
  auto list = deploy::installs(project.root, device);
  if (list)
    for (const auto& i : *list)
      if (i.value("version", "") == record.version) local_gguf = i.value("gguf", "");
  const fs::path gguf = project.path(local_gguf);
  std::error_code ec;
  if (local_gguf.empty() || !fs::is_regular_file(gguf, ec))
    return std::optional<deploy::RunRecord>();
  auto sha = sha256_file(gguf);
  if (!sha || *sha != record.gguf_sha256) return std::optional<deploy::RunRecord>();
  run_args[2] = gguf.string();
  if (run_args[0] == "eval") {
    run_args[4] = project.path("data/prepared/task_test.jsonl").string();
    run_args.erase(std::find(run_args.begin(), run_args.end(), "--progress"));
  }
  run_args.push_back("--json");
  TINYLLM_TRY_ASSIGN(result, run_local_runtime(run_args));
  deploy::RunRecord desktop = record;
  desktop.device = deploy::kDesktopDevice;
  desktop.time = utc_now_iso8601();
  desktop.result = result;
  TINYLLM_TRY(deploy::save_run(project.root, desktop));
  return std::optional<deploy::RunRecord>(desktop);
}

// bench or eval on several devices at once, each over its own connection, then this computer
// once per distinct file: one table, every result kept in the project.
int fleet_command(const project::Project& project, const std::vector<std::string>& names,
                  const std::vector<std::string>& run_args, bool as_json, bool with_desktop) {
  std::vector<deploy::DeviceProfile> devices;
  for (const auto& n : names) {
    auto d = deploy::find_device(project.root, n);
    if (!d) return fail(d.error());
    devices.push_back(*d);
  }
  struct Outcome {
    std::optional<deploy::RunRecord> record;
    std::string error;
  };
  std::vector<Outcome> outcomes(devices.size());
  std::mutex lock;  // one writer of the results folder's parents at a time
  std::vector<std::thread> threads;
  for (size_t i = 0; i < devices.size(); ++i)
    threads.emplace_back([&, i] {
      auto session = connect_device(devices[i]);
      if (!session) {
        outcomes[i].error = session.error().to_string();
        return;
      }
      auto record = deploy::run_on_device(*session, devices[i], project.name, run_args);
      if (!record) {
        outcomes[i].error = record.error().to_string();
        return;
      }
      std::lock_guard<std::mutex> guard(lock);
      if (auto saved = deploy::save_run(project.root, *record); !saved)
        outcomes[i].error = saved.error().to_string();
      outcomes[i].record = *record;
    });
  for (auto& t : threads)
    t.join();
  std::vector<deploy::RunRecord> desktops;
  if (with_desktop)
    for (size_t i = 0; i < devices.size(); ++i) {
      if (!outcomes[i].record) continue;
      bool done = false;
      for (const auto& d : desktops)
        done = done || d.gguf_sha256 == outcomes[i].record->gguf_sha256;
      if (done) continue;
      auto measured = desktop_run(project, devices[i].name, *outcomes[i].record, run_args);
      if (!measured) return fail(measured.error());
      if (*measured) desktops.push_back(**measured);
    }
  int failed = 0;
  if (as_json) {
    json out = {{"devices", json::array()}, {"desktop", json::array()}};
    for (size_t i = 0; i < devices.size(); ++i) {
      failed += !outcomes[i].record;
      out["devices"].push_back(
          outcomes[i].record ? deploy::to_json(*outcomes[i].record)
                             : json{{"device", devices[i].name}, {"error", outcomes[i].error}});
    }
    for (const auto& d : desktops)
      out["desktop"].push_back(deploy::to_json(d));
    print_json(out);
    return failed ? 1 : 0;
  }
  std::vector<std::vector<std::string>> rows;
  const bool bench = run_args[0] == "bench";
  for (size_t i = 0; i < devices.size(); ++i) {
    if (!outcomes[i].record) {
      ++failed;
      std::fprintf(stderr, "tinyllm: %s: %s\n", devices[i].name.c_str(), outcomes[i].error.c_str());
      continue;
    }
    (bench ? print_bench : print_eval)(devices[i].name, outcomes[i].record->result, rows);
  }
  for (const auto& d : desktops)
    (bench ? print_bench : print_eval)("desktop", d.result, rows);
  if (bench)
    print_table({"where", "prompt tok/s", "gen tok/s", "load", "peak memory", "threads"}, rows);
  else
    print_table({"where", "accuracy", "correct", "latency", "prompt tokens"}, rows);
  return failed ? 1 : 0;
}

void print_line(const json& value) {
  std::printf("%s\n", value.dump().c_str());
  std::fflush(stdout);
}

// Lines of stdin as they come; while none comes, `idle` runs about every `idle_ms` and may end
// the wait with an error. Reads the descriptor itself (not std::cin) so that it can wait with a
// timeout; std::cin is only used before, for a password asked via stdio, which ends at its line.
class StdinLines {
 public:
  // The next line, nullopt at the end of stdin, or idle's error.
  Result<std::optional<std::string>> next(const std::function<Status()>& idle, int idle_ms) {
    for (;;) {
      if (const auto newline = pending_.find('\n'); newline != std::string::npos) {
        std::string line = pending_.substr(0, newline);
        pending_.erase(0, newline + 1);
        return std::optional<std::string>(std::move(line));
      }
      if (ended_) {
        if (pending_.empty()) return std::optional<std::string>();
        return std::optional<std::string>(std::exchange(pending_, {}));
      }
      pollfd in{0, POLLIN, 0};
      const int ready = ::poll(&in, 1, idle_ms);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        TINYLLM_TRY(idle());
        continue;
      }
      char buffer[64 * 1024];
      const ssize_t n = ::read(0, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0)
        ended_ = true;
      else
        pending_.append(buffer, size_t(n));
    }
  }

 private:
  std::string pending_;
  bool ended_ = false;
};

// `remote serve`: the model stays loaded on the device; stdin's requests go through the tunnel
// and the answers come back unchanged, one line each, until stdin ends. While stdin is quiet the
// connection is serviced, and a server that stopped ends the command at once (exit 1).
int serve_command(deploy::SshSession session, const deploy::DeviceProfile& device,
                  const std::string& model, int threads) {
  deploy::ServeOptions options;
  options.threads = threads;
  auto server = deploy::ModelServer::start(std::move(session), device, model, options);
  if (!server) return fail(server.error());
  print_line({{"event", "ready"},
              {"device", server->device()},
              {"version", server->version()},
              {"gguf_sha256", server->gguf_sha256()},
              {"port", server->port()},
              {"start_ms", server->start_ms()}});
  StdinLines input;
  for (;;) {
    auto next = input.next([&] { return server->check(); }, 2000);
    if (!next) return fail(next.error());
    if (!*next) break;
    std::string line = std::move(**next);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const json request = json::parse(line, nullptr, false);
    if (!request.is_object()) {
      print_line({{"error", "not a JSON object: " + line.substr(0, 200)}});
      continue;
    }
    auto answer = server->request(request);
    if (!answer) {
      print_line({{"error", answer.error().to_string()}});  // the answer this request waits for
      return fail(answer.error());
    }
    print_line(*answer);
  }
  if (auto closed = server->close(); !closed) return fail(closed.error());
  return 0;
}

int remote_command(const std::vector<std::string>& argv) {
  if (wants_help(argv) || argv.empty()) {
    std::printf("%s", kRemoteUsage);
    return argv.empty() ? 2 : 0;
  }
  auto args =
      Args::parse(argv, {{"project", "device", "prompt", "input", "example", "threads", "version"},
                         {"json", "no-desktop"},
                         {}});
  if (!args) return fail(args.error());
  if (args->positionals().size() != 1)
    return fail(make_error("remote",
                           "give one action: bench, eval, run, serve, rollback, uninstall or "
                           "results"));
  const std::string action = args->positionals()[0];
  const auto root = args->get("project");
  if (!root) return fail(make_error("--project", "required (see --help)"));
  auto project = project::open_project(*root);
  if (!project) return fail(project.error());
  const bool as_json = args->flag("json");
  if (action == "results")
    return results_command(project->root, args->get_or("device", ""), as_json);
  const auto name = args->get("device");
  if (!name) return fail(make_error("--device", "required (see --help)"));
  if (const auto names = split_list(*name); names.size() > 1) {
    if (action != "bench" && action != "eval")
      return fail(make_error("--device", "only bench and eval run on several devices at once"));
    std::vector<std::string> run_args =
        action == "bench" ? std::vector<std::string>{"bench", "--model", "model.gguf"}
                          : std::vector<std::string>{"eval",   "--model",         "model.gguf",
                                                     "--file", "task_test.jsonl", "--progress"};
    if (const auto threads = args->get("threads"))
      run_args.insert(run_args.end(), {"--threads", *threads});
    return fleet_command(*project, names, run_args, as_json, !args->flag("no-desktop"));
  }
  auto device = deploy::find_device(project->root, *name);
  if (!device) return fail(device.error());
  auto session = connect_device(*device);
  if (!session) return fail(session.error());
  const std::string model = project->name;

  if (action == "serve") {
    auto threads = args->number_or("threads", 0);
    if (!threads) return fail(threads.error());
    return serve_command(std::move(*session), *device, model, int(*threads));
  }
  if (action == "rollback") {
    auto version = deploy::rollback(*session, *device, model);
    if (!version) return fail(version.error());
    std::printf("%s: current is now %s\n", device->name.c_str(), version->c_str());
    return 0;
  }
  if (action == "uninstall") {
    const std::string version = args->get_or("version", "");
    if (auto removed = deploy::uninstall(*session, *device, model, version); !removed)
      return fail(removed.error());
    std::printf("%s: removed %s\n", device->name.c_str(),
                version.empty() ? ("model " + model).c_str() : version.c_str());
    return 0;
  }

  std::vector<std::string> run_args;
  if (action == "bench") {
    run_args = {"bench", "--model", "model.gguf"};
  } else if (action == "eval") {
    run_args = {"eval", "--model", "model.gguf", "--file", "task_test.jsonl", "--progress"};
  } else if (action == "run") {
    run_args = {"classify", "--model", "model.gguf"};
    if (const auto prompt = args->get("prompt")) {
      run_args.insert(run_args.end(), {"--prompt", *prompt});
    } else if (const auto input = args->get("input")) {
      run_args.insert(run_args.end(), {"--input", *input});
    } else {
      auto n = args->number_or("example", 1);
      if (!n) return fail(n.error());
      auto prompt = example_prompt(project->path("data/prepared/task_test.jsonl"), int(*n));
      if (!prompt) return fail(prompt.error());
      run_args.insert(run_args.end(), {"--prompt", *prompt});
    }
  } else {
    return fail(make_error("remote", "unknown action '" + action +
                                         "' (bench, eval, run, serve, rollback, uninstall, "
                                         "results)"));
  }
  if (const auto threads = args->get("threads"))
    run_args.insert(run_args.end(), {"--threads", *threads});

  deploy::ExecIo io;
  if (!as_json)
    io.on_stderr = [](std::string_view text) {
      std::fwrite(text.data(), 1, text.size(), stderr);  // the device's progress, live
    };
  auto record = deploy::run_on_device(*session, *device, model, run_args, io);
  if (!record) return fail(record.error());
  if (action != "run")
    if (auto saved = deploy::save_run(project->root, *record); !saved) return fail(saved.error());

  // The same file on this computer, for the comparison beside it.
  std::optional<deploy::RunRecord> desktop;
  if ((action == "bench" || action == "eval") && !args->flag("no-desktop")) {
    auto measured = desktop_run(*project, device->name, *record, run_args);
    if (!measured) return fail(measured.error());
    desktop = *measured;
  }

  if (as_json) {
    json out = deploy::to_json(*record);
    if (desktop) out["desktop"] = desktop->result;
    print_json(out);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  if (action == "bench") {
    print_bench(device->name, record->result, rows);
    if (desktop) print_bench("desktop", desktop->result, rows);
    print_table({"where", "prompt tok/s", "gen tok/s", "load", "peak memory", "threads"}, rows);
  } else if (action == "eval") {
    print_eval(device->name, record->result, rows);
    if (desktop) print_eval("desktop", desktop->result, rows);
    print_table({"where", "accuracy", "correct", "latency", "prompt tokens"}, rows);
  } else {
    std::printf("%s: %s in %s ms (%d prompt tokens)\n", device->name.c_str(),
                record->result.value("label", "").c_str(),
                format_number(record->result.value("latency_ms", 0.0), 1).c_str(),
                record->result.value("prompt_tokens", 0));
    const json scores = record->result.value("scores", json::object());
    for (const auto& [label, score] : scores.items())
      rows.push_back({label, score.is_number() ? format_number(score.get<double>(), 3) : "-"});
    if (!rows.empty()) print_table({"answer", "score"}, rows);
  }
  std::printf("version %s on %s\n", record->version.c_str(), device->name.c_str());
  return 0;
}

}  // namespace

int run_deploy_command(const std::vector<std::string>& argv) {
  return deploy_command(argv);
}
int run_remote_command(const std::vector<std::string>& argv) {
  return remote_command(argv);
}

}  // namespace tinyllm::cli
