// tinyllm device: the project's devices (step 5). `add` connects once (the host key is checked
// against known_hosts; an unknown one is accepted only with --accept-new-host-key), probes the
// device and stores the profile in deployments/devices.json; `probe` asks again.
#include <algorithm>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "cli_output.h"
#include "cli_ssh.h"
#include "commands.h"
#include "deploy/device.h"
#include "deploy/remote_train.h"
#include "model/config.h"
#include "project/project.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kDeviceUsage =
    R"(usage: tinyllm device add --project P NAME --host H [--port N] [--user U] [--key FILE]
                          [--dir D] [--arch A] [--runner CMD] [--known-hosts FILE]
                          [--worker CMD] [--train-addr A] [--train-iface IF]
                          [--accept-new-host-key | --accept-fingerprint SHA256:...]
       tinyllm device probe --project P NAME [--training [--worker CMD]] [--json]
       tinyllm device list --project P [--json]
       tinyllm device remove --project P NAME
       tinyllm device add-source --project P DEVICE SOURCE --command CMD [--set field=value ...]
       tinyllm device remove-source --project P DEVICE SOURCE

  add       connect once, check the host key, probe the device and keep its profile
  probe     ask the device again what it is: machine, userland bits, OS, CPU, memory, free disk,
            board, installed models and their runtime version; with --training, what it has
            as a training host (tinyllm train --on): cores, memory, GPUs, free disk, and whether
            the worker (--worker CMD, default tinyllm-train) runs there, with its libtorch/CUDA
  list      the project's devices and what their last probe said
  remove    forget a device (nothing on the device is touched; see tinyllm remote uninstall)
  add-source     a sensor on the device for tinyllm record: a command printing CSV (a header,
                 then a reading per line) and the import mapping for it (--set, as data import)

  --host H              host name or address
  --port N              SSH port (default 22)
  --user U              login (default: yours)
  --key FILE            private key file; kept where it is (default: ssh-agent, then ~/.ssh/id_*)
  --dir D               install folder on the device (default ~/tinyllm)
  --arch A              force the runtime build: aarch64, armhf or x86_64 (default: from the probe)
  --runner CMD          prefix for running the runtime there (e.g. qemu-aarch64)
  --worker CMD          as a training host (tinyllm train --on): the tinyllm-train there
                        (default tinyllm-train; e.g. a build against a CUDA libtorch)
  --train-addr A        the address the other training hosts reach this one on (default --host)
  --train-iface IF      the network interface its worker talks to the others over
  --known-hosts FILE    host keys (default OpenSSH's ~/.ssh/known_hosts)
  --accept-new-host-key accept and remember a host key never seen before (check its fingerprint)
  --accept-fingerprint F  accept and remember an unknown host key only if its fingerprint is F
                        (SHA256:..., as the refusal showed it); a changed key is never accepted

Passwords and key passphrases are asked on the terminal when needed and never stored. With
TINYLLM_ASK_VIA_STDIO=1 (the workbench) they are asked as a JSON line {"event":"ask","prompt":...}
on stdout and read as one line from stdin.
)";

std::string describe(const deploy::ProbeResult& p) {
  std::string s =
      p.machine +
      (p.userland_bits ? " (" + std::to_string(p.userland_bits) + "-bit userland)" : "");
  if (!p.board.empty()) s += ", " + p.board;
  return s;
}

void print_probe(const deploy::DeviceProfile& d) {
  const auto& p = *d.probe;
  auto arch = deploy::runtime_arch_for(d);
  std::vector<std::vector<std::string>> rows = {
      {"device", d.name + " (" + d.ssh.label() + ")"},
      {"machine", describe(p)},
      {"os", p.os},
      {"cpu", p.cpu + (p.cores ? " x" + std::to_string(p.cores) : "")},
      {"memory", model::format_bytes(int64_t(p.memory_bytes))},
      {"free disk", model::format_bytes(int64_t(p.disk_free_bytes)) + " in " + d.install_dir},
      {"runtime build", arch ? *arch : "none: " + arch.error().message}};
  for (const auto& m : p.installed)
    rows.push_back({"installed", m.model + " " + m.current + " (" +
                                     (m.runtime.empty() ? "runtime does not run" : m.runtime) +
                                     ")"});
  for (const auto& row : rows)
    std::printf("  %-14s %s\n", row[0].c_str(), row[1].c_str());
}

