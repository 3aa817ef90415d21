// tinyllm train|finetune --on HOST[,HOST...]: the run on other computers over SSH
// (deploy/remote_train.h), printed like a local run. Ctrl-C stops every worker after its current
// step (they checkpoint, and the checkpoint comes home); control lines on stdin reach them all.
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "deploy/remote_train.h"
#include "pipeline/pretrain_step.h"
#include "train_on_hosts.h"
#include "worker_launch.h"

namespace tinyllm::cli {
using nlohmann::json;

namespace {

volatile std::sig_atomic_t g_stop_requested = 0;
extern "C" void request_stop(int) {
  g_stop_requested = 1;
}

// Complete lines from stdin when it is a pipe (the workbench's control channel), without waiting.
class StdinLines {
 public:
  std::string take() {
    if (!open_) return {};
    pollfd p{STDIN_FILENO, POLLIN, 0};
    while (::poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLHUP))) {
      char buf[4096];
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n <= 0) {
        open_ = false;
        break;
      }
      pending_.append(buf, size_t(n));
    }
    const auto nl = pending_.rfind('\n');
    if (nl == std::string::npos) return {};
    std::string lines = pending_.substr(0, nl + 1);
    pending_.erase(0, nl + 1);
    return lines;
  }

 private:
  bool open_ = !::isatty(STDIN_FILENO);
  std::string pending_;
};

std::vector<std::string> split_names(const std::string& list) {
  std::vector<std::string> names;
  size_t start = 0;
  while (start <= list.size()) {
    const auto comma = list.find(',', start);
    const std::string name =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!name.empty()) names.push_back(name);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return names;
}

}  // namespace

int run_on_hosts(const std::string& mode, const WorkerOptions& options, bool raw_json) {
  deploy::RemoteTrainRequest request;
  request.mode = mode;
  std::optional<std::string> project_arg, run_arg;
  std::string hosts;
  for (const auto& [key, value] : options) {
    if (key == "on")
      hosts = value;
    else if (key == "project")
      project_arg = value;
    else if (key == "run_id")
      run_arg = value;
    else if (key == "resume")
      request.resume = value == "true";
    else if (key == "worker")
      request.worker = value;
    else if (key == "dist_addr")
      request.dist_addr = value;
    else if (key == "dist_iface")
      request.dist_iface = value;
    else if (key == "dist_port")
      request.dist_port = std::atoi(value.c_str());
    else if (key == "gpus")
      request.gpus_per_host = std::atoi(value.c_str());
    else if (key == "nproc" || key == "rank" || key == "world_size" || key == "out_dir")
      return fail(make_error("--" + key,
                             "is chosen by --on (one worker per host, or per GPU "
                             "with --gpus)"));
    else
      request.options.emplace_back(key, value);
  }
  if (!project_arg) return fail(make_error("--on", "name the project (--project P)"));
  if (const auto gpus = std::find_if(options.begin(), options.end(),
                                     [](const auto& kv) { return kv.first == "gpus"; });
      gpus != options.end() && (request.gpus_per_host < 1 || request.gpus_per_host > 64))
    return fail(make_error("--gpus", "must be 1..64 (GPUs per host)"));
  if (request.dist_port < 1 || request.dist_port > 65535)
    return fail(make_error("--dist_port", "must be 1..65535"));
  auto project = project::open_project(*project_arg);
  if (!project) return fail(project.error());
  for (const auto& name : split_names(hosts)) {
    auto host = deploy::find_device(project->root, name);
    if (!host) return fail(host.error());
    request.hosts.push_back(*host);
  }
  if (request.hosts.empty())
    return fail(make_error("--on", "name the hosts (tinyllm device add, then --on NAME[,NAME])"));
  const auto& family = mode == "finetune" ? pipeline::kFinetuneRuns : pipeline::kPretrainRuns;
  auto run = pipeline::choose_run(*project, run_arg, request.resume, family);
  if (!run) return fail(run.error());
  request.run_id = *run;
  // A starting point inside the project travels as a path relative to it.
  for (auto& [key, value] : request.options)
    if (key == "init_from" && !value.empty()) value = project::stored_path(project->root, value);

  request.on_event = [raw_json](const json& e) {
    if (raw_json) {
      std::printf("%s\n", e.dump().c_str());
      std::fflush(stdout);
    } else {
      print_human(e);
    }
  };
  request.on_note = [raw_json](const std::string& line) {
    if (raw_json)
      std::printf("%s\n", json{{"event", "note"}, {"message", line}}.dump().c_str());
    else
      std::printf("%s\n", line.c_str());
    std::fflush(stdout);
  };
  StdinLines stdin_lines;
  bool stop_sent = false;
  request.control = [&] {
    std::string lines = stdin_lines.take();
    if (g_stop_requested && !stop_sent) {
      stop_sent = true;
      lines += "{\"control\":\"stop\"}\n";
    }
    return lines;
  };
  g_stop_requested = 0;
  auto previous_int = std::signal(SIGINT, request_stop);
  auto previous_term = std::signal(SIGTERM, request_stop);
  std::string where;
  for (const auto& h : request.hosts)
    where += (where.empty() ? "" : ", ") + h.name;
  if (!raw_json)
    std::printf("run %s on %s%s\n", request.run_id.c_str(), where.c_str(),
                request.gpus_per_host > 0
                    ? (", " + std::to_string(request.gpus_per_host) + " GPU(s) each").c_str()
                    : "");
  auto outcome = deploy::train_on_hosts(*project, request);
  std::signal(SIGINT, previous_int);
  std::signal(SIGTERM, previous_term);
  if (!outcome) return fail(outcome.error());
  if (!outcome->message.empty()) {
    std::fprintf(stderr, "tinyllm: %s\n", outcome->message.c_str());
    if (!outcome->lost_hosts.empty())
      std::fprintf(stderr,
                   "tinyllm: what was checkpointed is in the project; continue with --resume "
                   "--run %s --on %s\n",
                   request.run_id.c_str(), hosts.c_str());
  }
  return outcome->exit_code;
}

}  // namespace tinyllm::cli
