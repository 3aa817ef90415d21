// tinyllm train | sample: start the tinyllm-train worker (libtorch lives only there,
// docs/architecture.md),
// print its JSON Lines events as human lines (or pass them through with --json), forward Ctrl-C
// so the worker checkpoints before it exits, forward control lines ({"control": "pause"}, see
// docs/events.md) from our stdin to every worker, and launch several local processes for DDP.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "commands.h"
#include "pipeline/pretrain_step.h"
#include "pipeline/worker_events.h"
#include "train_on_hosts.h"
#include "worker_launch.h"

extern char** environ;

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kTrainUsage = R"(usage: tinyllm train --project P [--preset NAME] [--steps N] [options]

  --project P        project folder: reads tokenizer/shards, writes checkpoints/<run>
  --preset NAME      tiny (~1M), small (~5M) for CPUs; d6, d8, d10, d11, d12 (paper, CUDA)
  --steps N          optimizer steps
  --run ID           run name (checkpoints/<ID>); default: a new run (run1, run2, ...), or
                     with --resume the latest run
  --config FILE      settings as JSON (docs/events.md lists them)
  --resume           continue the run from its latest checkpoint
  --nproc N          data-parallel over N local processes (Gloo on CPU, NCCL on CUDA)
  --json             print the worker's JSON events as they come
  --KEY VALUE        any training setting, e.g. --lr 3e-4 --batch_size 16 --n_layer 4

Ctrl-C stops after the current step and writes a checkpoint; --resume continues from it.

On other computers (devices of the project, tinyllm device add; docs/training-hosts.md):
  --on HOST[,HOST...]  one worker per host, data-parallel; what the run reads is sent there
                       (only what changed) and its checkpoints come home as they are written
  --gpus N             one worker per GPU instead: N on every host (cuda:0..N-1), refused
                       when a host's worker has no CUDA or fewer GPUs
  --worker CMD         the worker's command on the hosts (default tinyllm-train)
  --dist_addr A        where the other hosts reach the first one (default: its SSH host name)
  --dist_port N        the rendezvous port on the first host (default 29500; open it)
  --dist_iface IF      the network interface the hosts talk over (GLOO_SOCKET_IFNAME)
By hand instead: one worker per host with --rank R --world_size N --dist_addr HOST --dist_port
PORT (the same on every host).
)";

const char* kSampleUsage =
    R"(usage: tinyllm sample --project P [--run ID | --checkpoint DIR] [options]

  --prompt TEXT      text to continue (default: a new document)
  --tokens N         tokens to generate (default 64)
  --temperature T    0 is greedy (default 1.0)
  --top_k K          sample among the K most likely tokens (default 40)
  --count N          number of samples
  --seed S           the samples are a function of the seed
  --json             print JSON events
)";

std::vector<pid_t> g_children;  // filled before signals can arrive, read by the handler
std::atomic<int> g_interrupts{0};

extern "C" void forward_signal(int sig) {
  g_interrupts.fetch_add(1);
  // A second Ctrl-C gives up on the checkpoint.
  const int to_send = g_interrupts.load() > 1 ? SIGKILL : (sig == SIGTERM ? SIGTERM : SIGINT);
  for (pid_t pid : g_children)
    ::kill(pid, to_send);
}

fs::path worker_path() {
  if (const char* env = std::getenv("TINYLLM_TRAIN_WORKER")) return env;
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return (ec ? fs::path(".") : self.parent_path()) / "tinyllm-train";
}

// A TCP port that was free a moment ago, for the DDP rendezvous.
int free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  int port = 29500;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0)
    port = ntohs(addr.sin_port);
  if (fd >= 0) ::close(fd);
  return port;
}

struct Child {
  pid_t pid = -1;
  int out = -1;  // read end of its stdout
  int in = -1;   // write end of its stdin: the control channel
  int rank = 0;
  std::string pending;
};