Result<deploy::ProbeResult> connect_and_probe(const deploy::DeviceProfile& device, bool accept,
                                              const std::string& accept_fingerprint = "") {
  TINYLLM_TRY_ASSIGN(session, connect_device(device, accept, accept_fingerprint));
  return deploy::probe_device(session, device);
}

int add(const Args& args, const fs::path& root) {
  if (args.positionals().size() != 2) return fail(make_error("device add", "give one NAME"));
  deploy::DeviceProfile d;
  d.name = args.positionals()[1];
  const auto host = args.get("host");
  if (!host) return fail(make_error("--host", "required"));
  d.ssh.host = *host;
  auto port = args.number_or("port", 22);
  if (!port) return fail(port.error());
  d.ssh.port = static_cast<int>(*port);
  d.ssh.user = args.get_or("user", "");
  if (const auto key = args.get("key")) d.ssh.key_file = *key;
  d.ssh.known_hosts = args.get_or("known-hosts", "");
  d.install_dir = args.get_or("dir", deploy::kDefaultInstallDir);
  d.arch = args.get_or("arch", "");
  d.runner = args.get_or("runner", "");
  d.train_worker = args.get_or("worker", "tinyllm-train");
  d.train_addr = args.get_or("train-addr", "");
  d.train_iface = args.get_or("train-iface", "");
  // Validate the profile the same way a stored one is read back.
  auto checked = deploy::device_from_json(deploy::to_json(d), "device " + d.name);
  if (!checked) return fail(checked.error());
  auto probe =
      connect_and_probe(d, args.flag("accept-new-host-key"), args.get_or("accept-fingerprint", ""));
  if (!probe) return fail(probe.error());
  d.probe = *probe;
  if (auto saved = deploy::put_device(root, d); !saved) return fail(saved.error());
  std::printf("added device %s\n", d.name.c_str());
  print_probe(d);
  return 0;
}

}  // namespace

