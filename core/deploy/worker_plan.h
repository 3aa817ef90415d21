// Which training workers a run on other hosts starts (tinyllm train|finetune --on H1,H2 [--gpus
// N]), decided from what each host's worker reported (`tinyllm-train --version`): one worker per
// host, or with --gpus N one per GPU on every host. Pure: no connection, so that it is tested
// without hosts or GPUs (docs/training-hosts.md).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tinyllm::deploy {

struct PlanHost {
  std::string name;
  nlohmann::json worker_version;  // the worker's `--version` JSON: cuda, gpus, libtorch_version
  std::string iface;              // the interface the workers talk over ("" = the library's choice)
};

struct WorkerLaunch {
  size_t host = 0;                // index into the hosts
  int rank = 0;                   // host * gpus_per_host + local_rank
  int local_rank = 0;             // among the workers of its host
  std::string device;             // "cuda:L" with --gpus; "" = the run's device setting
  std::vector<std::string> args;  // the worker's distributed flags ("--rank=1", ...)
  std::vector<std::pair<std::string, std::string>> env;  // GLOO_SOCKET_IFNAME, NCCL_SOCKET_IFNAME
};

struct WorkerPlan {
  int world_size = 1;
  std::vector<WorkerLaunch> workers;  // by rank: workers[r].rank == r
};

// Refuses --gpus N on a host whose worker has no CUDA or sees fewer than N GPUs, naming the
// host, what it has and what was asked. `gpus_per_host` 0 (no --gpus) is always fine.
Status check_host_gpus(const PlanHost& host, int gpus_per_host);

// The workers of a run: without --gpus (`gpus_per_host` 0) one per host, rank = host index, on the
// run's device; with --gpus N, N per host on cuda:0..N-1, rank = host * N + local. The rendezvous
// (`dist_addr`:`dist_port`, at the first host) is in every worker's flags when there are several.
Result<WorkerPlan> plan_workers(const std::vector<PlanHost>& hosts, int gpus_per_host,
                                const std::string& dist_addr, int dist_port);

}  // namespace tinyllm::deploy
