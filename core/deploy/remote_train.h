// Training on other computers over SSH (docs/training-hosts.md): a GPU box, or several hosts in
// one data-parallel run. The hosts are profiles like devices (deploy/device.h); each has a
// tinyllm-train worker (the workbench's package, or a build against a CUDA libtorch).
//
// A run mirrors what the worker reads into <install dir>/train/<project>/ on every host (only
// files whose SHA-256 differs are sent), starts one worker per host with the c10d rendezvous at
// the first one, streams rank 0's JSON events back, and copies the run's folder home after every
// checkpoint, so that a dropped connection loses nothing that was checkpointed. Control lines
// (pause, resume, stop) reach every worker (each over its own stdin) at once, as in a local
// multi-process run. When a host is lost, the others are stopped (they checkpoint if they can; a
// worker stuck in a collective call with the lost one is killed after a grace period) and the last
// checkpoint is brought home.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "deploy/device.h"
#include "project/project.h"

namespace tinyllm::deploy {

struct RemoteTrainRequest {
  std::vector<DeviceProfile> hosts;  // rank 0 (and the rendezvous) on hosts[0]
  std::string mode = "train";        // the worker's mode: "train" or "finetune"
  std::string run_id;                // the run (chosen by the caller, as for a local run)
  bool resume = false;
  // The worker's other options ("--key=value" without the dashes); not project, out_dir, rank.
  std::vector<std::pair<std::string, std::string>> options;
  // Each host's profile says its worker command, its address for the others and its network
  // interface (DeviceProfile::train_*); these override them on every host when not empty.
  std::string worker;
  std::string dist_addr;  // where the others reach hosts[0]
  int dist_port = 29500;
  std::string dist_iface;  // the network interface Gloo uses (GLOO_SOCKET_IFNAME)
  int grace_s = 20;        // how long a stopped worker may take to checkpoint before it is killed
  // 0: one worker per host on the run's device; N: one per GPU, N on every host (worker_plan.h),
  // refused before anything is sent when a host's worker has no CUDA or fewer GPUs.
  int gpus_per_host = 0;

  std::function<void(const nlohmann::json& event)> on_event;  // rank 0's events, as they come
  std::function<void(const std::string& line)> on_note;       // uploads, copies home, stops
  std::function<std::string()> control;  // polled: control lines for every worker ("" if none)
};

struct RemoteTrainOutcome {
  int exit_code = 0;    // rank 0's worker's; nonzero when the run failed
  std::string message;  // why it failed or stopped early; "" when it ended normally
  std::vector<std::string> lost_hosts;
  nlohmann::json last_done;  // rank 0's "done" event, when it came
};

// The run's folder, relative to the project ("checkpoints/run2", "finetune/ft1").
std::string run_folder(const std::string& mode, const std::string& run_id);

// Runs the worker on every host to the end (or until it is stopped or a host is lost), with the
// run's folder copied home as it is checkpointed and its artifact recorded in the local project
// with where it ran. Errors: nothing could start (a host unreachable, the worker missing there,
// an upload failing); a run that started returns an outcome.
Result<RemoteTrainOutcome> train_on_hosts(const project::Project& project,
                                          const RemoteTrainRequest& request);

// What `tinyllm device probe` adds for a training host: cores, memory, GPUs (nvidia-smi), free
// disk in the install folder and the worker's `--version` (or why it does not run).
// `worker` "" is the profile's.
Result<nlohmann::json> probe_training_host(SshSession& session, const DeviceProfile& host,
                                           const std::string& worker = "");

}  // namespace tinyllm::deploy
