#include "worker_io.h"

#include <csignal>
#include <cstdio>

#include "pipeline/worker_events.h"

namespace tinyllm::worker {
namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

}  // namespace

std::optional<std::string> Args::take(const std::string& key) {
  std::optional<std::string> value;
  for (auto it = options.begin(); it != options.end();) {
    if (it->first == key) {
      value = it->second;
      it = options.erase(it);
    } else {
      ++it;
    }
  }
  return value;
}

Result<Args> parse_args(int argc, char** argv) {
  Args args;
  int i = 1;
  if (i < argc && argv[i][0] != '-') args.mode = argv[i++];
  if (args.mode != "train" && args.mode != "finetune" && args.mode != "eval" &&
      args.mode != "sample" && args.mode != "settings")
    return make_error(args.mode, "unknown mode; use train, finetune, eval, sample or settings");
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return make_error(a, "expected --key=value");
    a = a.substr(2);
    const size_t eq = a.find('=');
    if (eq == std::string::npos)
      args.options.emplace_back(a, "true");
    else
      args.options.emplace_back(a.substr(0, eq), a.substr(eq + 1));
  }
  return args;
}

void print_event(const nlohmann::json& event) {
  const std::string line =
      event.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

int fail(const Error& error, int rank) {
  if (rank == 0)
    print_event(
        {{events::kEvent, events::kError}, {"where", error.where}, {"message", error.message}});
  std::fprintf(stderr, "tinyllm-train[rank %d]: %s\n", rank, error.to_string().c_str());
  return 1;
}

std::atomic<bool>& stop_requested() {
  return g_stop;
}

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

}  // namespace tinyllm::worker
