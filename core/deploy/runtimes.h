// What the workbench ships for the device: the static tinyllm-run builds that deploy sends, one per
// device architecture, made by the normal build (build/runtimes/<arch>/) and installed with the
// workbench (lib/tinyllm/runtimes/); and the example sensor scripts (share/tinyllm/device-scripts).
#pragma once

#include <filesystem>
#include <string>

#include "base/result.h"

namespace tinyllm::deploy {

// The runtime for `arch` (aarch64, armhf, x86_64). Looks in $TINYLLM_RUNTIMES_DIR/<arch>/, then
// next to the running program (../runtimes/<arch>/ in a build tree, ../lib/tinyllm/runtimes/<arch>/
// when installed). The error says where it looked and how to get one.
Result<std::filesystem::path> find_runtime(const std::string& arch);

// An example sensor script (resources/device-scripts: "imu_mpu6050.py", "wifi_scan.sh"). Looks in
// $TINYLLM_DEVICE_SCRIPTS_DIR, then in ../share/tinyllm/device-scripts/ next to the running program
// (a build tree and an installation have the same layout there).
Result<std::filesystem::path> find_device_script(const std::string& name);

}  // namespace tinyllm::deploy
