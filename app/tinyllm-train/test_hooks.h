// Hooks the tests drive through the environment, wired only in test builds (TINYLLM_TEST_HOOKS,
// on with TINYLLM_BUILD_TESTS): the library never reads a test variable.
#pragma once

#include "train/train.h"

namespace tinyllm::worker {

// TINYLLM_TRAIN_DEBUG_KILL_IN_CHECKPOINT=N: SIGKILL this worker halfway through its Nth
// checkpoint write (the kill -9 test of the atomic write). No hooks in other builds.
train::TrainHooks test_hooks_from_environment();

}  // namespace tinyllm::worker
