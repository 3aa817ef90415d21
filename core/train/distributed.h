// Data parallelism across processes with libtorch's c10d: a TCPStore for the rendezvous (rank 0
// hosts it at addr:port) and ProcessGroupGloo (CPU) or ProcessGroupNCCL (CUDA, when libtorch has
// it) for the collectives. Every process holds the whole model; after backward the gradients are
// averaged, so all replicas take the same optimizer step.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include "base/result.h"

namespace tinyllm::train {

struct Rendezvous {
  int rank = 0;
  int world_size = 1;
  // This process's GPU among its host's (cuda:local_rank), when started one per GPU on several
  // hosts (tinyllm train --on H --gpus N); -1: rank modulo the GPUs this host has.
  int local_rank = -1;
  std::string addr = "127.0.0.1";  // where rank 0 listens
  int port = 29500;
  int timeout_s = 120;  // how long to wait for the other processes
};

class Collective {
 public:
  // Connects to the other processes; blocks until all world_size have joined.
  static Result<std::unique_ptr<Collective>> connect(const Rendezvous& rendezvous,
                                                     torch::Device device);
  ~Collective();
  // In-place sum over all processes.
  Status allreduce_sum(torch::Tensor& tensor);
  Status barrier();
  int rank() const { return rank_; }
  int world_size() const { return world_size_; }

  struct Impl;

 private:
  Collective() = default;
  std::unique_ptr<Impl> impl_;
  int rank_ = 0;
  int world_size_ = 1;
};

}  // namespace tinyllm::train
