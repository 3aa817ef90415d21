// The desktop's own edge runtime: tinyllm-run next to this program, run as a child process, for
// the numbers a device's are compared with (the same GGUF file on both).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tinyllm::cli {

// Runs `tinyllm-run <args>` and returns the JSON object on its last stdout line.
Result<nlohmann::json> run_local_runtime(const std::vector<std::string>& args);

}  // namespace tinyllm::cli
