#include "train/distributed.h"

#include <cstdlib>

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>

namespace tinyllm::train {

struct Collective::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;
};

Collective::~Collective() = default;

Result<std::unique_ptr<Collective>> Collective::connect(const Rendezvous& r, torch::Device device) {
  const std::string where = "rendezvous " + r.addr + ":" + std::to_string(r.port);
  if (r.world_size < 1 || r.rank < 0 || r.rank >= r.world_size)
    return make_error(where, "rank " + std::to_string(r.rank) + " is outside world size " +
                                 std::to_string(r.world_size));
  std::unique_ptr<Collective> c(new Collective());
  c->rank_ = r.rank;
  c->world_size_ = r.world_size;
  c->impl_ = std::make_unique<Impl>();
  try {
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<uint16_t>(r.port);
    opts.isServer = r.rank == 0;
    opts.numWorkers = static_cast<size_t>(r.world_size);
    opts.waitWorkers = true;
    opts.timeout = std::chrono::seconds(r.timeout_s);
    c->impl_->store = c10::make_intrusive<c10d::TCPStore>(r.addr, opts);
#ifdef USE_C10D_NCCL
    if (device.is_cuda()) {
      auto nccl_opts = c10d::ProcessGroupNCCL::Options::create();
      c->impl_->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(c->impl_->store, r.rank,
                                                                    r.world_size, nccl_opts);
      return c;
    }
#endif
    if (device.is_cuda())
      return make_error(where, "this libtorch has no NCCL; DDP on CUDA needs it");
    auto gloo_opts = c10d::ProcessGroupGloo::Options::create();
    gloo_opts->timeout = std::chrono::seconds(r.timeout_s);
    // Loopback rendezvous: talk over loopback. Otherwise the interface GLOO_SOCKET_IFNAME names
    // (as PyTorch reads it: hosts that share a host name, or have several networks, need it),
    // else the one the host name resolves to.
    const bool loopback = r.addr == "127.0.0.1" || r.addr == "localhost";
    const char* iface = std::getenv("GLOO_SOCKET_IFNAME");
    gloo_opts->devices.push_back(
        loopback            ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
        : (iface && *iface) ? c10d::ProcessGroupGloo::createDeviceForInterface(iface)
                            : c10d::ProcessGroupGloo::createDefaultDevice());
    c->impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(c->impl_->store, r.rank,
                                                                  r.world_size, gloo_opts);
  } catch (const std::exception& e) {
    return make_error(where, std::string("cannot join the process group: ") + e.what());
  }
  return c;
}

Status Collective::allreduce_sum(torch::Tensor& tensor) {
  try {
    std::vector<torch::Tensor> tensors{tensor};
    impl_->group->allreduce(tensors)->wait();
  } catch (const std::exception& e) {
    return make_error("allreduce", std::string("a process failed or left: ") + e.what());
  }
  return {};
}

Status Collective::barrier() {
  try {
    impl_->group->barrier()->wait();
  } catch (const std::exception& e) {
    return make_error("barrier", std::string("a process failed or left: ") + e.what());
  }
  return {};
}

}  // namespace tinyllm::train
