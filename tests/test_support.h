// Helpers shared by the test suites: where the datasets are, a registry with the built-in
// plugins, small file writers, waiting for a GUI page's jobs.
#pragma once

#include <QString>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/importer.h"
#include "test_verify.h"

namespace tinyllm::test {

// ../shared/datasets, or empty when it is not there (tests then QSKIP with a message).
std::filesystem::path datasets_dir();
std::filesystem::path magic_wand_dir();
std::filesystem::path uji_dir();

std::unique_ptr<data::PluginRegistry> builtin_registry();
void write_text(const std::filesystem::path& path, const std::string& text);
// A GUI test's own world: HOME and the settings under `home` (never the user's recent projects
// or ~/TinyLLM), this build's CLI for the pages' workers, its own settings organization.
void isolate_gui_test(const QString& home);
// The tinyllm CLI of this build.
inline std::string tinyllm_cli() {
  return std::string(TINYLLM_BINARY_DIR) + "/bin/tinyllm";
}
std::string read_text(const std::filesystem::path& path);
// One JSON value per line (prepared task_*.jsonl and the like).
std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path);
// An IMU CSV (time_ms, ax, ay, az, label, person) where six people do class "a" and only p0 also
// does "b": a person-grouped split must leave "b" out of two splits.
std::string imu_csv_with_a_class_of_one_person();

// Lets the event loop run until `page` (a step page of the GUI) runs no job, up to `ms`, then a
// moment more so that the job's last signals land. A timeout fails the test.
template <class Page>
void wait_idle(const Page* page, int ms = 240000) {
  QTRY_VERIFY_WITH_TIMEOUT(!page->busy(), ms);
  QTest::qWait(50);
}

}  // namespace tinyllm::test

#define TINYLLM_REQUIRE_DATASETS()                                                          \
  do {                                                                                      \
    if (tinyllm::test::datasets_dir().empty())                                              \
      QSKIP("../shared/datasets is missing: the real-data tests need the shared datasets"); \
  } while (0)
