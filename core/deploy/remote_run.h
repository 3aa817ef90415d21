// Running the installed runtime on a device (bench, eval, classify) and keeping what it measured
// in the project, per device and per model version, beside the desktop's numbers for the same
// file: deployments/<device>/results/<version>/<mode>-<time>.json.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "deploy/device.h"
#include "deploy/ssh.h"

namespace tinyllm::deploy {

// The device name under which the desktop's own runs are kept.
inline constexpr const char* kDesktopDevice = "desktop";

struct RunRecord {
  std::string device;  // a device's name, or kDesktopDevice
  std::string model;
  std::string version;
  std::string gguf_sha256;  // the same file on every device: compare by this
  std::string mode;         // "bench", "eval", "classify"
  std::string time;         // ISO 8601 UTC
  nlohmann::json result;    // the runtime's --json output
};

// The version `current` points to for `model` on the device, and its GGUF's checksum (from the
// version's manifest). An error says to deploy first when the model is not installed there.
struct InstalledVersion {
  std::string model_dir;  // <install_dir>/<model>, as the remote shell takes it
  std::string version;
  std::string gguf_sha256;
};
Result<InstalledVersion> current_version(SshSession& session, const DeviceProfile& device,
                                         const std::string& model);

// Runs `tinyllm-run <args> --json` in the current version of `model` on the device, streaming
// its stderr (progress) through `io`; the record carries the version and the GGUF's checksum.
Result<RunRecord> run_on_device(SshSession& session, const DeviceProfile& device,
                                const std::string& model, const std::vector<std::string>& args,
                                const ExecIo& io = {});

Status save_run(const std::filesystem::path& project_root, const RunRecord& record);
// Every saved run of the project, oldest first.
Result<std::vector<RunRecord>> load_runs(const std::filesystem::path& project_root);

nlohmann::json to_json(const RunRecord& record);

}  // namespace tinyllm::deploy
