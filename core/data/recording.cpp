#include "data/recording.h"

namespace tinyllm::data {

std::string_view to_string(SensorKind kind) {
  return kind == SensorKind::imu ? "imu" : "rssi";
}

std::optional<SensorKind> sensor_kind_from_string(std::string_view text) {
  if (text == "imu") return SensorKind::imu;
  if (text == "rssi") return SensorKind::rssi;
  return std::nullopt;
}

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "?";
}

void Report::add(Severity severity, std::string kind, std::string where, std::string message) {
  if (++counts_[kind] <= kKeepPerKind)
    findings_.push_back({severity, std::move(kind), std::move(where), std::move(message)});
}

void Report::merge(const Report& other) {
  for (const auto& f : other.findings_)
    if (count(f.kind) < kKeepPerKind) findings_.push_back(f);
  for (const auto& [kind, n] : other.counts_)
    counts_[kind] += n;
}

uint64_t Report::count(const std::string& kind) const {
  auto it = counts_.find(kind);
  return it == counts_.end() ? 0 : it->second;
}

std::optional<double> si_factor(std::string_view unit, std::string* si_unit) {
  constexpr double kGravity = 9.80665;
  constexpr double kPi = 3.14159265358979323846;
  struct Row {
    std::string_view unit, si;
    double factor;
  };
  static constexpr Row kTable[] = {{"g", "m/s^2", kGravity},
                                   {"mg", "m/s^2", kGravity / 1000.0},
                                   {"deg/s", "rad/s", kPi / 180.0},
                                   {"mdeg/s", "rad/s", kPi / 180000.0}};
  for (const auto& row : kTable)
    if (row.unit == unit) {
      if (si_unit) *si_unit = std::string(row.si);
      return row.factor;
    }
  return std::nullopt;
}

}  // namespace tinyllm::data
