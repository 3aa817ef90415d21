// tinyllm train|finetune --on HOST[,HOST...]: a training run on other computers over SSH.
#pragma once

#include <string>

#include "worker_launch.h"

namespace tinyllm::cli {

// `options` are the command's worker options plus on, gpus, worker, dist_addr, dist_port,
// dist_iface; `mode` is the worker's ("train", "finetune"). Returns the exit code.
int run_on_hosts(const std::string& mode, const WorkerOptions& options, bool raw_json);

}  // namespace tinyllm::cli
