// The readings' model shared by data preparation and the edge runtime: which channels a recording
// has (a schema) and its rows (a series). Plain C++17, no dependencies: part of
// tinyllm_sensor_text, which the runtime links to turn raw readings into the training text.
//
// IMU data: a series is one continuous recording (or one gesture segment); rows are samples in
// time. RSSI fingerprints: a series is a group of fingerprints from one person or device; each
// row is one fingerprint and `values` holds one RSSI per access point, NaN where not heard.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyllm::sensortext {

enum class SensorKind { imu, rssi };
std::string_view to_string(SensorKind kind);
std::optional<SensorKind> sensor_kind_from_string(std::string_view text);

struct Channel {
  std::string name;  // "ax", "gz", "WAP001"
  std::string unit;  // "m/s^2", "mg", "g", "rad/s", "deg/s", "dBm"
};

struct Target {
  std::string name;  // "x", "y"
  std::string unit;  // "m"
};

struct Schema {
  SensorKind kind = SensorKind::imu;
  std::vector<Channel> channels;
  std::vector<Target> targets;  // regression targets (position), empty for classification only
  double sample_rate_hz = 0;    // nominal rate; 0 when unknown or not a time series
};

inline constexpr int32_t kNoLabel = -1;

struct Series {
  std::string id;       // unique within its source, e.g. "wing_hyw_003"
  std::string subject;  // person/user/device: the grouping key that keeps splits leak-free
  std::string session;
  std::string origin;           // where it came from, "file.csv:2-130"
  std::vector<double> time_s;   // per row, seconds; empty when the data has no time axis
  std::vector<float> values;    // rows x channels, row-major; NaN = missing
  std::vector<int32_t> labels;  // per row, index into the source's class table, or kNoLabel
  std::vector<float> targets;   // rows x targets
  std::vector<uint64_t> lines;  // per row, the source line (1-based) for reports

  size_t rows() const { return labels.size(); }
};

// Converts sensor values to SI units (m/s^2, rad/s). Returns the factor, or nullopt for a unit
// that is already SI or unknown; `si_unit` receives the unit name after conversion.
std::optional<double> si_factor(std::string_view unit, std::string* si_unit);

}  // namespace tinyllm::sensortext
