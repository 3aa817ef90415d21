// Task templates: the instruction (sensors, units, answer set) and the answer of a task example.
// The numbers themselves are written by tinyllm_sensor_text (sensortext/sensor_text.h) and the
// example is wrapped in the prompt template (text/prompt_template.h); both are plain C++17 so the
// edge runtime writes the same text.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/recording.h"
#include "sensortext/sensor_text.h"
#include "text/prompt_template.h"

namespace tinyllm::data {

using sensortext::append_number;
using sensortext::builtin_text_styles;
using sensortext::describe_sensors;
using sensortext::find_text_style;
using sensortext::pretrain_document;
using sensortext::TextFormat;
using sensortext::TextStyle;
using sensortext::Window;

class TaskTemplate {
 public:
  virtual ~TaskTemplate() = default;
  virtual std::string id() const = 0;  // "gesture", "zone", "position"
  virtual std::string description() const = 0;
  virtual bool supports(const Schema& schema) const = 0;
  // The instruction: what the sensors are and what to answer with.
  virtual std::string instruction(const Schema& schema, const std::vector<std::string>& classes,
                                  const TextFormat& format, double rate_hz) const = 0;
  // The answer for a window, or nullopt when the window has none (unlabelled).
  virtual std::optional<std::string> response(const Window& window,
                                              const TextFormat& format) const = 0;
};

}  // namespace tinyllm::data
