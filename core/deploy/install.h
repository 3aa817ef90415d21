// Installing a model on a device: the runtime build for its architecture, the GGUF file and the
// test split go into a versioned folder, <install_dir>/<model>/<version>/, and a `current` link
// is switched to it atomically once every file's SHA-256 was checked on the device and the
// runtime ran there. Uploads go to <model>/.incoming-<version>/ and resume where a broken one
// stopped; a failed or interrupted deploy never touches `current`, so the previous version stays
// runnable. An unchanged model is not sent again.
//
// Data streams through an exec channel ("cat >> FILE.part"): libssh 0.10's SFTP writes wait for
// each reply, which is several times slower; SFTP is used for sizes and free space.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "deploy/device.h"
#include "deploy/ssh.h"

namespace tinyllm::deploy {

struct PackageFile {
  std::string name;  // name on the device: tinyllm-run, model.gguf, task_test.jsonl
  std::filesystem::path local;
  std::string sha256;
  uint64_t bytes = 0;
  bool executable = false;
};

// What one deploy sends. The version names the exact files: the GGUF's name plus a hash over
// every file's checksum, so a new runtime build or test split is a new version too.
struct Package {
  std::string model;    // folder on the device (already a safe name)
  std::string version;  // folder on the device (already a safe name)
  std::string runtime_arch;
  std::vector<PackageFile> files;
  nlohmann::json manifest;  // written last into the version folder
};

// Checksums the files and names the version. `test_examples` may be empty (no test split).
Result<Package> make_package(const std::string& model_name, const std::filesystem::path& gguf,
                             const std::filesystem::path& runtime, const std::string& runtime_arch,
                             const std::filesystem::path& test_examples);

struct DeployEvent {
  std::string stage;  // "check", "upload", "verify", "run", "switch", "done"
  std::string file;   // during upload and verify
  uint64_t done = 0;  // bytes of all files so far
  uint64_t total = 0;
};
using DeployProgress = std::function<void(const DeployEvent&)>;

struct DeployOutcome {
  std::string model_dir;  // on the device, as the shell sees it (relative to home or absolute)
  std::string version;
  std::string previous;            // the version `current` pointed to before, "" when none
  uint64_t bytes_sent = 0;         // over the network in this call
  uint64_t bytes_resumed = 0;      // already on the device from a broken earlier upload
  bool unchanged = false;          // this version was installed already: nothing was sent
  nlohmann::json info;             // `tinyllm-run info --json` as the device ran it
  std::vector<std::string> notes;  // what the user should know, e.g. a version mismatch
};

// Versions that disagree, from the device's `tinyllm-run info --json`: the runtime against this
// workbench, and the workbench that wrote the model against the runtime. Empty when all agree.
// (A file newer than the runtime can read never gets here: the runtime refuses to load it.)
std::vector<std::string> version_notes(const nlohmann::json& info);

Result<DeployOutcome> install(SshSession& session, const DeviceProfile& device,
                              const Package& package, const DeployProgress& progress = {});

// Points `current` back at the version installed before it; returns that version.
Result<std::string> rollback(SshSession& session, const DeviceProfile& device,
                             const std::string& model);
// Removes a model from the device, or one version of it (never the current one).
Status uninstall(SshSession& session, const DeviceProfile& device, const std::string& model,
                 const std::string& version = "");

// <install_dir>/<model> as the remote shell and SFTP take it.
std::string remote_model_dir(const DeviceProfile& device, const std::string& model);
// A shell command that runs the runtime of `model`'s current version (or of `dir`) with `args`,
// through the profile's runner prefix.
std::string runtime_command(const DeviceProfile& device, const std::string& version_dir,
                            const std::vector<std::string>& args,
                            const std::string& program = "tinyllm-run");

}  // namespace tinyllm::deploy
