#include "sensortext/schema.h"

namespace tinyllm::sensortext {

std::string_view to_string(SensorKind kind) {
  return kind == SensorKind::imu ? "imu" : "rssi";
}

std::optional<SensorKind> sensor_kind_from_string(std::string_view text) {
  if (text == "imu") return SensorKind::imu;
  if (text == "rssi") return SensorKind::rssi;
  return std::nullopt;
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

}  // namespace tinyllm::sensortext
