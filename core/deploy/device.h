// Device profiles and what a probe learns about a device. Profiles live in the project
// (deployments/devices.json, written atomically); a key file is stored as the path the user gave
// (the key stays where it is); passwords and passphrases are never stored.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "deploy/ssh.h"

namespace tinyllm::deploy {

inline constexpr const char* kDefaultInstallDir = "~/tinyllm";

// A model installed on a device, as the probe finds it.
struct InstalledModel {
  std::string model;    // folder under the install dir
  std::string current;  // the version `current` points to
  std::string runtime;  // `tinyllm-run --version` of that version, "" when it did not run
};

struct ProbeResult {
  std::string machine;    // uname -m
  int userland_bits = 0;  // getconf LONG_BIT: 32 on a 64-bit kernel with a 32-bit userland
  std::string os;         // PRETTY_NAME from /etc/os-release
  std::string cpu;        // model name from /proc/cpuinfo
  int cores = 0;
  uint64_t memory_bytes = 0;
  uint64_t disk_free_bytes = 0;  // in the install folder
  std::string board;             // /proc/device-tree/model (Raspberry Pi model), "" elsewhere
  std::vector<InstalledModel> installed;
  std::string probed;  // ISO 8601 UTC
};

// A sensor on the device: a command that prints readings as CSV (a header, then one row per
// reading) and the mapping step 1's importers should use for it (may be empty: detected).
struct SensorSource {
  std::string name;
  std::string command;
  nlohmann::json mapping = nlohmann::json::object();
};

struct DeviceProfile {
  std::string name;
  SshTarget ssh;
  std::string install_dir = kDefaultInstallDir;  // on the device; "~/" is the login's home
  std::string arch;    // "" = from the probe; else aarch64, armhf or x86_64
  std::string runner;  // a command prefix for the runtime on the device, e.g. "qemu-aarch64"
  // As a training host (tinyllm train --on): the worker's command there, the address the other
  // hosts reach it on when it hosts the rendezvous ("" = its SSH host), and the network interface
  // its worker talks to the others over (GLOO_SOCKET_IFNAME; "" = Gloo's choice).
  std::string train_worker = "tinyllm-train";
  std::string train_addr;
  std::string train_iface;
  // The GPUs its worker saw at the last `tinyllm device probe --training` (0: none, or never
  // probed): the training pages offer "GPUs per host" when the chosen hosts have some.
  int train_gpus = 0;
  std::optional<ProbeResult> probe;
  std::vector<SensorSource> sources;
  const SensorSource* find_source(const std::string& source_name) const;
};

// The runtime build a probe calls for ("aarch64", "armhf", "x86_64"), or an error saying why the
// device cannot run any (an ARMv6 Pi Zero, an unknown machine).
Result<std::string> runtime_arch_for(const ProbeResult& probe);
// The profile's forced arch, else the probe's.
Result<std::string> runtime_arch_for(const DeviceProfile& device);

// Connects and asks the device what it is (one remote command).
Result<ProbeResult> probe_device(SshSession& session, const DeviceProfile& device);

// The folder on the local disk that holds a device's results inside the project.
std::filesystem::path device_folder(const std::filesystem::path& project_root,
                                    const std::string& device_name);

// deployments/devices.json
Result<std::vector<DeviceProfile>> load_devices(const std::filesystem::path& project_root);
Status save_devices(const std::filesystem::path& project_root,
                    const std::vector<DeviceProfile>& devices);
Result<DeviceProfile> find_device(const std::filesystem::path& project_root,
                                  const std::string& name);
// Adds or replaces (same name) a profile. A new name whose folder name clashes with another
// device's is refused.
Status put_device(const std::filesystem::path& project_root, const DeviceProfile& device);
Status remove_device(const std::filesystem::path& project_root, const std::string& name);

nlohmann::json to_json(const DeviceProfile& device);
nlohmann::json to_json(const ProbeResult& probe);
Result<DeviceProfile> device_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace tinyllm::deploy
