// Recording from a device: a command on the device prints sensor readings as CSV lines (a header
// first), streamed over SSH into a take of the project. Every data row gets the take's label (and
// person) as extra columns, so step 1's importers read the take like any recording; it is then
// imported as a new source whose origin names the device and the command.
//
// Nothing received is lost: a take ends when its time or row budget is spent, when the user stops
// it, when the command ends, or when the connection drops; the rows that arrived are kept in every
// case and the outcome says which. Output that is not CSV stops the take at once with the line
// and what was wrong with it.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "data/importer.h"
#include "deploy/device.h"
#include "deploy/ssh.h"
#include "project/project.h"

namespace tinyllm::deploy {

struct TakeRequest {
  std::string command;         // run on the device; prints a CSV header, then one reading per line
  std::string label;           // the take's class: a "label" column on every row
  std::string person;          // a "person" column when not empty
  double seconds = 0;          // stop after this long; 0: until the command ends or stop() says so
  uint64_t max_rows = 0;       // stop after this many rows (e.g. N RSSI scans); 0: no limit
  std::function<bool()> stop;  // polled about 10 times a second
  // The device's header, once it arrived: names the numbers on_row gets.
  std::function<void(const std::vector<std::string>& columns)> on_header;
  std::function<void(const std::vector<double>& row)> on_row;  // each row's numbers, live
  // With a live command (live_command): each classification the device made, as the JSON line
  // tinyllm-run stream prints ({"row","t_s","label","confidence","shown","latency_ms"}).
  std::function<void(const std::string& json_line)> on_live;
};

// `command` piped through the installed model's `tinyllm-run stream --echo` on the device: the
// readings still arrive on stdout for the take, the device's labels on stderr (on_live).
std::string live_command(const DeviceProfile& device, const std::string& model,
                         const std::string& command, double threshold, int smooth);

enum class TakeEnd { kTime, kRows, kStopped, kCommandEnded, kConnectionLost };
const char* to_string(TakeEnd end);

struct Take {
  std::filesystem::path file;        // the CSV written (label/person columns added)
  std::vector<std::string> columns;  // the device's header
  uint64_t rows = 0;
  double seconds = 0;
  TakeEnd end = TakeEnd::kCommandEnded;
  int exit_status = 0;  // of the command, when it ended by itself
  std::string detail;   // the lost connection's reason, or the command's stderr tail
};

// Streams `request.command`'s output into `out_csv` (written atomically when the take ends).
// Fails only when nothing usable arrived or the output is not CSV; a take with rows is kept.
Result<Take> record_take(SshSession& session, const TakeRequest& request,
                         const std::filesystem::path& out_csv);

struct RecordedSource {
  Take take;
  project::Source source;  // the new source, already saved in project.json
};

// record_take into data/raw/recorded/<device>/<time>-<label>.csv, then imports the take with
// `overrides` as the mapping (as `tinyllm data import --set` would) and records the origin.
Result<RecordedSource> record_into_project(
    project::Project& project, const data::PluginRegistry& registry, SshSession& session,
    const DeviceProfile& device, const TakeRequest& request,
    const nlohmann::json& overrides = nlohmann::json::object());

}  // namespace tinyllm::deploy
