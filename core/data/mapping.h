// The generic mapped CSV reader: a mapping (plain JSON) says which column is time, which are
// sensor channels, labels, people, sessions and targets; the reader streams the file through it.
// A new CSV format needs only a mapping, not code. The IMU and RSSI importers guess a mapping
// and then read through this same engine.
//
// Mapping JSON (every field but "kind" and "channels" optional):
//   {"kind": "imu" | "rssi", "delimiter": ",", "header": true,
//    "time": {"column": "time_ms", "unit": "s" | "ms" | "us" | "ns" | "index"},
//    "sample_rate_hz": 50,
//    "channels": [{"column": "ax", "name": "ax", "unit": "m/s^2"}, ...],
//    "convert_to_si": false,
//    "label": {"columns": ["gesture"], "format": "B{BUILDINGID}F{FLOOR}"} | {"value": "wing"}
//             | {"from_filename": "regex with one group"},
//    "subject": {"column": "person"} | {"value": "p1"} | {"from_filename": "regex"},
//    "session": {"column": "trial"},
//    "series_by": ["sample_id"],
//    "not_heard": 100,
//    "targets": [{"column": "LONGITUDE", "name": "x", "unit": "m"}, ...]}
// Columns are named as in the header, or by 1-based number ("3") in files without one.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/importer.h"

namespace tinyllm::data {

struct ColumnMap {
  std::string column;  // header name or 1-based number
  std::string name;    // channel/target name in the workbench
  std::string unit;
};

struct FieldSource {  // where a per-row text (label, subject, session) comes from
  std::vector<std::string> columns;
  std::string format;         // "{A}-{B}"; empty: column values joined with "-"
  std::string value;          // fixed for the whole file
  std::string from_filename;  // regex; group 1 is the value
  bool empty() const { return columns.empty() && value.empty() && from_filename.empty(); }
};

struct CsvMapping {
  SensorKind kind = SensorKind::imu;
  char delimiter = ',';
  bool header = true;
  std::string time_column;
  std::string time_unit = "s";
  double sample_rate_hz = 0;
  std::vector<ColumnMap> channels;
  bool convert_to_si = false;
  FieldSource label, subject, session;
  std::vector<std::string> series_by;
  std::optional<double> not_heard;
  std::vector<ColumnMap> targets;
};

Result<CsvMapping> mapping_from_json(const nlohmann::json& json);
// The top-level keys a mapping may have.
const std::vector<std::string>& mapping_keys();
// Unknown keys (top level and inside time/label/subject/session) are errors naming the key, the
// nearest valid one and all valid ones; so is a sample rate outside [0.001, 1e6] Hz. `where`
// names the source ("--set", "mapping"). `extra_keys` are more valid top-level keys: an importer
// with its own mapping format (e.g. the wand capture's "unit") has keys of its own.
Status check_mapping_keys(const nlohmann::json& mapping, const std::string& where,
                          const std::vector<std::string>& extra_keys = {});
nlohmann::json to_json(const CsvMapping& mapping);

// Applies `overrides` (a partial mapping) onto `base` as a JSON merge patch.
nlohmann::json merge_mapping(nlohmann::json base, const nlohmann::json& overrides);

// Streams `file` through `mapping` into `sink`.
Status read_mapped_csv(const std::filesystem::path& file, const CsvMapping& mapping,
                       const ImportOptions& options, SeriesSink& sink);

// The seconds per unit of a time column ("ms" -> 0.001); nullopt for an unknown unit.
std::optional<double> seconds_per_time_unit(const std::string& unit);

}  // namespace tinyllm::data
