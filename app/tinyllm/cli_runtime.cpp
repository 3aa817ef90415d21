#include "cli_runtime.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>

extern char** environ;

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

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
  std::vector<std::string> text = {runtime.string()};
  text.insert(text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : text)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, runtime.c_str(), &actions, nullptr, argv.data(), environ);
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
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return make_error(runtime.string(), "the desktop run failed");
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  const auto newline = out.rfind('\n');
  json result =
      json::parse(newline == std::string::npos ? out : out.substr(newline + 1), nullptr, false);
  if (result.is_discarded()) return make_error(runtime.string(), "printed no JSON");
  return result;
}

}  // namespace tinyllm::cli
