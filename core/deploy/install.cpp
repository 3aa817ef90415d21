#include "deploy/install.h"

#include <fstream>
#include <sstream>

#include "base/files.h"
#include "base/version.h"
#include "deploy/shell.h"

namespace tinyllm::deploy {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string mib(uint64_t bytes) {
  std::ostringstream out;
  out.precision(1);
  out << std::fixed << static_cast<double>(bytes) / (1024.0 * 1024.0) << " MiB";
  return out.str();
}

// A failed remote command as an error: its stderr, or the exit status when it said nothing.
Error remote_failure(const SshSession& session, const std::string& doing, const ExecResult& r) {
  std::string why = r.err.empty() ? "exit status " + std::to_string(r.exit_status) : r.err;
  while (!why.empty() && (why.back() == '\n' || why.back() == '\r'))
    why.pop_back();
  if (why.find("No space left") != std::string::npos || why.find("Disk quota") != std::string::npos)
    return make_error(session.label(), "the device's disk is full while " + doing + " (" + why +
                                           "). Free some space on the device; the previous "
                                           "version is still installed and current");
  return make_error(session.label(), doing + " failed on the device: " + why);
}

Result<ExecResult> run_ok(SshSession& session, const std::string& command,
                          const std::string& doing) {
  TINYLLM_TRY_ASSIGN(r, session.exec(command));
  if (r.exit_status != 0) return remote_failure(session, doing, r);
  return r;
}

// The checksum in `sha256sum`'s output.
Result<std::string> parse_sha256(const SshSession& session, const std::string& out) {
  if (out.size() < 64) return make_error(session.label(), "sha256sum printed: " + out);
  return out.substr(0, 64);
}

// Sends one file as `dir`/NAME.part, resuming a partial upload, and checks its SHA-256 on the
// device in the same command. The .part names stay until the final switch renames them.
Status upload_file(SshSession& session, const std::string& dir, const PackageFile& file,
                   uint64_t done_before, uint64_t total, DeployOutcome& outcome,
                   const DeployProgress& progress) {
  const std::string part = dir + "/" + file.name + ".part";
  const std::string checksum = "sha256sum -- " + shell_quote(part);
  TINYLLM_TRY_ASSIGN(partial, session.file_size(part));
  uint64_t offset = partial ? *partial : 0;
  std::string prefix;
  if (offset > file.bytes) {
    prefix = "rm -f -- " + shell_quote(part) + " && ";
    offset = 0;
  }
  outcome.bytes_resumed += offset;
  ExecResult sent;
  if (offset < file.bytes) {
    std::ifstream in(file.local, std::ios::binary);
    if (!in) return make_error(file.local.string(), "cannot read");
    in.seekg(static_cast<std::streamoff>(offset));
    const uint64_t before = outcome.bytes_sent;
    TINYLLM_TRY_ASSIGN(r, session.exec_with_input(
                              prefix + "cat >> " + shell_quote(part) + " && " + checksum, in,
                              file.bytes - offset, [&](uint64_t n) {
                                outcome.bytes_sent = before + n;
                                if (progress)
                                  progress({"upload", file.name, done_before + offset + n, total});
                              }));
    sent = std::move(r);
  } else {
    TINYLLM_TRY_ASSIGN(r, session.exec(checksum));
    sent = std::move(r);
  }
  if (sent.exit_status != 0) return remote_failure(session, "writing " + part, sent);
  if (progress) progress({"verify", file.name, done_before + file.bytes, total});
  TINYLLM_TRY_ASSIGN(sha, parse_sha256(session, sent.out));
  if (sha != file.sha256) {
    TINYLLM_TRY(run_ok(session, "rm -f -- " + shell_quote(part), "removing " + part));
    return make_error(session.label() + ":" + part,
                      "checksum mismatch: the device has " + sha + ", the file sent is " +
                          file.sha256 + ". The damaged copy was removed; deploy again");
  }
  return {};
}

// The shell words that point `current` at `version` atomically (a new link renamed over the old
// one) and add the version to the history that rollback walks back. Run inside the model folder.
std::string switch_current_words(const std::string& version) {
  return "ln -sfn -- " + shell_quote(version) + " .current.new && mv -Tf -- .current.new current" +
         " && printf '%s %s\\n' " + shell_quote(utc_now_iso8601()) + " " + shell_quote(version) +
         " >> history";
}

Status switch_current(SshSession& session, const std::string& model_dir,
                      const std::string& version) {
  TINYLLM_TRY(run_ok(session,
                     "cd -- " + shell_quote(model_dir) + " && " + switch_current_words(version),
                     "switching 'current' to " + version));
  return {};
}

}  // namespace

std::string remote_model_dir(const DeviceProfile& device, const std::string& model) {
  std::string dir = home_relative(device.install_dir);
  while (dir.size() > 1 && dir.back() == '/')
    dir.pop_back();
  return dir + "/" + model;
}

