// Deploy applied to a project: which exported GGUF goes to a device, the package around it (the
// runtime for the device's architecture, the test split), and the record of what was installed
// where (deployments/<device>/installs.json), which the step rail and the Deploy page read.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "deploy/device.h"
#include "deploy/install.h"
#include "project/project.h"

namespace tinyllm::deploy {

struct ExportChoice {
  std::filesystem::path gguf;
  std::string type;                     // "q8_0", ...
  std::string artifact_id;              // "gguf-ft1-q8_0", "" for a file given by path
  std::filesystem::path test_examples;  // data/prepared/task_test.jsonl, "" when missing
};

// The newest export of `type` (default q8_0), or the file `gguf_path` when given. The error says
// how to make one.
Result<ExportChoice> choose_export(const project::Project& project, const std::string& type,
                                   const std::string& gguf_path = "");

// The package for `device`: the runtime build its probe (or forced arch) calls for.
Result<Package> package_for(const project::Project& project, const DeviceProfile& device,
                            const ExportChoice& choice);

// Appends an install to deployments/<device>/installs.json (atomically).
Status record_install(const std::filesystem::path& project_root, const DeviceProfile& device,
                      const ExportChoice& choice, const Package& package,
                      const DeployOutcome& outcome);
// Every recorded install on `device`, oldest first.
Result<nlohmann::json> installs(const std::filesystem::path& project_root,
                                const std::string& device_name);

}  // namespace tinyllm::deploy
