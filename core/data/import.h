// Importing: files or folders -> detected importer and mapping -> read -> cleaned -> statistics ->
// one series store written atomically. Either the whole import succeeds and the store appears,
// or nothing is written.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/clean.h"
#include "data/importer.h"
#include "data/stats.h"

namespace tinyllm::data {

struct ImportRequest {
  std::vector<std::filesystem::path> inputs;  // files and/or folders (searched recursively)
  std::string importer;                       // forced importer id; empty: detect
  nlohmann::json overrides = nlohmann::json::object();  // partial mapping set by the user
  ImportOptions options;
  CleanOptions cleaning;
};

struct ImportedFile {
  std::filesystem::path path;
  std::string sha256;
  uint64_t bytes = 0;
};

struct ImportResult {
  std::string importer;
  nlohmann::json mapping;  // the mapping of the first file (files may differ in file-name parts)
  Schema schema;
  std::vector<std::string> classes;
  std::vector<ImportedFile> files;
  DatasetStats stats;
  Report report;
  std::vector<Guess> guesses;  // what the detection of the files guessed, each once
};

// Expands folders into the files an import would read (sorted, hidden files skipped).
Result<std::vector<std::filesystem::path>> expand_inputs(
    const std::vector<std::filesystem::path>& inputs);

// Detects the importer and mapping for the first input file (for previews).
Result<Detection> detect_import(const PluginRegistry& registry, const ImportRequest& request);

// Runs the import into a new series store at `store_path`.
Result<ImportResult> import_to_store(const PluginRegistry& registry, const ImportRequest& request,
                                     const std::filesystem::path& store_path);

nlohmann::json to_json(const Report& report);
nlohmann::json to_json(const std::vector<Guess>& guesses);

}  // namespace tinyllm::data
