#include "test_hooks.h"

#include <unistd.h>
#include <csignal>
#include <cstdlib>
#include <memory>

namespace tinyllm::worker {

train::TrainHooks test_hooks_from_environment() {
  train::TrainHooks hooks;
#if TINYLLM_TEST_HOOKS
  if (const char* kill_at = std::getenv("TINYLLM_TRAIN_DEBUG_KILL_IN_CHECKPOINT")) {
    auto writes = std::make_shared<int>(0);
    hooks.checkpoint_half_written = [writes,
                                     target = std::atoi(kill_at)](const std::filesystem::path&) {
      if (++*writes == target) ::kill(::getpid(), SIGKILL);
    };
  }
#endif
  return hooks;
}

}  // namespace tinyllm::worker
