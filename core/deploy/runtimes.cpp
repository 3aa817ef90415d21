#include "deploy/runtimes.h"

#include <cstdlib>
#include <vector>

namespace tinyllm::deploy {
namespace fs = std::filesystem;

Result<fs::path> find_runtime(const std::string& arch) {
  std::vector<fs::path> places;
  if (const char* dir = std::getenv("TINYLLM_RUNTIMES_DIR"); dir && *dir)
    places.push_back(fs::path(dir) / arch / "tinyllm-run");
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    places.push_back(exe.parent_path().parent_path() / "runtimes" / arch / "tinyllm-run");
    places.push_back(exe.parent_path().parent_path() / "lib" / "tinyllm" / "runtimes" / arch /
                     "tinyllm-run");
  }
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

}  // namespace tinyllm::deploy
