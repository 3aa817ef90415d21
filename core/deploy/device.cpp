#include "deploy/device.h"

#include <algorithm>
#include <sstream>

#include "base/files.h"
#include "deploy/shell.h"

namespace tinyllm::deploy {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kDevicesFile = "deployments/devices.json";

// One remote command that prints "key=value" lines; everything it reads exists on Raspberry Pi
// OS and Debian without extra packages. $1 is the install folder, $2 the runner prefix.
const char* kProbeScript = R"SH(dir=$1; runner=$2
echo "machine=$(uname -m)"
echo "bits=$(getconf LONG_BIT 2>/dev/null)"
echo "os=$( (. /etc/os-release 2>/dev/null; echo "$PRETTY_NAME") )"
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n1)
[ -n "$cpu" ] || cpu=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n1)
echo "cpu=$cpu"
echo "cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null)"
echo "mem_kb=$(sed -n 's/^MemTotal:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo)"
echo "board=$(tr -d '\000' < /proc/device-tree/model 2>/dev/null)"
mkdir -p -- "$dir" && echo "disk_kb=$(df -Pk -- "$dir" | awk 'NR==2{print $4}')"
for m in "$dir"/*/current; do
  [ -L "$m" ] || continue
  d=${m%/current}
  echo "installed=${d##*/}|$(readlink -- "$m")|$(cd -- "$m" && $runner ./tinyllm-run --version 2>/dev/null)"
done
)SH";

uint64_t to_u64(const std::string& text) {
  try {
    return text.empty() ? 0 : std::stoull(text);
  } catch (...) {
    return 0;
  }
}

Result<std::vector<DeviceProfile>> parse_devices(const json& root, const std::string& where) {
  if (!root.is_object() || !root.contains("devices") || !root["devices"].is_array())
    return make_error(where, "expected an object with a \"devices\" array");
  std::vector<DeviceProfile> devices;
  for (size_t i = 0; i < root["devices"].size(); ++i) {
    TINYLLM_TRY_ASSIGN(device, device_from_json(root["devices"][i],
                                                where + ": devices[" + std::to_string(i) + "]"));
    devices.push_back(std::move(device));
  }
  return devices;
}

}  // namespace

Result<std::string> runtime_arch_for(const ProbeResult& probe) {
  const std::string& m = probe.machine;
  if (m == "x86_64" || m == "amd64") {
    if (probe.userland_bits == 32)
      return make_error("probe", "a 32-bit x86 userland is not supported (only x86_64)");
    return std::string("x86_64");
  }
  if (m == "aarch64" || m == "arm64" || m == "armv8l" || m == "armv8b") {
    // A 64-bit kernel under a 32-bit userland (older Raspberry Pi OS images): armhf.
    return std::string(probe.userland_bits == 32 || m == "armv8l" ? "armhf" : "aarch64");
  }
  if (m == "armv7l") return std::string("armhf");
  if (m.rfind("armv6", 0) == 0)
    return make_error("probe", "this device is " + m +
                                   " (a Raspberry Pi Zero or 1): the armhf runtime needs ARMv7 "
                                   "or later (Pi 2 and newer)");
  return make_error("probe", "no runtime for the machine type '" + m +
                                 "' (there are runtimes for aarch64, armhf and x86_64)");
}

Result<std::string> runtime_arch_for(const DeviceProfile& device) {
  if (!device.arch.empty()) return device.arch;
  if (!device.probe) return make_error(device.name, "the device was never probed");
  return runtime_arch_for(*device.probe);
}