Result<Child> spawn_worker(const fs::path& worker, const std::vector<std::string>& args, int rank) {
  int pipe_fds[2], control_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return make_error("tinyllm-train", "cannot create a pipe");
  if (::pipe2(control_fds, O_CLOEXEC) != 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return make_error("tinyllm-train", "cannot create a pipe");
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[1]);
  posix_spawn_file_actions_adddup2(&actions, control_fds[0], STDIN_FILENO);
  posix_spawn_file_actions_addclose(&actions, control_fds[0]);
  posix_spawn_file_actions_addclose(&actions, control_fds[1]);
  std::vector<std::string> argv_text = {worker.string()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_text)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  Child c;
  c.rank = rank;
  const int rc = ::posix_spawn(&c.pid, worker.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(pipe_fds[1]);
  ::close(control_fds[0]);
  if (rc != 0) {
    ::close(pipe_fds[0]);
    ::close(control_fds[1]);
    return make_error(worker.string(), std::string("cannot start the training worker: ") +
                                           std::strerror(rc) +
                                           " (is tinyllm-train installed "
                                           "next to tinyllm?)");
  }
  c.out = pipe_fds[0];
  c.in = control_fds[1];
  return c;
}

std::string duration_text(double s) {
  char buf[32];
  const long t = long(s + 0.5);
  if (t >= 3600)
    std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else if (t >= 60)
    std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  else
    std::snprintf(buf, sizeof buf, "%lds", t);
  return buf;
}

double num(const json& e, const char* key) {
  return e.contains(key) && e[key].is_number() ? e[key].get<double>() : 0.0;
}

}  // namespace

