// Built-in task templates: gesture classification (IMU), zone classification and position
// estimation (RSSI). The instruction names the sensors, units and the answer set, as in the paper.
#include "builtin_importers.h"

namespace tinyllm::plugins {

namespace {

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i)
    out += (i ? ", " : "") + items[i];
  return out;
}

class GestureTask : public data::TaskTemplate {
 public:
  std::string id() const override { return "gesture"; }
  std::string description() const override { return "classify the movement in an IMU window"; }
  bool supports(const data::Schema& s) const override { return s.kind == data::SensorKind::imu; }
  std::string instruction(const data::Schema& schema, const std::vector<std::string>& classes,
                          const data::TextFormat& format, double rate_hz) const override {
    std::string rate;
    data::append_number(rate, rate_hz, rate_hz == double(long(rate_hz)) ? 0 : 1);
    return "Classify the gesture from the " + data::describe_sensors(schema, format) +
           " sampled at " + rate + " Hz. Answer with one of: " + join(classes) + ".";
  }
  std::optional<std::string> response(const data::Window& w,
                                      const data::TextFormat&) const override {
    if (w.label == data::kNoLabel) return std::nullopt;
    return w.label_text;
  }
};

class ZoneTask : public data::TaskTemplate {
 public:
  std::string id() const override { return "zone"; }
  std::string description() const override { return "name the zone a WiFi fingerprint is from"; }
  bool supports(const data::Schema& s) const override { return s.kind == data::SensorKind::rssi; }
  std::string instruction(const data::Schema& schema, const std::vector<std::string>& classes,
                          const data::TextFormat& format, double) const override {
    return "Which zone was this WiFi fingerprint recorded in? The input: " +
           data::describe_sensors(schema, format) + ". Answer with one of: " + join(classes) + ".";
  }
  std::optional<std::string> response(const data::Window& w,
                                      const data::TextFormat&) const override {
    if (w.label == data::kNoLabel) return std::nullopt;
    return w.label_text;
  }
};

class PositionTask : public data::TaskTemplate {
 public:
  std::string id() const override { return "position"; }
  std::string description() const override {
    return "estimate x,y in metres from a WiFi fingerprint";
  }
  bool supports(const data::Schema& s) const override {
    return s.kind == data::SensorKind::rssi && s.targets.size() == 2;
  }
  std::string instruction(const data::Schema& schema, const std::vector<std::string>&,
                          const data::TextFormat& format, double) const override {
    return "Estimate where this WiFi fingerprint was recorded, in metres from the corner of the "
           "site. The input: " +
           data::describe_sensors(schema, format) + ". Answer as x=<metres> y=<metres>.";
  }
  std::optional<std::string> response(const data::Window& w,
                                      const data::TextFormat& f) const override {
    if (w.target.size() != 2) return std::nullopt;
    std::string out = "x=";
    data::append_number(out, w.target[0], f.target_decimals);
    out += " y=";
    data::append_number(out, w.target[1], f.target_decimals);
    return out;
  }
};

}  // namespace

void add_builtin_task_templates(data::PluginRegistry& registry) {
  registry.add_task_template(std::make_unique<GestureTask>());
  registry.add_task_template(std::make_unique<ZoneTask>());
  registry.add_task_template(std::make_unique<PositionTask>());
}

}  // namespace tinyllm::plugins