Result<ProbeResult> probe_device(SshSession& session, const DeviceProfile& device) {
  const std::string command = "sh -c " + shell_quote(kProbeScript) + " probe " +
                              shell_quote(home_relative(device.install_dir)) + " " +
                              shell_quote(shell_join(split_words(device.runner)));
  TINYLLM_TRY_ASSIGN(run, session.exec(command));
  if (run.exit_status != 0 && run.out.find("machine=") == std::string::npos)
    return make_error(session.label(), "the probe failed (exit " + std::to_string(run.exit_status) +
                                           "): " + run.err);
  ProbeResult probe;
  std::istringstream lines(run.out);
  std::string line;
  while (std::getline(lines, line)) {
    const auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    const std::string key = line.substr(0, eq), value = line.substr(eq + 1);
    if (key == "machine") probe.machine = value;
    if (key == "bits") probe.userland_bits = static_cast<int>(to_u64(value));
    if (key == "os") probe.os = value;
    if (key == "cpu") probe.cpu = value;
    if (key == "cores") probe.cores = static_cast<int>(to_u64(value));
    if (key == "mem_kb") probe.memory_bytes = to_u64(value) * 1024;
    if (key == "board") probe.board = value;
    if (key == "disk_kb") probe.disk_free_bytes = to_u64(value) * 1024;
    if (key == "installed") {
      InstalledModel m;
      const auto a = value.find('|'), b = value.find('|', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      m.model = value.substr(0, a);
      m.current = value.substr(a + 1, b - a - 1);
      m.runtime = value.substr(b + 1);
      probe.installed.push_back(m);
    }
  }
  if (probe.machine.empty())
    return make_error(session.label(), "the probe printed no machine type: " + run.err);
  if (run.out.find("disk_kb=") == std::string::npos)
    return make_error(session.label(), "cannot create the install folder '" + device.install_dir +
                                           "' on the device: " + run.err);
  probe.probed = utc_now_iso8601();
  return probe;
}

fs::path device_folder(const fs::path& project_root, const std::string& device_name) {
  return project_root / "deployments" / safe_name(device_name);
}

json to_json(const ProbeResult& p) {
  json installed = json::array();
  for (const auto& m : p.installed)
    installed.push_back({{"model", m.model}, {"current", m.current}, {"runtime", m.runtime}});
  return {{"machine", p.machine},
          {"userland_bits", p.userland_bits},
          {"os", p.os},
          {"cpu", p.cpu},
          {"cores", p.cores},
          {"memory_bytes", p.memory_bytes},
          {"disk_free_bytes", p.disk_free_bytes},
          {"board", p.board},
          {"installed", installed},
          {"probed", p.probed}};
}

const SensorSource* DeviceProfile::find_source(const std::string& source_name) const {
  for (const auto& s : sources)
    if (s.name == source_name) return &s;
  return nullptr;
}

json to_json(const DeviceProfile& d) {
  json j = {{"name", d.name},
            {"host", d.ssh.host},
            {"port", d.ssh.port},
            {"user", d.ssh.user},
            {"key_file", d.ssh.key_file},
            {"known_hosts", d.ssh.known_hosts},
            {"install_dir", d.install_dir},
            {"arch", d.arch},
            {"runner", d.runner}};
  if (d.train_worker != "tinyllm-train") j["train_worker"] = d.train_worker;
  if (!d.train_addr.empty()) j["train_addr"] = d.train_addr;
  if (!d.train_iface.empty()) j["train_iface"] = d.train_iface;
  if (d.train_gpus > 0) j["train_gpus"] = d.train_gpus;
  if (d.probe) j["probe"] = to_json(*d.probe);
  if (!d.sources.empty()) {
    json sources = json::array();
    for (const auto& s : d.sources)
      sources.push_back({{"name", s.name}, {"command", s.command}, {"mapping", s.mapping}});
    j["sources"] = sources;
  }
  return j;
}

Result<DeviceProfile> device_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return make_error(where, "expected an object");
  DeviceProfile d;
  try {
    d.name = j.at("name").get<std::string>();
    d.ssh.host = j.at("host").get<std::string>();
    d.ssh.port = j.value("port", 22);
    d.ssh.user = j.value("user", "");
    d.ssh.key_file = j.value("key_file", "");
    d.ssh.known_hosts = j.value("known_hosts", "");
    d.install_dir = j.value("install_dir", std::string(kDefaultInstallDir));
    d.arch = j.value("arch", "");
    d.runner = j.value("runner", "");
    d.train_worker = j.value("train_worker", std::string("tinyllm-train"));
    d.train_addr = j.value("train_addr", "");
    d.train_iface = j.value("train_iface", "");
    d.train_gpus = j.value("train_gpus", 0);
    if (j.contains("probe") && j["probe"].is_object()) {
      const json& p = j["probe"];
      ProbeResult probe;
      probe.machine = p.value("machine", "");
      probe.userland_bits = p.value("userland_bits", 0);
      probe.os = p.value("os", "");
      probe.cpu = p.value("cpu", "");
      probe.cores = p.value("cores", 0);
      probe.memory_bytes = p.value("memory_bytes", uint64_t{0});
      probe.disk_free_bytes = p.value("disk_free_bytes", uint64_t{0});
      probe.board = p.value("board", "");
      probe.probed = p.value("probed", "");
      for (const auto& m : p.value("installed", json::array()))
        probe.installed.push_back(
            {m.value("model", ""), m.value("current", ""), m.value("runtime", "")});
      d.probe = probe;
    }
    for (const auto& s : j.value("sources", json::array())) {
      SensorSource source;
      source.name = s.at("name").get<std::string>();
      source.command = s.at("command").get<std::string>();
      source.mapping = s.value("mapping", json::object());
      if (source.name.empty() || source.command.empty())
        return make_error(where + ": field 'sources'",
                          "a sensor source needs a name and a command");
      d.sources.push_back(std::move(source));
    }
  } catch (const json::exception& e) {
    return make_error(where, std::string("bad device profile: ") + e.what());
  }
  if (d.name.empty()) return make_error(where + ": field 'name'", "a device needs a name");
  if (d.ssh.host.empty()) return make_error(where + ": field 'host'", "a device needs a host");
  if (d.ssh.port < 1 || d.ssh.port > 65535)
    return make_error(where + ": field 'port'", "must be 1..65535");
  if (!d.arch.empty() && d.arch != "aarch64" && d.arch != "armhf" && d.arch != "x86_64")
    return make_error(where + ": field 'arch'", "'" + d.arch + "' is not aarch64, armhf or x86_64");
  return d;
}

