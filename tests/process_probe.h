// What a test can see of another process from /proc (Linux): its children, the CPU time it
// has used and the folder it runs in. Tests use it to check that a paused worker really stands
// still, and that a stopped one is gone (also on a "device": a process left behind by sshd).
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace tinyllm::test {

// Fields of /proc/PID/stat after the command name; empty when the process is gone.
inline std::vector<std::string> proc_stat_fields(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t close = text.rfind(')');  // the name may hold spaces and parentheses
  std::vector<std::string> fields;
  if (close == std::string::npos) return fields;
  std::istringstream rest(text.substr(close + 1));
  for (std::string f; rest >> f;)
    fields.push_back(f);
  return fields;  // fields[0] is the state (field 3 of proc(5))
}

// True while the process exists and is not a zombie.
inline bool process_alive(pid_t pid) {
  const auto f = proc_stat_fields(pid);
  return !f.empty() && f[0] != "Z" && f[0] != "X";
}

// User + system CPU time of the whole process (all threads), in clock ticks; -1 when gone.
inline long long cpu_ticks(pid_t pid) {
  const auto f = proc_stat_fields(pid);
  if (f.size() < 13) return -1;
  return std::stoll(f[11]) + std::stoll(f[12]);  // utime, stime: fields 14 and 15 of proc(5)
}

// The process's command name (/proc/PID/comm: at most 15 characters); "" when it is gone.
inline std::string command_name(pid_t pid) {
  std::ifstream comm("/proc/" + std::to_string(pid) + "/comm");
  std::string name;
  std::getline(comm, name);
  return name;
}

// The live processes whose parent is `parent` and whose command name is `name`.
inline std::vector<pid_t> child_processes(pid_t parent, const std::string& name) {
  std::vector<pid_t> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string id = entry.path().filename().string();
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = pid_t(std::stol(id));
    const auto f = proc_stat_fields(pid);
    if (command_name(pid) == name.substr(0, 15) && f.size() > 1 && std::stol(f[1]) == parent &&
        process_alive(pid))
      out.push_back(pid);
  }
  return out;
}

// The live processes named `name` whose working folder is `folder` or inside it, whoever their
// parent is now (a process whose SSH session ended is re-parented, not gone).
inline std::vector<pid_t> processes_in_folder(const std::filesystem::path& folder,
                                              const std::string& name) {
  std::vector<pid_t> out;
  std::error_code ec;
  const std::string prefix = std::filesystem::weakly_canonical(folder, ec).string();
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string id = entry.path().filename().string();
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = pid_t(std::stol(id));
    if (command_name(pid) != name.substr(0, 15) || !process_alive(pid)) continue;
    std::error_code link_ec;
    const std::string cwd = std::filesystem::read_symlink(entry.path() / "cwd", link_ec).string();
    if (!link_ec && cwd.compare(0, prefix.size(), prefix) == 0 &&
        (cwd.size() == prefix.size() || cwd[prefix.size()] == '/'))
      out.push_back(pid);
  }
  return out;
}

// Every process below `ancestor` (children, their children, ...), found by walking each
// process's parent chain up.
inline std::vector<pid_t> descendant_processes(pid_t ancestor) {
  std::map<pid_t, pid_t> parent;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string id = entry.path().filename().string();
    if (id.empty() || id.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = pid_t(std::stol(id));
    const auto f = proc_stat_fields(pid);
    if (f.size() > 1) parent[pid] = pid_t(std::stol(f[1]));
  }
  std::vector<pid_t> out;
  for (const auto& [pid, ppid] : parent) {
    pid_t up = ppid;
    while (up > 1 && up != ancestor) {
      const auto it = parent.find(up);
      up = it == parent.end() ? 0 : it->second;
    }
    if (up == ancestor && pid != ancestor) out.push_back(pid);
  }
  return out;
}

}  // namespace tinyllm::test
