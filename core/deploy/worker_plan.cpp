#include "deploy/worker_plan.h"

namespace tinyllm::deploy {

Status check_host_gpus(const PlanHost& host, int gpus_per_host) {
  if (gpus_per_host <= 0) return {};
  const std::string where = "host " + host.name;
  const auto& v = host.worker_version;
  if (!v.is_object() || !v.contains("cuda"))
    return make_error(
        where,
        "its tinyllm-train does not report CUDA and GPUs (`tinyllm-train --version`); "
        "--gpus needs this workbench's worker built against a CUDA libtorch, see "
        "docs/training-hosts.md");
  const std::string libtorch = v.value("libtorch_version", std::string("?"));
  if (!v.value("cuda", false))
    return make_error(where, "tinyllm-train has no CUDA (libtorch " + libtorch +
                                 " CPU); --gpus needs a CUDA build, see docs/training-hosts.md");
  const int gpus = v.value("gpus", 0);
  if (gpus < gpus_per_host)
    return make_error(where, "tinyllm-train sees " + std::to_string(gpus) + " GPU" +
                                 (gpus == 1 ? "" : "s") + " (libtorch " + libtorch +
                                 " CUDA) but --gpus asks for " + std::to_string(gpus_per_host) +
                                 " per host; ask for at most " + std::to_string(gpus));
  return {};
}

Result<WorkerPlan> plan_workers(const std::vector<PlanHost>& hosts, int gpus_per_host,
                                const std::string& dist_addr, int dist_port) {
  if (hosts.empty()) return make_error("--on", "name at least one host");
  if (gpus_per_host < 0 || gpus_per_host > 64)
    return make_error("--gpus", "must be 1..64 (" + std::to_string(gpus_per_host) + " given)");
  for (const auto& host : hosts)
    TINYLLM_TRY(check_host_gpus(host, gpus_per_host));
  const int per_host = gpus_per_host > 0 ? gpus_per_host : 1;
  WorkerPlan plan;
  plan.world_size = int(hosts.size()) * per_host;
  for (size_t h = 0; h < hosts.size(); ++h)
    for (int local = 0; local < per_host; ++local) {
      WorkerLaunch w;
      w.host = h;
      w.local_rank = local;
      w.rank = int(h) * per_host + local;
      if (gpus_per_host > 0) {
        w.device = "cuda:" + std::to_string(local);
        w.args.push_back("--device=cuda");
        w.args.push_back("--local_rank=" + std::to_string(local));
      }
      if (plan.world_size > 1) {
        w.args.push_back("--rank=" + std::to_string(w.rank));
        w.args.push_back("--world_size=" + std::to_string(plan.world_size));
        w.args.push_back("--dist_addr=" + dist_addr);
        w.args.push_back("--dist_port=" + std::to_string(dist_port));
      }
      if (!hosts[h].iface.empty()) {
        w.env.emplace_back("GLOO_SOCKET_IFNAME", hosts[h].iface);
        // NCCL finds its peers over sockets too, on the same network.
        if (gpus_per_host > 0) w.env.emplace_back("NCCL_SOCKET_IFNAME", hosts[h].iface);
      }
      plan.workers.push_back(std::move(w));
    }
  return plan;
}

}  // namespace tinyllm::deploy
