// The worker's process plumbing, shared by its modes (main.cpp's train/finetune/sample and
// eval_mode.cpp): its --key=value arguments, one JSON event per line on stdout (docs/events.md),
// failures as an "error" event plus a line on stderr, and the stop request that SIGINT, SIGTERM
// and the "stop" control message set.
#pragma once

#include <atomic>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tinyllm::worker {

// --key=value arguments in order; a bare --flag means "true".
struct Args {
  std::string mode = "train";
  std::vector<std::pair<std::string, std::string>> options;
  // The last value of `key`, removed from `options`; nullopt when it was not given.
  std::optional<std::string> take(const std::string& key);
};
Result<Args> parse_args(int argc, char** argv);

// One event line on stdout, flushed at once (the GUI and the CLI read it live).
void print_event(const nlohmann::json& event);
// Rank 0 prints an "error" event; every rank writes the error to stderr. Returns 1 (exit code).
int fail(const Error& error, int rank = 0);

// Set when the worker is asked to stop (signal or control message); loops check it between steps.
std::atomic<bool>& stop_requested();
// SIGINT and SIGTERM set stop_requested() instead of killing the process.
void install_signal_handlers();

}  // namespace tinyllm::worker