// One event as a human line (or lines); nothing for events that only machines need.
void print_human(const json& e) {
  const std::string type = e.value(events::kEvent, "");
  if (type == events::kConfig) {
    for (const auto& o : e["overrides"])
      std::printf("setting %s = %s (default %s)\n", o["key"].get<std::string>().c_str(),
                  o["now"].get<std::string>().c_str(), o["was"].get<std::string>().c_str());
  } else if (type == events::kStart) {
    const auto& m = e["config"]["model"];
    std::printf("model: %s parameters (%d layers x %d wide, %d heads, context %d, vocab %d)\n",
                e["params_text"].get<std::string>().c_str(), m["n_layer"].get<int>(),
                m["n_embd"].get<int>(), m["n_head"].get<int>(), m["n_ctx"].get<int>(),
                m["n_vocab"].get<int>());
    std::printf("memory: ~%.0f MiB | device %s, %d threads, %s | %d process(es)\n",
                num(e, "memory_bytes") / (1024.0 * 1024.0), e["device"].get<std::string>().c_str(),
                e["threads"].get<int>(), e["precision"].get<std::string>().c_str(),
                e["world_size"].get<int>());
    if (e.value("objective", "") == "finetune")
      std::printf("task: %.0f train / %.0f val examples, answers %s | from %s\n",
                  num(e, "train_examples"), num(e, "val_examples"),
                  e["classes"].empty() ? "x=<metres> y=<metres>" : e["classes"].dump().c_str(),
                  e.value("init_from", "").empty() ? "scratch" : e.value("init_from", "").c_str());
    if (e.contains("lora") && e["lora"].is_object())
      std::printf("LoRA: rank %d, alpha %g on %d matmuls: %.0f of %.0f weights trained (%.1f%%)\n",
                  e["lora"].value("rank", 0), num(e["lora"], "alpha"),
                  e["lora"].value("adapted", 0), num(e, "trainable_params"), num(e, "params"),
                  100.0 * num(e, "trainable_params") / std::max(1.0, num(e, "params")));
    else if (e.value("objective", "") != "finetune")
      std::printf("data: %.0f train / %.0f val tokens | %.0f tokens per step (%lld accumulation)\n",
                  num(e, "train_tokens"), num(e, "val_tokens"), num(e, "batch_tokens"),
                  static_cast<long long>(num(e, "grad_accum")));
    std::printf("estimate: ~%.0f tokens/s, %s for %lld steps%s\n",
                num(e["estimate"], "tokens_per_s"),
                duration_text(num(e["estimate"], "seconds")).c_str(),
                static_cast<long long>(num(e, "steps") - num(e, "step")),
                e["resumed_from"].get<std::string>().empty()
                    ? ""
                    : (" (resumed from " + e["resumed_from"].get<std::string>() + ")").c_str());
  } else if (type == "context_check") {
    std::printf("%s%s\n", e.value("ok", false) ? "context check: " : "",
                e.value("message", "").c_str());
  } else if (type == "eval_progress") {
    std::printf("evaluated %lld of %lld examples\n", static_cast<long long>(num(e, "done")),
                static_cast<long long>(num(e, "total")));
  } else if (type == events::kStep) {
    std::printf(
        "step %6lld/%lld  loss %.4f  lr %.2e  norm %.2f  %6.0f tok/s  mfu %4.1f%%  eta %s\n",
        static_cast<long long>(num(e, "step")), static_cast<long long>(num(e, "steps")),
        num(e, "loss"), num(e, "lr"), num(e, "grad_norm"), num(e, "tokens_per_s"),
        100.0 * num(e, "mfu"), duration_text(num(e, "eta_s")).c_str());
  } else if (type == events::kVal) {
    if (e.contains("val_error_m"))
      std::printf("val  step %lld  error %.2f m  (best %.2f m, %lld unparseable)  loss %.4f%s\n",
                  static_cast<long long>(num(e, "step")), num(e, "val_error_m"),
                  num(e, "best_val_error_m"), static_cast<long long>(num(e, "unparseable")),
                  num(e, "val_loss"), e.value("improved", false) ? " *" : "");
    else if (e.contains("val_accuracy"))
      std::printf("val  step %lld  accuracy %.1f%%  (best %.1f%%)  loss %.4f%s\n",
                  static_cast<long long>(num(e, "step")), 100 * num(e, "val_accuracy"),
                  100 * num(e, "best_val_accuracy"), num(e, "val_loss"),
                  e.value("improved", false) ? " *" : "");
    else
      std::printf("val  step %lld  loss %.4f  (best %.4f)%s\n",
                  static_cast<long long>(num(e, "step")), num(e, "val_loss"),
                  num(e, "best_val_loss"), e.value("improved", false) ? " *" : "");
  } else if (type == events::kSample) {
    if (e.contains("readable") && e["readable"].is_string())
      std::printf("sample @%lld: %s\n", static_cast<long long>(num(e, "step")),
                  e["readable"].get<std::string>().c_str());
    else if (e.contains("text"))
      std::printf("sample @%lld: %s\n", static_cast<long long>(num(e, "step")),
                  e["text"].get<std::string>().c_str());
    else
      std::printf("sample @%lld (token ids): %s\n", static_cast<long long>(num(e, "step")),
                  e["tokens"].dump().c_str());
  } else if (type == events::kCheckpoint) {
    std::printf("checkpoint (%s) step %lld -> %s\n", e["kind"].get<std::string>().c_str(),
                static_cast<long long>(num(e, "step")), e["path"].get<std::string>().c_str());
  } else if (type == events::kSkip) {
    std::printf("skipped step %lld: %s (loss %g)\n", static_cast<long long>(num(e, "step")),
                e["reason"].get<std::string>().c_str(), num(e, "loss"));
  } else if (type == events::kWarning) {
    std::printf("warning: %s\n", e["message"].get<std::string>().c_str());
  } else if (type == events::kDone) {
    std::printf("done (%s) at step %lld", e["reason"].get<std::string>().c_str(),
                static_cast<long long>(num(e, "step")));
    if (e.contains("loss")) std::printf(": loss %.4f", num(e, "loss"));
    if (e.contains("best_val_loss") && e["best_val_loss"].is_number())
      std::printf(", best val loss %.4f", num(e, "best_val_loss"));
    if (e.contains("best_val_accuracy") && e["best_val_accuracy"].is_number())
      std::printf(", best val accuracy %.1f%%", 100 * num(e, "best_val_accuracy"));
    if (e.contains("best_val_error_m") && e["best_val_error_m"].is_number())
      std::printf(", best val error %.2f m", num(e, "best_val_error_m"));
    if (e.contains("mean_error_m") && e["mean_error_m"].is_number())
      std::printf(": mean error %.2f m on %lld examples (%lld unparseable)", num(e, "mean_error_m"),
                  static_cast<long long>(num(e, "examples")),
                  static_cast<long long>(num(e, "unparseable")));
    if (e.contains("accuracy") && e["accuracy"].is_number())
      std::printf(": accuracy %.1f%% on %lld examples", 100 * num(e, "accuracy"),
                  static_cast<long long>(num(e, "examples")));
    if (e.contains("checkpoint"))
      std::printf("\ncheckpoint: %s", e["checkpoint"].get<std::string>().c_str());
    std::printf("\n");
  } else if (type == events::kError) {
    const std::string where = e.value("where", "");
    std::fprintf(stderr, "tinyllm: %s%s\n", where.empty() ? "" : (where + ": ").c_str(),
                 e.value("message", "").c_str());
  }
  std::fflush(stdout);
}

