// The project folder: one folder holds a user's whole work.
//
//   project.json     manifest: name, created, schema version, data sources, processing settings,
//                    artifacts with their lineage and checksums
//   data/            imported series stores (data/imported) and prepared text (data/prepared)
//   tokenizer/       SentencePiece model and token shards
//   checkpoints/     training checkpoints
//   exports/         GGUF files
//   deployments/     what was sent to which device, and the results that came back
//   reports/         evaluation and benchmark reports
//
// project.json is only ever replaced atomically. A manifest from a newer version of the program,
// or one that does not parse, is reported with its path and field and is never overwritten.
// The folder is relocatable: every path to a file inside it is stored relative to it (paths to
// files outside stay as the user gave them), so a copied or moved project works and never writes
// into the one it came from. Schema 1 stored absolute paths; opening such a project migrates it
// and keeps the old manifest as project.json.bak-v1.
// Does not: import or process data (core/data does), or know about Qt.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tinyllm::project {

inline constexpr int kSchemaVersion = 2;
inline constexpr const char* kManifestName = "project.json";

// The project's tasks: what the user wants learned, the sensor kind it needs, and the task
// template (core/data, plugins) that writes its examples. The one place these names meet.
struct TaskKind {
  const char* task;         // project.json "task"
  const char* sensor_kind;  // data::SensorKind as text
  const char* template_id;  // the task template's id
};
inline constexpr TaskKind kTaskKinds[] = {{"gesture", "imu", "gesture"},
                                          {"localization", "rssi", "zone"}};
// nullptr for an unknown task or sensor kind.
const TaskKind* find_task(std::string_view task);
const TaskKind* task_for_sensor(std::string_view sensor_kind);

// A path as stored in the project: relative to `root` when it lies inside it, else as given.
std::string stored_path(const std::filesystem::path& root, const std::filesystem::path& path);
// A stored path back as a usable one: a relative path is taken from `root`.
std::filesystem::path resolve_path(const std::filesystem::path& root, const std::string& stored);
// Whether `path` lies inside `root` (both made absolute and normalized first).
bool is_inside(const std::filesystem::path& root, const std::filesystem::path& path);

// Removes temporary files and folders that interrupted atomic writes left in the project
// (base/files.h names them). Only those whose writing process is gone and that are older than
// `not_after` are touched; returns how many were removed. Each step calls it when it starts.
int remove_stale_temp_files(const std::filesystem::path& root,
                            std::filesystem::file_time_type not_after);

// One file of a data source, with the checksum it had when imported.
struct SourceFile {
  std::string path;  // relative to the project when inside it, else absolute as picked
  std::string sha256;
  uint64_t bytes = 0;
};

// A data source: files imported together with one importer and one mapping.
struct Source {
  std::string id;        // "src1"
  std::string importer;  // importer id, e.g. "imu-csv"
  std::string kind;      // "imu" or "rssi"
  std::vector<SourceFile> files;
  nlohmann::json mapping;  // the mapping used, as the importer reported it
  std::string store;       // series store, relative to the project root
  uint64_t rows = 0;
  uint64_t series = 0;
  std::string imported;  // ISO 8601 UTC
  // Where the files came from when not picked from disk, e.g. a take recorded on a device:
  // {"device": "pi4", "command": "...", "label": "wave", "connection_lost": false}. May be empty.
  nlohmann::json origin = nlohmann::json::object();
};

// Something the project made: a prepared dataset, a tokenizer, a checkpoint, a GGUF file.
struct Artifact {
  std::string id;    // unique, e.g. "prepared", "tokenizer"
  std::string kind;  // "prepared-data", "tokenizer", "checkpoint", "gguf", ...
  std::string path;  // relative to the project root
  std::string sha256;
  std::string created;
  std::vector<std::string> inputs;  // ids of the sources/artifacts it was made from
  nlohmann::json settings;          // the settings it was made with
  // How the step that made it ended, where that matters: a training run's reason ("completed",
  // "early_stop", "interrupted"), step and planned steps, the tokenizer it was trained with.
  nlohmann::json outcome = nlohmann::json::object();
  // Checksums of the inputs at creation time; an input that changed makes this artifact stale.
  std::vector<std::string> input_sha256;
};

struct Project {
  std::filesystem::path root;
  std::string name;
  std::string created;
  int schema_version = kSchemaVersion;
  std::string task;  // "gesture" (IMU classification) or "localization" (RSSI); may be empty
  std::vector<Source> sources;
  nlohmann::json processing = nlohmann::json::object();  // settings of the data step and later
  std::vector<Artifact> artifacts;

  std::filesystem::path path(const std::string& relative) const { return root / relative; }
  const Source* find_source(const std::string& id) const;
  const Artifact* find_artifact(const std::string& id) const;
  // The checksum an id stands for: a source's combined file checksums or an artifact's sha256.
  std::optional<std::string> checksum_of(const std::string& id) const;
  // An artifact is stale when an input is missing or its checksum changed since creation.
  bool is_stale(const Artifact& artifact) const;
  // Adds or replaces (same id) an artifact, recording its inputs' current checksums.
  void put_artifact(Artifact artifact);
  std::string next_source_id() const;
};

// Creates the folder layout and an empty manifest. Fails if a project already exists there.
Result<Project> create_project(const std::filesystem::path& root, const std::string& name,
                               const std::string& task);
// Reads and validates project.json; an older schema is migrated (and saved, with a backup).
Result<Project> open_project(const std::filesystem::path& root);
// Validates without opening for work; the same checks as open_project.
Status validate_project(const std::filesystem::path& root);
// Writes project.json atomically.
Status save_project(const Project& project);

nlohmann::json to_json(const Project& project);
// Parses a manifest; `where` names the file in errors.
Result<Project> project_from_json(const nlohmann::json& json, const std::string& where);

}  // namespace tinyllm::project
