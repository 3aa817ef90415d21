#include "deploy/remote_train.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "base/files.h"
#include "deploy/shell.h"
#include "deploy/worker_plan.h"
#include "pipeline/pretrain_step.h"
#include "pipeline/tokenizer_step.h"
#include "pipeline/worker_events.h"

namespace tinyllm::deploy {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The project's folder on a host.
std::string remote_project_dir(const DeviceProfile& host, const project::Project& project) {
  return home_relative(host.install_dir) + "/train/" + safe_name(project.name);
}

// What the worker reads, relative to the project: project.json, the prepared data, the tokenizer
// and its shards, and the run itself when it resumes; a fine-tuning run also reads the
// pre-trained run it starts from.
std::vector<std::string> upload_roots(const project::Project& project,
                                      const RemoteTrainRequest& request) {
  std::vector<std::string> roots = {"project.json", "data/prepared", pipeline::kTokenizerFolder};
  if (request.resume) roots.push_back(run_folder(request.mode, request.run_id));
  if (request.mode == "finetune") {
    bool from_given = false;
    for (const auto& [key, value] : request.options)
      if (key == "init_from" || key == "from") {
        from_given = true;
        const auto path = project::stored_path(project.root, value);
        if (!fs::path(path).is_absolute()) roots.push_back(path);
      }
    if (!from_given)
      if (const auto run = pipeline::latest_run_id(project))
        roots.push_back(run_folder("train", *run));
  }
  return roots;
}

// Files under `roots` (relative to `root`), each as a relative path.
std::vector<std::string> files_under(const fs::path& root, const std::vector<std::string>& roots) {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& r : roots) {
    const fs::path p = root / r;
    if (fs::is_regular_file(p, ec)) {
      files.push_back(r);
      continue;
    }
    if (!fs::is_directory(p, ec)) continue;
    for (auto it = fs::recursive_directory_iterator(p, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      if (it->is_regular_file(ec) && it->path().filename().string().rfind(".tmp", 0) != 0)
        files.push_back(fs::relative(it->path(), root).string());
    }
  }
  return files;
}

// `sha256sum` output ("HASH  PATH" lines) as path -> hash.
std::map<std::string, std::string> parse_sums(const std::string& text) {
  std::map<std::string, std::string> sums;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);)
    if (line.size() > 66 && line[64] == ' ') sums[line.substr(66)] = line.substr(0, 64);
  return sums;
}

// Sends the files whose checksum differs on the host; returns how many were sent.
Result<size_t> upload_changed(SshSession& session, const fs::path& root,
                              const std::vector<std::string>& files, const std::string& dir) {
  std::string list;
  for (const auto& f : files)
    list += " " + shell_quote(f);
  TINYLLM_TRY_ASSIGN(made,
                     session.exec("mkdir -p " + shell_quote(dir) + " && cd " + shell_quote(dir) +
                                  " && sha256sum" + list + " 2>/dev/null; true"));
  const auto remote = parse_sums(made.out);
  size_t sent = 0;
  for (const auto& f : files) {
    TINYLLM_TRY_ASSIGN(local_sum, sha256_file(root / f));
    const auto it = remote.find(f);
    if (it != remote.end() && it->second == local_sum) continue;
    std::ifstream in(root / f, std::ios::binary);
    const uint64_t bytes = fs::file_size(root / f);
    const std::string target = dir + "/" + f;
    const std::string temp = target + ".upload";
    TINYLLM_TRY_ASSIGN(
        r, session.exec_with_input(
               "mkdir -p " + shell_quote(fs::path(target).parent_path().string()) + " && cat > " +
                   shell_quote(temp) + " && mv " + shell_quote(temp) + " " + shell_quote(target),
               in, bytes));
    if (r.exit_status != 0)
      return make_error(session.label() + ":" + target, "cannot write: " + r.err);
    ++sent;
  }
  return sent;
}