Result<std::vector<DeviceProfile>> load_devices(const fs::path& project_root) {
  const fs::path file = project_root / kDevicesFile;
  std::error_code ec;
  if (!fs::exists(file, ec)) return std::vector<DeviceProfile>{};
  TINYLLM_TRY_ASSIGN(text, read_file(file));
  json root;
  try {
    root = json::parse(text);
  } catch (const json::exception& e) {
    return make_error(file.string(), std::string("not valid JSON: ") + e.what());
  }
  return parse_devices(root, file.string());
}

Status save_devices(const fs::path& project_root, const std::vector<DeviceProfile>& devices) {
  json list = json::array();
  for (const auto& d : devices)
    list.push_back(to_json(d));
  std::error_code ec;
  fs::create_directories(project_root / "deployments", ec);
  return write_file_atomic(project_root / kDevicesFile, json{{"devices", list}}.dump(2) + "\n");
}

Result<DeviceProfile> find_device(const fs::path& project_root, const std::string& name) {
  TINYLLM_TRY_ASSIGN(devices, load_devices(project_root));
  for (const auto& d : devices)
    if (d.name == name) return d;
  std::string names;
  for (const auto& d : devices)
    names += (names.empty() ? "" : ", ") + d.name;
  return make_error(name, "no such device in this project" +
                              (names.empty() ? std::string(" (none added yet: tinyllm device add)")
                                             : " (devices: " + names + ")"));
}

Status put_device(const fs::path& project_root, const DeviceProfile& device) {
  TINYLLM_TRY_ASSIGN(devices, load_devices(project_root));
  bool replaced = false;
  for (auto& d : devices) {
    if (d.name == device.name) {
      d = device;
      replaced = true;
    } else if (safe_name(d.name) == safe_name(device.name)) {
      return make_error(device.name, "too close to the device name '" + d.name +
                                         "' (both keep their results in deployments/" +
                                         safe_name(d.name) + "): choose another name");
    }
  }
  if (!replaced) devices.push_back(device);
  return save_devices(project_root, devices);
}

Status remove_device(const fs::path& project_root, const std::string& name) {
  TINYLLM_TRY_ASSIGN(devices, load_devices(project_root));
  const auto before = devices.size();
  devices.erase(std::remove_if(devices.begin(), devices.end(),
                               [&](const DeviceProfile& d) { return d.name == name; }),
                devices.end());
  if (devices.size() == before) return find_device(project_root, name).error();
  return save_devices(project_root, devices);
}

}  // namespace tinyllm::deploy
