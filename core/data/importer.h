// The importer extension point. An importer recognizes a file format (detect), proposes the
// mapping it would use, and reads files into series (read). The built-in importers live in
// plugins/builtin; a user's own importer is a shared library dropped into a plugin folder that
// exports the two C functions below.
//
// A mapping is plain JSON so that the GUI can show and edit it and project.json can record it.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "data/recording.h"

namespace tinyllm::data {

enum class BadRowPolicy { skip, fail };

struct ImportOptions {
  BadRowPolicy on_bad_row = BadRowPolicy::skip;  // skip and report, or stop at the first one
  double max_bad_row_share = 0.05;               // more broken rows than this fails the import
  size_t max_series_rows = 1 << 20;              // longer recordings are cut; bounds memory
  // Called now and then with bytes read so far and the file size; return false to cancel.
  std::function<bool(uint64_t done, uint64_t total)> progress;
};

// Receives what an importer reads, in file order.
class SeriesSink {
 public:
  virtual ~SeriesSink() = default;
  // Once per file, before its series. All files of one import must share a schema.
  virtual Status begin_file(const std::filesystem::path& file, const Schema& schema) = 0;
  // The class index for a label text, adding it on first sight.
  virtual int32_t intern_label(std::string_view label) = 0;
  virtual Status add(Series series) = 0;
  virtual Report& report() = 0;
};

// Something an importer inferred from weak evidence (a value range, a file name, a default):
// shown as "guessed: what (why)" so that a wrong guess is noticed and overridden in the mapping.
struct Guess {
  std::string what;  // "accelerometer unit: g"
  std::string why;   // "no unit in the column names; the median |a| over 180 rows is 0.99"
  bool operator==(const Guess&) const = default;
};

// What an importer found in a file and the mapping it would use, for preview and confirmation.
struct Detection {
  std::string importer;
  int confidence = 0;                          // 0..100; 0 means "cannot read this file"
  nlohmann::json mapping;                      // complete mapping, user overrides applied
  std::vector<std::string> notes;              // what was detected, in words
  std::vector<Guess> guesses;                  // the parts of the mapping that are guesses
  std::vector<std::string> columns;            // preview: column names
  std::vector<std::vector<std::string>> rows;  // preview: the first rows as text
};

class Importer {
 public:
  virtual ~Importer() = default;
  virtual std::string id() const = 0;           // "imu-csv"
  virtual std::string description() const = 0;  // one line for lists
  // Looks at the start of the file. `overrides` is a partial mapping the user set; it wins over
  // what was detected (merged as a JSON merge patch).
  virtual Result<Detection> detect(const std::filesystem::path& file,
                                   const nlohmann::json& overrides) const = 0;
  virtual Status read(const std::filesystem::path& file, const nlohmann::json& mapping,
                      const ImportOptions& options, SeriesSink& sink) const = 0;
};

// A task template turns a labelled window into an instruction, the answer set and a response
// (see serialize.h for where it is used).
class TaskTemplate;

class PluginRegistry {
 public:
  PluginRegistry();
  ~PluginRegistry();
  PluginRegistry(const PluginRegistry&) = delete;
  PluginRegistry& operator=(const PluginRegistry&) = delete;

  void add_importer(std::unique_ptr<Importer> importer);
  void add_task_template(std::unique_ptr<TaskTemplate> task);
  const Importer* importer(std::string_view id) const;
  const TaskTemplate* task_template(std::string_view id) const;
  std::vector<const Importer*> importers() const;
  std::vector<const TaskTemplate*> task_templates() const;

  // The most confident importer's detection (or the forced importer's).
  Result<Detection> detect(const std::filesystem::path& file, const nlohmann::json& overrides,
                           std::string_view forced_importer = {}) const;

  // Loads one plugin library; the error says why a library was refused.
  Status load_plugin(const std::filesystem::path& library);
  // Loads every *.so in a folder: one bad library does not stop the others. A missing folder is
  // fine. Callers report each failure once and go on (CLI: a warning; GUI: the status bar).
  struct PluginLoadReport {
    std::vector<std::string> loaded;  // file names
    std::vector<Error> failed;        // one per library that was refused, naming it
  };
  PluginLoadReport load_plugins_from(const std::filesystem::path& folder);

 private:
  struct Library;
  std::vector<std::unique_ptr<Library>> libraries_;  // first member: unloaded last
  std::vector<std::unique_ptr<Importer>> importers_;
  std::vector<std::unique_ptr<TaskTemplate>> tasks_;
};

}  // namespace tinyllm::data

// The plugin ABI: a shared library exports both functions with C linkage.
#define TINYLLM_PLUGIN_ABI_VERSION 1
extern "C" {
using tinyllm_plugin_abi_version_fn = int (*)();
using tinyllm_register_plugin_fn = void (*)(tinyllm::data::PluginRegistry&);
}