// Makes `folder` (relative to the project) at home what it is on the host: files whose checksum
// differs come home, each written atomically; files the worker removed there (old checkpoints it
// pruned) are removed here. Returns how many came.
Result<size_t> download_changed(SshSession& session, const std::string& dir,
                                const std::string& folder, const fs::path& root) {
  // Checkpoints being written live in hidden ".tmp-" folders until renamed: not yet.
  TINYLLM_TRY_ASSIGN(listing,
                     session.exec("cd " + shell_quote(dir) + " && find " + shell_quote(folder) +
                                  " -type f ! -path '*.tmp*' -exec sha256sum {} + "
                                  "2>/dev/null; true"));
  const auto remote = parse_sums(listing.out);
  if (remote.empty()) return size_t{0};
  std::error_code ec;
  for (const auto& local : files_under(root, {folder}))
    if (!remote.count(local)) fs::remove(root / local, ec);
  std::vector<fs::path> folders;  // emptied by the removals: deepest first
  for (auto it = fs::recursive_directory_iterator(root / folder, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_directory(ec)) folders.push_back(it->path());
  }
  std::sort(folders.begin(), folders.end(), [](const fs::path& a, const fs::path& b) {
    return a.native().size() > b.native().size();
  });
  for (const auto& f : folders)
    if (fs::is_empty(f, ec)) fs::remove(f, ec);
  size_t fetched = 0;
  for (const auto& [path, sum] : remote) {
    std::error_code ec;
    const fs::path local = root / path;
    if (fs::is_regular_file(local, ec)) {
      auto have = sha256_file(local);
      if (have && *have == sum) continue;
    }
    TINYLLM_TRY_ASSIGN(file, session.exec("cat " + shell_quote(dir + "/" + path)));
    if (file.exit_status != 0) continue;  // replaced while listed: the next copy brings it
    if (sha256_hex(file.out) != sum) continue;
    fs::create_directories(local.parent_path(), ec);
    TINYLLM_TRY(write_file_atomic(local, file.out));
    ++fetched;
  }
  return fetched;
}

// The regular files of a ustar archive (what `tar cf -` writes), as path -> bytes.
Result<std::map<std::string, std::string>> read_tar(const std::string& tar) {
  std::map<std::string, std::string> files;
  for (size_t at = 0; at + 512 <= tar.size();) {
    const char* h = tar.data() + at;
    if (h[0] == '\0') break;  // the two zero blocks at the end
    auto field = [&](size_t offset, size_t size) {
      std::string f(h + offset, size);
      return f.substr(0, f.find('\0'));
    };
    const std::string prefix = field(345, 155), name = field(0, 100);
    const uint64_t size = std::strtoull(field(124, 12).c_str(), nullptr, 8);
    const char type = h[156];
    at += 512;
    if (size > tar.size() - at) return make_error("checkpoint copy", "the archive is truncated");
    if (type == '0' || type == '\0')
      files[prefix.empty() ? name : prefix + "/" + name] = tar.substr(at, size);
    at += (size + 511) / 512 * 512;
  }
  return files;
}

// Brings one checkpoint folder home as it was at one moment: the host packs it with `tar` in one
// go (a worker writes a checkpoint into a temporary folder and renames it, but prunes old ones at
// any time), then it is unpacked next to its place and renamed into it, and the run's latest.json
// and events follow. A checkpoint already pruned on the host is skipped: the next one comes.
Result<bool> copy_checkpoint_home(SshSession& session, const std::string& dir,
                                  const std::string& folder, const std::string& checkpoint,
                                  int64_t step, const fs::path& root) {
  const std::string name = fs::path(checkpoint).filename().string();
  TINYLLM_TRY_ASSIGN(packed, session.exec("cd " + shell_quote(dir + "/" + folder) +
                                          " && tar cf - " + shell_quote(name) + " 2>/dev/null"));
  if (packed.exit_status != 0) return false;
  TINYLLM_TRY_ASSIGN(files, read_tar(packed.out));
  const fs::path run = root / folder;
  const fs::path staging = run / (".home-" + name);
  std::error_code ec;
  fs::remove_all(staging, ec);
  for (const auto& [path, bytes] : files) {
    if (path.rfind(name + "/", 0) != 0) continue;
    const fs::path target = staging / path.substr(name.size() + 1);
    fs::create_directories(target.parent_path(), ec);
    TINYLLM_TRY(write_file_atomic(target, bytes));
  }
  if (!fs::is_directory(staging, ec)) return false;  // pruned between the event and the copy
  fs::remove_all(run / name, ec);
  fs::rename(staging, run / name, ec);
  if (ec)
    return make_error((run / name).string(), "cannot move the copy into place: " + ec.message());
  if (name.rfind("step-", 0) == 0)
    TINYLLM_TRY(write_file_atomic(run / "latest.json",
                                  json{{"checkpoint", name}, {"step", step}}.dump() + "\n"));
  // The events as far as their last whole line (the worker appends to them all the time).
  TINYLLM_TRY_ASSIGN(events,
                     session.exec("cat " + shell_quote(dir + "/" + folder + "/events.jsonl")));
  if (const auto end = events.out.rfind('\n'); events.exit_status == 0 && end != std::string::npos)
    TINYLLM_TRY(write_file_atomic(run / "events.jsonl", events.out.substr(0, end + 1)));
  return true;
}

