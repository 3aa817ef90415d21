#include "test_support.h"

#include <QCoreApplication>

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

void isolate_gui_test(const QString& home) {
  qputenv("HOME", home.toUtf8());
  qputenv("XDG_CONFIG_HOME", (home + "/config").toUtf8());
  qputenv("TINYLLM_CLI", QByteArray::fromStdString(tinyllm_cli()));
  QCoreApplication::setOrganizationName("TinyLLM-test");
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

std::string imu_csv_with_a_class_of_one_person() {
  std::string imu = "time_ms,ax,ay,az,label,person\n";
  for (int p = 0; p < 6; ++p)
    for (int i = 0; i < (p == 0 ? 400 : 200); ++i)
      imu += std::to_string(i * 20) + "," + std::to_string(0.01 * (i % 17) + 0.1 * p) +
             ",0.2,9.8," + (i < 200 ? "a" : "b") + ",p" + std::to_string(p) + "\n";
  return imu;
}

std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::vector<nlohmann::json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    out.push_back(nlohmann::json::parse(line));
  return out;
}

}  // namespace tinyllm::test
