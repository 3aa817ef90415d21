// The static tinyllm-run builds that deploy sends: one per device architecture, made by the
// normal build (build/runtimes/<arch>/) and installed with the workbench (lib/tinyllm/runtimes/).
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"

namespace tinyllm::deploy {

// The runtime for `arch` (aarch64, armhf, x86_64). Looks in $TINYLLM_RUNTIMES_DIR/<arch>/, then
// next to the running program (../runtimes/<arch>/ in a build tree, ../lib/tinyllm/runtimes/<arch>/
// when installed). The error says where it looked and how to get one.
Result<std::filesystem::path> find_runtime(const std::string& arch);

}  // namespace tinyllm::deploy
