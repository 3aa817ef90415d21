// Step 1 of the workbench applied to a project folder: import sources, inspect them, prepare
// training text, and make the built-in demo project. The CLI and the GUI both call these; neither
// holds logic of its own. A failed import or prepare leaves the project exactly as it was.
#pragma once

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "data/import.h"
#include "data/prepare.h"
#include "project/project.h"

namespace tinyllm::pipeline {

// The task template id for the project's task ("zone" for "localization"); empty when no task.
std::string task_template_of(const project::Project& project);

// Cleans what crashed or killed steps left behind (project::remove_stale_temp_files); every step
// calls it when it starts. Returns how many temporary files or folders were removed.
int remove_stale_temp_files(const project::Project& project);

struct ImportOutcome {
  project::Source source;
  data::ImportResult details;
};

// Imports files/folders as a new source of the project and saves project.json.
Result<ImportOutcome> import_source(project::Project& project, const data::PluginRegistry& registry,
                                    const data::ImportRequest& request);

// Everything known about the project's data: per source the schema, statistics and cleaning
// report from its store, and the prepared summary if any.
Result<nlohmann::json> inspect_data(const project::Project& project);

// The settings saved in the project (processing.prepare), or defaults for its data kind.
Result<data::PrepareSettings> saved_prepare_settings(const project::Project& project);

// Prepares training text from all sources into data/prepared, records the settings and the
// "prepared" artifact, and saves project.json.
Result<data::PrepareResult> prepare_data(project::Project& project,
                                         const data::PluginRegistry& registry,
                                         const data::PrepareSettings& settings);

enum class DemoKind { imu, rssi };
// Creates a project at `root` with generated demo recordings (in data/raw) imported as a source.
Result<project::Project> create_demo_project(const std::filesystem::path& root, DemoKind kind,
                                             uint64_t seed, const data::PluginRegistry& registry);

}  // namespace tinyllm::pipeline
