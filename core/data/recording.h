// The common model every importer produces: a schema (which channels, which targets) and series
// (consecutive rows from one recording), defined in sensortext/schema.h, plus the findings
// reported while reading and cleaning.
#pragma once

#include <cmath>  // NaN marks a missing value
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sensortext/schema.h"

namespace tinyllm::data {

// The readings' model lives in tinyllm_sensor_text (std C++17, linked by the edge runtime).
using sensortext::Channel;
using sensortext::kNoLabel;
using sensortext::Schema;
using sensortext::sensor_kind_from_string;
using sensortext::SensorKind;
using sensortext::Series;
using sensortext::si_factor;
using sensortext::Target;
using sensortext::to_string;

enum class Severity { info, warning, error };
std::string_view to_string(Severity severity);

// One thing found in the data: "data.csv:10001:3: 'abc' is not a number (column ay)".
struct Finding {
  Severity severity = Severity::warning;
  std::string kind;   // bad_row, nan, out_of_order, duplicate_time, gap, clipping, constant, ...
  std::string where;  // file:line[:column] or series id
  std::string message;
};

// Findings are counted in full but only the first few of each kind are kept, so a file with a
// million broken rows still gives a small report.
class Report {
 public:
  static constexpr size_t kKeepPerKind = 50;

  void add(Severity severity, std::string kind, std::string where, std::string message);
  void merge(const Report& other);
  const std::vector<Finding>& findings() const { return findings_; }
  const std::map<std::string, uint64_t>& counts() const { return counts_; }
  uint64_t count(const std::string& kind) const;

 private:
  std::vector<Finding> findings_;
  std::map<std::string, uint64_t> counts_;
};

}  // namespace tinyllm::data