namespace {

// Passes complete control lines from our stdin to every worker: all processes of a DDP run must
// pause together (they agree at the step boundary).
void forward_control(std::string& pending, std::vector<Child>& children) {
  size_t nl;
  while ((nl = pending.find('\n')) != std::string::npos) {
    const std::string line = pending.substr(0, nl + 1);
    pending.erase(0, nl + 1);
    for (auto& c : children) {
      if (c.in < 0) continue;
      if (::write(c.in, line.data(), line.size()) != ssize_t(line.size())) {
        ::close(c.in);  // the worker is gone or not listening
        c.in = -1;
      }
    }
  }
}

void close_control(std::vector<Child>& children) {
  for (auto& c : children)
    if (c.in >= 0) {
      ::close(c.in);
      c.in = -1;
    }
}

// Runs the workers to the end, printing rank 0's events; returns the exit code.
int supervise(std::vector<Child>& children, bool raw_json, const EventObserver& observe,
              bool quiet) {
  g_children.clear();
  for (const auto& c : children)
    g_children.push_back(c.pid);
  struct sigaction sa = {}, old_int = {}, old_term = {};
  sa.sa_handler = forward_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, &old_int);
  ::sigaction(SIGTERM, &sa, &old_term);
  struct sigaction ignore = {}, old_pipe = {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &old_pipe);  // a worker that exited must not kill the relay

  size_t open = children.size();
  char buf[65536];
  // A terminal is not a control channel (and reading it from the background would stop us).
  bool control_open = !::isatty(STDIN_FILENO);
  std::string control_pending;
  while (open > 0) {
    std::vector<pollfd> fds;
    std::vector<Child*> owners;
    for (auto& c : children)
      if (c.out >= 0) {
        fds.push_back({c.out, POLLIN, 0});
        owners.push_back(&c);
      }
    if (control_open) fds.push_back({STDIN_FILENO, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (control_open && (fds.back().revents & (POLLIN | POLLHUP | POLLERR))) {
      const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
      if (n > 0) {
        control_pending.append(buf, size_t(n));
        forward_control(control_pending, children);
      } else if (n == 0 || errno != EINTR) {
        control_open = false;
      }
    }
    for (size_t i = 0; i < owners.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      Child& c = *owners[i];
      const ssize_t n = ::read(c.out, buf, sizeof buf);
      if (n <= 0) {
        if (n < 0 && errno == EINTR) continue;
        ::close(c.out);
        c.out = -1;
        --open;
        continue;
      }
      c.pending.append(buf, size_t(n));
      size_t nl;
      while ((nl = c.pending.find('\n')) != std::string::npos) {
        const std::string line = c.pending.substr(0, nl);
        c.pending.erase(0, nl + 1);
        if (c.rank != 0) continue;  // other ranks stay quiet; their errors go to stderr
        if (observe) {
          const json e = json::parse(line, nullptr, false);
          if (e.is_object()) observe(e);
        }
        if (quiet) {
          const json e = json::parse(line, nullptr, false);
          if (e.is_object() && e.value(events::kEvent, "") == events::kError) print_human(e);
          continue;
        }
        if (raw_json) {
          std::printf("%s\n", line.c_str());
          std::fflush(stdout);
          continue;
        }
        json e = json::parse(line, nullptr, false);
        if (e.is_discarded())
          std::printf("%s\n", line.c_str());
        else
          print_human(e);
      }
    }
  }
  close_control(children);
  int code = 0;
  for (auto& c : children) {
    int status = 0;
    while (::waitpid(c.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFSIGNALED(status)) {
      std::fprintf(stderr, "tinyllm: training worker (rank %d) was killed by signal %d\n", c.rank,
                   WTERMSIG(status));
      code = 1;
    } else if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
      code = WEXITSTATUS(status);
    }
  }
  ::sigaction(SIGINT, &old_int, nullptr);
  ::sigaction(SIGTERM, &old_term, nullptr);
  ::sigaction(SIGPIPE, &old_pipe, nullptr);
  g_children.clear();
  return code;
}

}  // namespace

// Splits tinyllm's "--key value" / "--key=value" / "--flag" into worker "--key=value" options.
Result<std::vector<std::pair<std::string, std::string>>> split_options(
    const std::vector<std::string>& argv, const std::vector<std::string>& flags) {
  std::vector<std::pair<std::string, std::string>> out;
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2)
      return make_error("argument " + a, "expected --key value");
    std::string key = a.substr(2);
    if (auto eq = key.find('='); eq != std::string::npos) {
      out.emplace_back(key.substr(0, eq), key.substr(eq + 1));
    } else if (std::find(flags.begin(), flags.end(), key) != flags.end()) {
      out.emplace_back(key, "true");
    } else {
      if (i + 1 >= argv.size()) return make_error("argument " + a, "--" + key + " needs a value");
      out.emplace_back(key, argv[++i]);
    }
  }
  return out;
}

