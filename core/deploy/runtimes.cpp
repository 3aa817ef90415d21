#include "deploy/runtimes.h"

#include <cstdlib>
#include <optional>
#include <vector>

namespace tinyllm::deploy {
namespace fs = std::filesystem;

namespace {

// The running program's folder's parent: the build tree's or the installation's prefix.
std::optional<fs::path> program_prefix() {
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (ec) return std::nullopt;
  return exe.parent_path().parent_path();
}

}  // namespace

Result<fs::path> find_runtime(const std::string& arch) {
  std::vector<fs::path> places;
  if (const char* dir = std::getenv("TINYLLM_RUNTIMES_DIR"); dir && *dir)
    places.push_back(fs::path(dir) / arch / "tinyllm-run");
  if (const auto prefix = program_prefix()) {
    places.push_back(*prefix / "runtimes" / arch / "tinyllm-run");
    places.push_back(*prefix / "lib" / "tinyllm" / "runtimes" / arch / "tinyllm-run");
  }
  std::error_code ec;
  std::string looked;
  for (const auto& p : places) {
    if (fs::is_regular_file(p, ec)) return p;
    looked += (looked.empty() ? "" : ", ") + p.string();
  }
  return make_error("runtime " + arch,
                    "this workbench has no " + arch + " runtime (looked in " + looked +
                        "). The build makes it when the cross compiler is installed (aarch64: "
                        "g++-aarch64-linux-gnu, armhf: g++-arm-linux-gnueabihf)");
}

Result<fs::path> find_device_script(const std::string& name) {
  std::vector<fs::path> places;
  if (const char* dir = std::getenv("TINYLLM_DEVICE_SCRIPTS_DIR"); dir && *dir)
    places.push_back(fs::path(dir) / name);
  if (const auto prefix = program_prefix())
    places.push_back(*prefix / "share" / "tinyllm" / "device-scripts" / name);
  std::error_code ec;
  std::string looked;
  for (const auto& p : places) {
    if (fs::is_regular_file(p, ec)) return p;
    looked += (looked.empty() ? "" : ", ") + p.string();
  }
  return make_error("device script " + name, "not found (looked in " + looked +
                                                 "); it is in the source tree's "
                                                 "resources/device-scripts/");
}

}  // namespace tinyllm::deploy
