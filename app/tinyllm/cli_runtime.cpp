#include "cli_runtime.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>

extern char** environ;

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The runtime child while one runs; a signal handler can only reach a static.
volatile sig_atomic_t g_runtime_child = 0;

// Stop (SIGINT from the GUI's Stop, Ctrl-C) or SIGTERM: the runtime child goes with this
// process instead of measuring on as an orphan, then the signal does what it would have done.
extern "C" void stop_runtime_child(int sig) {
  if (g_runtime_child > 0) ::kill(pid_t(g_runtime_child), SIGKILL);
  std::signal(sig, SIG_DFL);
  ::raise(sig);
}

// Installs stop_runtime_child for SIGINT and SIGTERM while it lives; restores the old handlers.
class ChildGuard {
 public:
  ChildGuard() {
    struct sigaction sa {};
    sa.sa_handler = stop_runtime_child;
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, &old_int_);
    ::sigaction(SIGTERM, &sa, &old_term_);
  }
  ~ChildGuard() {
    g_runtime_child = 0;
    ::sigaction(SIGINT, &old_int_, nullptr);
    ::sigaction(SIGTERM, &old_term_, nullptr);
  }
  ChildGuard(const ChildGuard&) = delete;
  ChildGuard& operator=(const ChildGuard&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
};

}  // namespace

// Runs the native tinyllm-run next to this program and returns its last stdout line as JSON.
Result<json> run_local_runtime(const std::vector<std::string>& args) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  const fs::path runtime = (ec ? fs::path(".") : self.parent_path()) / "tinyllm-run";
  int fds[2];
  if (::pipe(fds) != 0) return make_error("tinyllm-run", "cannot create a pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  posix_spawn_file_actions_addclose(&actions, fds[1]);
  // stderr to a file: its last line says why a run failed (a pipe could fill and block).
  char err_path[] = "/tmp/tinyllm-run-stderr-XXXXXX";
  const int err_fd = ::mkstemp(err_path);
  if (err_fd >= 0) posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  std::vector<std::string> text = {runtime.string()};
  text.insert(text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : text)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  // Signals are held back from spawn to the pid's store, so that the handler never misses it.
  sigset_t block, previous;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  ::sigprocmask(SIG_BLOCK, &block, &previous);
  ChildGuard guard;
  // The child starts with the default signal mask, not the blocked one.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setsigmask(&attr, &previous);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  const int rc = ::posix_spawn(&pid, runtime.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawnattr_destroy(&attr);
  if (rc == 0) g_runtime_child = pid;
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    return make_error(runtime.string(), "cannot start the desktop runtime");
  }
  std::string out;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;)
    out.append(buffer, static_cast<size_t>(n));
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  std::string err;
  if (err_fd >= 0) {
    ::lseek(err_fd, 0, SEEK_SET);
    for (ssize_t n; (n = ::read(err_fd, buffer, sizeof buffer)) > 0;)
      err.append(buffer, static_cast<size_t>(n));
    ::close(err_fd);
    ::unlink(err_path);
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    while (!err.empty() && err.back() == '\n')
      err.pop_back();
    const auto last = err.rfind('\n');
    std::string why = last == std::string::npos ? err : err.substr(last + 1);
    if (why.rfind("tinyllm-run: ", 0) == 0) why.erase(0, 13);
    return make_error("tinyllm-run " + (args.empty() ? std::string() : args[0]),
                      why.empty() ? "the desktop run failed" : why);
  }
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  const auto newline = out.rfind('\n');
  json result =
      json::parse(newline == std::string::npos ? out : out.substr(newline + 1), nullptr, false);
  if (result.is_discarded()) return make_error(runtime.string(), "printed no JSON");
  return result;
}

}  // namespace tinyllm::cli