int launch(const std::string& mode, const std::vector<std::pair<std::string, std::string>>& options,
           int nproc, bool raw_json, const EventObserver& observe, bool quiet) {
  const fs::path worker = worker_path();
  std::vector<std::string> args = {mode};
  bool has_threads = false;
  for (const auto& [k, v] : options) {
    args.push_back("--" + k + "=" + v);
    has_threads = has_threads || k == "threads";
  }
  std::vector<Child> children;
  if (nproc <= 1) {
    auto c = spawn_worker(worker, args, 0);
    if (!c) return fail(c.error());
    children.push_back(*c);
    return supervise(children, raw_json, observe, quiet);
  }
  const int port = free_port();
  const int threads = std::max(1, int(std::thread::hardware_concurrency()) / nproc);
  for (int r = 0; r < nproc; ++r) {
    auto a = args;
    a.push_back("--rank=" + std::to_string(r));
    a.push_back("--world_size=" + std::to_string(nproc));
    a.push_back("--dist_addr=127.0.0.1");
    a.push_back("--dist_port=" + std::to_string(port));
    if (!has_threads) a.push_back("--threads=" + std::to_string(threads));  // share the cores
    auto c = spawn_worker(worker, a, r);
    if (!c) {
      for (auto& started : children)
        ::kill(started.pid, SIGTERM);
      close_control(children);
      return fail(c.error());
    }
    children.push_back(*c);
  }
  return supervise(children, raw_json, observe, quiet);
}

int run_train_command(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::printf("%s", kTrainUsage);
    return 0;
  }
  auto options = split_options(argv, {"json", "resume"});
  if (!options) return fail(options.error());
  int nproc = 1;
  bool raw_json = false;
  std::vector<std::pair<std::string, std::string>> forward;
  for (const auto& [k, v] : *options) {
    if (k == "json") {
      raw_json = true;
    } else if (k == "nproc") {
      nproc = std::atoi(v.c_str());
      if (nproc < 1 || nproc > 256) return fail(make_error("--nproc", "must be 1..256"));
    } else {
      forward.emplace_back(k == "run" ? "run_id" : k, v);  // the worker validates the rest
    }
  }
  if (std::any_of(forward.begin(), forward.end(), [](const auto& kv) { return kv.first == "on"; }))
    return run_on_hosts("train", forward, raw_json);
  if (std::any_of(forward.begin(), forward.end(),
                  [](const auto& kv) { return kv.first == "gpus"; }))
    return fail(make_error("--gpus",
                           "is for --on (the GPUs of each host); on this computer, "
                           "--nproc N starts one process per GPU"));
  const bool has_source = std::any_of(forward.begin(), forward.end(), [](const auto& kv) {
    return kv.first == "project" || kv.first == "data_dir";
  });
  if (!has_source) {
    std::fprintf(stderr, "%s", kTrainUsage);
    return fail(make_error("tinyllm train", "name the project (--project P)"));
  }
  if (nproc > 1) {
    // Every process must write the same run: choose it once, here.
    auto given = [&](const char* key) -> std::optional<std::string> {
      for (const auto& [k, v] : forward)
        if (k == key) return v;
      return std::nullopt;
    };
    if (auto project = given("project"); project && !given("out_dir") && !given("run_id")) {
      auto p = project::open_project(*project);
      if (!p) return fail(p.error());
      auto run = pipeline::choose_run(*p, std::nullopt, given("resume").has_value());
      if (!run) return fail(run.error());
      forward.emplace_back("run_id", *run);
    }
  }
  return launch("train", forward, nproc, raw_json);
}

int run_sample_command(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::printf("%s", kSampleUsage);
    return 0;
  }
  auto options = split_options(argv, {"json"});
  if (!options) return fail(options.error());
  bool raw_json = false;
  std::vector<std::pair<std::string, std::string>> forward;
  for (const auto& [k, v] : *options) {
    if (k == "json")
      raw_json = true;
    else
      forward.emplace_back(k == "run" ? "run_id" : k, v);
  }
  return launch("sample", forward, 1, raw_json);
}

}  // namespace tinyllm::cli
