#include "test_support.h"

#include <fstream>
#include <sstream>

#include "builtin.h"

namespace tinyllm::test {
namespace fs = std::filesystem;

fs::path datasets_dir() {
  fs::path dir = fs::path(TINYLLM_SHARED_DIR) / "datasets";
  std::error_code ec;
  return fs::is_directory(dir / "magic_wand", ec) && fs::is_directory(dir / "ujiindoorloc", ec)
             ? dir
             : fs::path();
}
fs::path magic_wand_dir() {
  return datasets_dir() / "magic_wand";
}
fs::path uji_dir() {
  return datasets_dir() / "ujiindoorloc";
}

std::unique_ptr<data::PluginRegistry> builtin_registry() {
  auto r = std::make_unique<data::PluginRegistry>();
  plugins::register_builtin_plugins(*r);
  return r;
}

void write_text(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << text;
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace tinyllm::test