std::string worker_of(const RemoteTrainRequest& request, const DeviceProfile& host) {
  return request.worker.empty() ? host.train_worker : request.worker;
}

// The worker's command line on a host: in the project's folder, its pid first (so that it can
// be signalled from another connection), then the worker itself with its place in the plan.
std::string worker_command(const RemoteTrainRequest& request, const std::string& dir,
                           const WorkerLaunch& launch) {
  const DeviceProfile& host = request.hosts[launch.host];
  std::vector<std::string> words = {worker_of(request, host), request.mode, "--project=.",
                                    "--run_id=" + request.run_id};
  for (const auto& [key, value] : request.options) {
    if (!launch.device.empty() && key == "device") continue;  // the plan's GPU replaces it
    words.push_back("--" + key + "=" + value);
  }
  if (request.resume) words.push_back("--resume");
  words.insert(words.end(), launch.args.begin(), launch.args.end());
  std::string env;
  for (const auto& [name, value] : launch.env)
    env += "export " + name + "=" + shell_quote(value) + " && ";
  return "cd " + shell_quote(dir) + " && " + env + "echo $$ && exec " + shell_join(words);
}

// One worker over its own SSH connection: its output as lines, its end.
struct Rank {
  int rank = 0;
  WorkerLaunch launch;
  const DeviceProfile* host = nullptr;
  std::optional<SshSession> session;
  std::thread thread;
  std::atomic<long> pid{0};
  std::atomic<bool> finished{false};
  std::atomic<bool> lost{false};
  int exit_status = -1;
  std::string error;  // the lost connection's reason
  std::string stderr_tail;
};

struct Shared {
  std::mutex mutex;
  std::vector<json> events;  // rank 0's, not yet handled by the main thread
  std::vector<std::vector<std::string>> control_for;  // by rank
};

}  // namespace

std::string run_folder(const std::string& mode, const std::string& run_id) {
  const auto& family = mode == "finetune" ? pipeline::kFinetuneRuns : pipeline::kPretrainRuns;
  return std::string(family.folder) + "/" + run_id;
}