std::string runtime_command(const DeviceProfile& device, const std::string& version_dir,
                            const std::vector<std::string>& args, const std::string& program) {
  std::vector<std::string> words = split_words(device.runner);
  words.push_back("./" + program);
  words.insert(words.end(), args.begin(), args.end());
  return "cd -- " + shell_quote(version_dir) + " && " + shell_join(words);
}

Result<Package> make_package(const std::string& model_name, const fs::path& gguf,
                             const fs::path& runtime, const std::string& runtime_arch,
                             const fs::path& test_examples) {
  Package package;
  package.model = safe_name(model_name);
  package.runtime_arch = runtime_arch;
  auto add = [&](const std::string& name, const fs::path& local, bool executable) -> Status {
    std::error_code ec;
    const auto bytes = fs::file_size(local, ec);
    if (ec) return make_error(local.string(), "cannot read: " + ec.message());
    TINYLLM_TRY_ASSIGN(sha, sha256_file(local));
    package.files.push_back({name, local, sha, bytes, executable});
    return {};
  };
  TINYLLM_TRY(add("tinyllm-run", runtime, true));
  TINYLLM_TRY(add("model.gguf", gguf, false));
  if (!test_examples.empty()) TINYLLM_TRY(add("task_test.jsonl", test_examples, false));
  std::string all;
  json files = json::object();
  for (const auto& f : package.files) {
    all += f.name + " " + f.sha256 + "\n";
    files[f.name] = {{"sha256", f.sha256}, {"bytes", f.bytes}};
  }
  package.version = safe_name(gguf.stem().string()) + "-" + sha256_hex(all).substr(0, 10);
  package.manifest = {{"model", package.model},
                      {"version", package.version},
                      {"runtime_arch", runtime_arch},
                      {"gguf", gguf.filename().string()},
                      {"files", files},
                      {"installed", utc_now_iso8601()}};
  return package;
}

std::vector<std::string> version_notes(const json& info) {
  std::vector<std::string> notes;
  const std::string runtime = info.value("runtime_version", "");
  const std::string writer = info.value("workbench_version", "");
  if (runtime.empty())
    notes.push_back("the runtime does not report its version (built before " +
                    std::string(kWorkbenchVersion) +
                    "); deploy again with this workbench's runtime");
  else if (runtime != kWorkbenchVersion)
    notes.push_back("the runtime is version " + runtime + ", this workbench " + kWorkbenchVersion +
                    ": its results may differ from the desktop's");
  if (writer.empty())
    notes.push_back(
        "the model file does not record the workbench version that wrote it "
        "(exported before " +
        std::string(kWorkbenchVersion) + "); export it again to check");
  else if (!runtime.empty() && writer != runtime)
    notes.push_back("the model was exported by workbench " + writer + ", the runtime is " +
                    runtime);
  return notes;
}

