// Starting the tinyllm-train worker from a CLI command (cmd_train.cpp): options, the relay of its
// events (human lines or --json), signals and control lines.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tinyllm::cli {

using WorkerOptions = std::vector<std::pair<std::string, std::string>>;
// Sees every event of rank 0 as it arrives (after it is printed or passed on).
using EventObserver = std::function<void(const nlohmann::json& event)>;

// "--key value" / "--key=value" / "--flag" (flags listed) into worker "--key=value" options.
Result<WorkerOptions> split_options(const std::vector<std::string>& argv,
                                    const std::vector<std::string>& flags);
// Runs `tinyllm-train MODE --key=value...` (nproc processes) to the end; returns its exit code.
// `quiet`: print none of its events (errors still go to stderr).
int launch(const std::string& mode, const WorkerOptions& options, int nproc, bool raw_json,
           const EventObserver& observe = nullptr, bool quiet = false);
// One worker event as a human line (nothing for events only machines need).
void print_human(const nlohmann::json& event);

}  // namespace tinyllm::cli