Result<RemoteTrainOutcome> train_on_hosts(const project::Project& project,
                                          const RemoteTrainRequest& request) {
  if (request.hosts.empty()) return make_error("--on", "name at least one host");
  if (request.hosts.size() > 64) return make_error("--on", "at most 64 hosts");
  auto note = [&](const std::string& line) {
    if (request.on_note) request.on_note(line);
  };
  const auto roots = upload_roots(project, request);
  const auto files = files_under(project.root, roots);
  const std::string folder = run_folder(request.mode, request.run_id);

  const std::string dist_addr = !request.dist_addr.empty()             ? request.dist_addr
                                : !request.hosts[0].train_addr.empty() ? request.hosts[0].train_addr
                                                                       : request.hosts[0].ssh.host;

  // Connect to every host and check its worker runs there (and has the GPUs asked for) before
  // anything is sent anywhere.
  std::vector<SshSession> host_sessions;
  std::vector<PlanHost> plan_hosts;
  for (const auto& host : request.hosts) {
    TINYLLM_TRY_ASSIGN(session, SshSession::connect(host.ssh, ConnectOptions{}));
    const std::string worker = worker_of(request, host);
    TINYLLM_TRY_ASSIGN(version, session.exec(shell_quote(worker) + " --version"));
    if (version.exit_status != 0)
      return make_error(
          host.name,
          "the training worker '" + worker + "' does not run there (" +
              (version.err.empty() ? "exit " + std::to_string(version.exit_status) : version.err) +
              "): install the workbench's package on it, or give the path of a "
              "tinyllm-train build (docs/training-hosts.md)");
    PlanHost plan_host{host.name, json::parse(version.out, nullptr, false),
                       request.dist_iface.empty() ? host.train_iface : request.dist_iface};
    TINYLLM_TRY(check_host_gpus(plan_host, request.gpus_per_host));
    plan_hosts.push_back(std::move(plan_host));
    host_sessions.push_back(std::move(session));
  }
  TINYLLM_TRY_ASSIGN(plan,
                     plan_workers(plan_hosts, request.gpus_per_host, dist_addr, request.dist_port));
  // Send what the workers read, once per host.
  for (size_t h = 0; h < request.hosts.size(); ++h) {
    const std::string dir = remote_project_dir(request.hosts[h], project);
    TINYLLM_TRY_ASSIGN(sent, upload_changed(host_sessions[h], project.root, files, dir));
    note(request.hosts[h].name + ": " + std::to_string(sent) + " of " +
         std::to_string(files.size()) + " files sent to " + dir + " (the rest were there already)");
  }
  // One connection per worker: a worker's output and input travel over its own.
  std::vector<std::unique_ptr<Rank>> ranks;
  for (const auto& launch : plan.workers) {
    auto rank = std::make_unique<Rank>();
    rank->rank = launch.rank;
    rank->launch = launch;
    rank->host = &request.hosts[launch.host];
    if (launch.local_rank == 0) {
      rank->session.emplace(std::move(host_sessions[launch.host]));
    } else {
      TINYLLM_TRY_ASSIGN(session, SshSession::connect(rank->host->ssh, ConnectOptions{}));
      rank->session.emplace(std::move(session));
    }
    ranks.push_back(std::move(rank));
  }
  if (request.gpus_per_host > 0)
    note(std::to_string(plan.world_size) + " workers: " + std::to_string(request.gpus_per_host) +
         " per host on cuda:0.." + std::to_string(request.gpus_per_host - 1) + ", rank 0 on " +
         request.hosts[0].name);

  // One thread per worker: each reads its own connection (a libssh session is used by one thread).
  Shared shared;
  shared.control_for.resize(ranks.size());
  for (auto& rp : ranks) {
    Rank& rank = *rp;
    rank.thread = std::thread([&, dir = remote_project_dir(*rank.host, project)] {
      std::string pending;
      ExecIo io;
      io.on_stdout = [&](std::string_view chunk) {
        pending.append(chunk);
        size_t nl;
        while ((nl = pending.find('\n')) != std::string::npos) {
          const std::string line = pending.substr(0, nl);
          pending.erase(0, nl + 1);
          if (rank.pid == 0) {
            rank.pid = std::atol(line.c_str());
            continue;
          }
          if (rank.rank != 0) continue;  // only rank 0 speaks
          json e = json::parse(line, nullptr, false);
          if (!e.is_object()) continue;
          std::lock_guard<std::mutex> lock(shared.mutex);
          shared.events.push_back(std::move(e));
        }
      };
      io.on_stderr = [&](std::string_view chunk) {
        rank.stderr_tail.append(chunk);
        if (rank.stderr_tail.size() > 4000)
          rank.stderr_tail.erase(0, rank.stderr_tail.size() - 4000);
      };
      io.input = [&] {
        std::lock_guard<std::mutex> lock(shared.mutex);
        std::string bytes;
        for (auto& line : shared.control_for[rank.rank])
          bytes += line;
        shared.control_for[rank.rank].clear();
        return bytes;
      };
      auto ran = rank.session->exec(worker_command(request, dir, rank.launch), io);
      if (ran) {
        rank.exit_status = ran->exit_status;
      } else {
        rank.lost = true;
        rank.error = ran.error().to_string();
      }
      rank.finished = true;
    });
  }

  // The main thread: events to the caller, control lines to every worker, the run's folder home
  // after each checkpoint, and the end.
  RemoteTrainOutcome outcome;
  auto home_session = SshSession::connect(request.hosts[0].ssh, ConnectOptions{});
  const std::string home_dir = remote_project_dir(request.hosts[0], project);
  if (!home_session)
    note("cannot copy checkpoints home from " + request.hosts[0].name + ": " +
         home_session.error().to_string());
  auto bring_home = [&](const char* why) {
    if (!home_session) return;
    auto fetched = download_changed(*home_session, home_dir, folder, project.root);
    if (fetched && *fetched > 0)
      note(std::to_string(*fetched) + " file(s) of " + folder + " copied home (" + why + ")");
    else if (!fetched)
      note("could not copy " + folder + " home: " + fetched.error().to_string());
  };
  auto send_control = [&](const std::string& line) {
    std::lock_guard<std::mutex> lock(shared.mutex);
    for (auto& r : ranks)
      shared.control_for[r->rank].push_back(line);
  };
  // Signals a worker from a new connection: the worker's own connection may be the one lost.
  auto signal_worker = [&](Rank& r, const char* signal) {
    if (r.pid <= 0 || r.finished) return;
    auto s = SshSession::connect(r.host->ssh, ConnectOptions{});
    if (s) (void)s->exec("kill -" + std::string(signal) + " " + std::to_string(r.pid.load()));
  };
  bool stopping = false;
  auto stop_deadline = std::chrono::steady_clock::time_point::max();
  for (;;) {
    std::vector<json> events;
    {
      std::lock_guard<std::mutex> lock(shared.mutex);
      events.swap(shared.events);
    }
    // Only the newest checkpoint of each kind (step, best) in a batch is copied: copying one
    // takes a few round trips, and a fast run would otherwise fall behind and find each older one
    // pruned on the host.
    std::map<std::string, const json*> newest;
    for (const auto& e : events) {
      if (request.on_event) request.on_event(e);
      const std::string type = e.value(events::kEvent, "");
      if (type == events::kCheckpoint) newest[e.value("kind", "")] = &e;
      if (type == events::kDone) outcome.last_done = e;
    }
    for (const auto& [kind, e] : newest) {
      if (!home_session) break;
      const std::string path = e->value("path", "");
      auto copied = copy_checkpoint_home(*home_session, home_dir, folder, path,
                                         e->value("step", int64_t{0}), project.root);
      if (!copied)
        note("could not copy the checkpoint home: " + copied.error().to_string());
      else if (*copied)
        note("checkpoint " + fs::path(path).filename().string() + " copied home");
    }
    if (request.control)
      if (const std::string line = request.control(); !line.empty()) send_control(line);
    bool all_done = true;
    for (auto& r : ranks) {
      all_done = all_done && r->finished;
      if (r->lost && std::find(outcome.lost_hosts.begin(), outcome.lost_hosts.end(),
                               r->host->name) == outcome.lost_hosts.end()) {
        outcome.lost_hosts.push_back(r->host->name);
        outcome.message = "lost the connection to " + r->host->name + " (" + r->error +
                          "): the run was stopped on every host";
        note(outcome.message);
      }
    }
    if (!outcome.lost_hosts.empty() && !stopping) {
      // The others cannot go on without it: checkpoint and stop; signalled, since a worker
      // waiting in a collective call reads no control line.
      stopping = true;
      stop_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(request.grace_s);
      send_control(std::string("{\"control\":\"stop\"}\n"));
      for (auto& r : ranks)
        signal_worker(*r, "INT");
    }
    if (stopping && std::chrono::steady_clock::now() > stop_deadline) {
      for (auto& r : ranks)
        signal_worker(*r, "KILL");
      stop_deadline = std::chrono::steady_clock::time_point::max();
    }
    if (all_done) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  for (auto& r : ranks)
    r->thread.join();
  {
    std::lock_guard<std::mutex> lock(shared.mutex);
    for (const auto& e : shared.events) {
      if (request.on_event) request.on_event(e);
      if (e.value(events::kEvent, "") == events::kDone) outcome.last_done = e;
    }
  }
  bring_home("the end of the run");

  const Rank& first = *ranks[0];
  outcome.exit_code = first.lost ? 1 : first.exit_status;
  if (!outcome.lost_hosts.empty()) outcome.exit_code = outcome.exit_code ? outcome.exit_code : 1;
  if (outcome.exit_code != 0 && outcome.message.empty()) {
    std::string why = first.stderr_tail;
    for (const auto& r : ranks)
      if (r->exit_status != 0 && why.empty()) why = r->host->name + ": " + r->stderr_tail;
    while (!why.empty() && why.back() == '\n')
      why.pop_back();
    outcome.message = "the worker on " + first.host->name + " (rank 0) ended with exit status " +
                      std::to_string(first.exit_status) + (why.empty() ? "" : ": " + why);
  }

  // The run's artifact as the worker on the first host recorded it, with where it ran.
  if (home_session) {
    auto manifest = home_session->exec("cat " + shell_quote(home_dir + "/project.json"));
    const json remote = manifest && manifest->exit_status == 0
                            ? json::parse(manifest->out, nullptr, false)
                            : json();
    const auto& family =
        request.mode == "finetune" ? pipeline::kFinetuneRuns : pipeline::kPretrainRuns;
    const std::string id = pipeline::checkpoint_artifact_id(request.run_id, family);
    if (remote.is_object())
      for (const auto& a : remote.value("artifacts", json::array()))
        if (a.value("id", "") == id) {
          TINYLLM_TRY_ASSIGN(local, project::open_project(project.root));
          project::Artifact artifact;
          artifact.id = id;
          artifact.kind = a.value("kind", "");
          artifact.path = a.value("path", "");
          artifact.sha256 = a.value("sha256", "");
          artifact.created = a.value("created", "");
          artifact.inputs = a.value("inputs", std::vector<std::string>{});
          artifact.settings = a.value("settings", json::object());
          artifact.outcome = a.value("outcome", json::object());
          json hosts = json::array();
          for (const auto& h : request.hosts)
            hosts.push_back(h.name);
          artifact.outcome["ran_on"] = hosts;
          local.put_artifact(std::move(artifact));
          TINYLLM_TRY(project::save_project(local));
        }
  }
  return outcome;
}

Result<json> probe_training_host(SshSession& session, const DeviceProfile& host,
                                 const std::string& worker_given) {
  const std::string worker = worker_given.empty() ? host.train_worker : worker_given;
  const std::string dir = home_relative(host.install_dir);
  TINYLLM_TRY_ASSIGN(
      facts, session.exec("nproc; awk '/MemTotal/ {print $2 * 1024}' /proc/meminfo; mkdir -p " +
                          shell_quote(dir) + " && df -Pk " + shell_quote(dir) +
                          " | awk 'NR == 2 {print $4 * 1024}'; (nvidia-smi --query-gpu=name,"
                          "memory.total --format=csv,noheader 2>/dev/null || true)"));
  std::istringstream lines(facts.out);
  std::string cores, memory, disk;
  std::getline(lines, cores);
  std::getline(lines, memory);
  std::getline(lines, disk);
  json gpus = json::array();
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) gpus.push_back(line);
  json out = {{"host", host.name},
              {"cores", std::atoi(cores.c_str())},
              {"memory_bytes", std::atoll(memory.c_str())},
              {"disk_free_bytes", std::atoll(disk.c_str())},
              {"gpus", gpus},
              {"worker", worker}};
  TINYLLM_TRY_ASSIGN(version, session.exec(shell_quote(worker) + " --version"));
  const json v = json::parse(version.out, nullptr, false);
  if (version.exit_status == 0 && v.is_object()) {
    out["worker_installed"] = true;
    out["worker_version"] = v;
  } else {
    out["worker_installed"] = false;
    out["worker_problem"] =
        version.err.empty() ? "exit status " + std::to_string(version.exit_status) : version.err;
  }
  return out;
}

}  // namespace tinyllm::deploy