Result<DeployOutcome> install(SshSession& session, const DeviceProfile& device,
                              const Package& package, const DeployProgress& progress) {
  DeployOutcome outcome;
  outcome.version = package.version;
  outcome.model_dir = remote_model_dir(device, package.model);
  const std::string version_dir = outcome.model_dir + "/" + package.version;
  const std::string incoming_name = ".incoming-" + package.version;
  const std::string incoming = outcome.model_dir + "/" + incoming_name;
  uint64_t total = 0;
  for (const auto& f : package.files)
    total += f.bytes;
  if (progress) progress({"check", "", 0, total});
  TINYLLM_TRY_ASSIGN(previous, session.read_link(outcome.model_dir + "/current"));
  outcome.previous = previous ? *previous : "";

  // Installed already (its manifest is written last, after every check): nothing to send.
  TINYLLM_TRY_ASSIGN(manifest, session.read_small_file(version_dir + "/manifest.json"));
  if (manifest) {
    json installed = json::parse(*manifest, nullptr, false);
    if (!installed.is_discarded() &&
        installed.value("files", json()) == package.manifest["files"]) {
      outcome.unchanged = true;
      outcome.info = installed.value("device_info", json::object());
      outcome.notes = version_notes(outcome.info);
      if (outcome.previous != package.version)
        TINYLLM_TRY(switch_current(session, outcome.model_dir, package.version));
      if (progress) progress({"done", "", total, total});
      return outcome;
    }
  }

  TINYLLM_TRY(session.make_dirs(incoming));
  // Refuse early when the disk cannot hold what is left to send (plus 1 MiB of headroom).
  uint64_t needed = 0;
  for (const auto& f : package.files) {
    TINYLLM_TRY_ASSIGN(part, session.file_size(incoming + "/" + f.name + ".part"));
    needed += f.bytes - std::min<uint64_t>(part ? *part : 0, f.bytes);
  }
  TINYLLM_TRY_ASSIGN(free, session.free_bytes(incoming));
  if (free < needed + (1u << 20))
    return make_error(session.label(),
                      "the device's disk is full: this model needs " + mib(needed) + " more, and " +
                          device.install_dir + " has " + mib(free) +
                          " free. Free some space on the device; the previous version is "
                          "still installed and current");

  uint64_t done = 0;
  for (const auto& f : package.files) {
    TINYLLM_TRY(upload_file(session, incoming, f, done, total, outcome, progress));
    done += f.bytes;
  }

  // Prove it runs there before anything points at it.
  if (progress) progress({"run", "", total, total});
  TINYLLM_TRY_ASSIGN(
      run, session.exec("chmod 755 -- " + shell_quote(incoming + "/tinyllm-run.part") + " && " +
                        runtime_command(device, incoming,
                                        {"info", "--model", "model.gguf.part", "--json"},
                                        "tinyllm-run.part")));
  if (run.exit_status != 0) {
    std::string why = run.err.empty() ? "exit status " + std::to_string(run.exit_status) : run.err;
    while (!why.empty() && why.back() == '\n')
      why.pop_back();
    if (why.find("Exec format error") != std::string::npos ||
        why.find("cannot execute") != std::string::npos)
      why = "the " + package.runtime_arch +
            " runtime cannot execute on this device (wrong architecture: " + why +
            "). Probe the device again, or check its arch and runner settings";
    return make_error(session.label(), "the model does not run on the device: " + why);
  }
  outcome.info = json::parse(run.out, nullptr, false);
  if (outcome.info.is_discarded())
    return make_error(session.label(), "the runtime's info was not JSON: " + run.out);
  outcome.notes = version_notes(outcome.info);
  json manifest_out = package.manifest;
  manifest_out["device_info"] = outcome.info;
  TINYLLM_TRY(session.write_small_file(incoming + "/manifest.json", manifest_out.dump(2) + "\n"));

  // One command: the .part files get their names, the folder becomes the version (a version
  // folder that exists but did not match, damaged by hand, moves aside; it is never deleted while
  // it might be current), and `current` switches.
  if (progress) progress({"switch", "", total, total});
  std::string finish = "cd -- " + shell_quote(outcome.model_dir) + " && ";
  for (const auto& f : package.files)
    finish += "mv -f -- " + shell_quote(incoming_name + "/" + f.name + ".part") + " " +
              shell_quote(incoming_name + "/" + f.name) + " && ";
  finish += "if [ -e " + shell_quote(package.version) + " ]; then mv -T -- " +
            shell_quote(package.version) + " " +
            shell_quote(".replaced-" + package.version + "-" + safe_name(utc_now_iso8601())) +
            "; fi && mv -T -- " + shell_quote(incoming_name) + " " + shell_quote(package.version) +
            " && " + switch_current_words(package.version);
  TINYLLM_TRY(run_ok(session, finish, "switching 'current' to " + package.version));
  if (progress) progress({"done", "", total, total});
  return outcome;
}

Result<std::string> rollback(SshSession& session, const DeviceProfile& device,
                             const std::string& model) {
  const std::string model_dir = remote_model_dir(device, safe_name(model));
  TINYLLM_TRY_ASSIGN(link, session.read_link(model_dir + "/current"));
  if (!link)
    return make_error(session.label(), "model '" + model + "' is not installed on this device");
  const std::string current = *link;
  TINYLLM_TRY_ASSIGN(history, session.read_small_file(model_dir + "/history"));
  std::vector<std::string> versions;
  std::istringstream lines(history ? *history : "");
  std::string line;
  while (std::getline(lines, line)) {
    const auto space = line.find(' ');
    if (space != std::string::npos) versions.push_back(line.substr(space + 1));
  }
  // Newest first: the first installed version other than the current one that still exists.
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    if (*it == current) continue;
    TINYLLM_TRY_ASSIGN(manifest, session.file_size(model_dir + "/" + *it + "/manifest.json"));
    if (!manifest) continue;
    TINYLLM_TRY(switch_current(session, model_dir, *it));
    return *it;
  }
  return make_error(session.label(), "nothing to roll back to: " + current +
                                         " is the only installed version of '" + model + "'");
}

Status uninstall(SshSession& session, const DeviceProfile& device, const std::string& model,
                 const std::string& version) {
  const std::string model_dir = remote_model_dir(device, safe_name(model));
  if (version.empty()) {
    TINYLLM_TRY(run_ok(session, "rm -rf -- " + shell_quote(model_dir), "removing " + model_dir));
    return {};
  }
  TINYLLM_TRY_ASSIGN(current, session.read_link(model_dir + "/current"));
  if (current && *current == version)
    return make_error(session.label(), version +
                                           " is the current version: roll back first, or "
                                           "uninstall the whole model");
  TINYLLM_TRY(run_ok(session, "rm -rf -- " + shell_quote(model_dir + "/" + safe_name(version)),
                     "removing " + version));
  return {};
}

}  // namespace tinyllm::deploy