int run_device_command(const std::vector<std::string>& argv) {
  if (wants_help(argv) || argv.empty()) {
    std::printf("%s", kDeviceUsage);
    return argv.empty() ? 2 : 0;
  }
  auto args = Args::parse(
      argv, {{"project", "host", "port", "user", "key", "dir", "arch", "runner", "known-hosts",
              "command", "accept-fingerprint", "worker", "train-addr", "train-iface"},
             {"json", "accept-new-host-key", "training"},
             {"set"}});
  if (!args) return fail(args.error());
  const std::string action = args->positionals().empty() ? "" : args->positionals()[0];
  const auto root = args->get("project");
  if (!root) return fail(make_error("--project", "required (see --help)"));
  if (auto valid = project::validate_project(*root); !valid) return fail(valid.error());
  if (action == "add") return add(*args, *root);
  if (action == "list") {
    auto devices = deploy::load_devices(*root);
    if (!devices) return fail(devices.error());
    if (args->flag("json")) {
      json list = json::array();
      for (const auto& d : *devices)
        list.push_back(deploy::to_json(d));
      print_json(list);
      return 0;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& d : *devices) {
      auto arch = deploy::runtime_arch_for(d);
      std::string sources;
      for (const auto& s : d.sources)
        sources += (sources.empty() ? "" : ", ") + s.name;
      rows.push_back({d.name, d.ssh.label(), d.probe ? describe(*d.probe) : "not probed",
                      arch ? *arch : "-", d.install_dir, sources.empty() ? "-" : sources});
    }
    if (rows.empty()) {
      std::printf("no devices yet: tinyllm device add --project %s NAME --host H\n", root->c_str());
      return 0;
    }
    print_table({"device", "ssh", "machine", "runtime", "install folder", "sensors"}, rows);
    return 0;
  }
  if (action == "add-source" || action == "remove-source") {
    if (args->positionals().size() != 3)
      return fail(make_error("device " + action, "give DEVICE and SOURCE (see --help)"));
    auto device = deploy::find_device(*root, args->positionals()[1]);
    if (!device) return fail(device.error());
    const std::string source = args->positionals()[2];
    auto& list = device->sources;
    list.erase(std::remove_if(list.begin(), list.end(),
                              [&](const deploy::SensorSource& s) { return s.name == source; }),
               list.end());
    if (action == "add-source") {
      deploy::SensorSource s;
      s.name = source;
      s.command = args->get_or("command", "");
      if (s.command.empty()) return fail(make_error("--command", "required"));
      if (auto applied = apply_assignments(s.mapping, args->all("set")); !applied)
        return fail(applied.error());
      list.push_back(s);
    }
    if (auto saved = deploy::put_device(*root, *device); !saved) return fail(saved.error());
    std::printf("%s source %s of device %s\n", action == "add-source" ? "saved" : "removed",
                source.c_str(), device->name.c_str());
    return 0;
  }
  if (args->positionals().size() != 2)
    return fail(make_error("device " + action, "give one NAME (see --help)"));
  const std::string name = args->positionals()[1];
  if (action == "remove") {
    if (auto removed = deploy::remove_device(*root, name); !removed) return fail(removed.error());
    std::printf("removed device %s (nothing on the device was touched)\n", name.c_str());
    return 0;
  }
  if (action == "probe" && args->flag("training")) {
    // As a training host (tinyllm train --on): what it has for training, and the worker.
    auto device = deploy::find_device(*root, name);
    if (!device) return fail(device.error());
    auto session = connect_device(*device);
    if (!session) return fail(session.error());
    const std::string worker = args->get_or("worker", device->train_worker);
    auto probe = deploy::probe_training_host(*session, *device, worker);
    if (!probe) return fail(probe.error());
    // Remembered for the training pages' "GPUs per host" (the worker's view: CUDA and its GPUs).
    if (worker == device->train_worker) {
      const auto& v = probe->value("worker_version", json::object());
      device->train_gpus = v.value("cuda", false) ? v.value("gpus", 0) : 0;
      if (auto saved = deploy::put_device(*root, *device); !saved) return fail(saved.error());
    }
    if (args->flag("json")) {
      print_json(*probe);
      return 0;
    }
    const auto& p = *probe;
    std::printf("%s: %d cores, %.1f GiB memory, %.1f GiB free in %s\n", name.c_str(),
                p.value("cores", 0), p.value("memory_bytes", 0.0) / (1 << 30),
                p.value("disk_free_bytes", 0.0) / (1 << 30), device->install_dir.c_str());
    for (const auto& gpu : p["gpus"])
      std::printf("GPU: %s\n", gpu.get<std::string>().c_str());
    if (p["gpus"].empty()) std::printf("no NVIDIA GPU (nvidia-smi found none)\n");
    if (p.value("worker_installed", false)) {
      const auto& v = p["worker_version"];
      std::printf("worker %s: workbench %s, libtorch %s, %s\n", worker.c_str(),
                  v.value("workbench_version", "?").c_str(),
                  v.value("libtorch_version", "?").c_str(),
                  v.value("cuda", false)
                      ? ("CUDA with " + std::to_string(v.value("gpus", 0)) + " GPU(s)").c_str()
                      : "CPU only");
    } else {
      std::printf(
          "worker %s does not run there (%s): install the workbench's package on it (CPU), or a "
          "tinyllm-train built against a CUDA libtorch (docs/training-hosts.md), and name it with "
          "--worker PATH\n",
          worker.c_str(), p.value("worker_problem", "").c_str());
    }
    return 0;
  }
  if (action == "probe") {
    auto device = deploy::find_device(*root, name);
    if (!device) return fail(device.error());
    auto probe = connect_and_probe(*device, false);
    if (!probe) return fail(probe.error());
    device->probe = *probe;
    if (auto saved = deploy::put_device(*root, *device); !saved) return fail(saved.error());
    if (args->flag("json"))
      print_json(deploy::to_json(*probe));
    else
      print_probe(*device);
    return 0;
  }
  return fail(make_error("device", "unknown action '" + action + "' (add, probe, list, remove)"));
}

}  // namespace tinyllm::cli
