// Text serialization, the paper's key idea: a sensor window becomes text a language model can
// read. Two pieces, both pluggable:
//   - a TextStyle writes the numbers: per-channel lists ("ax: 12 15 ...", as in the paper) or
//     compact per-timestep rows ("12 -3 981;15 -2 979;...");
//   - a TaskTemplate writes the instruction (sensors, units, answer set) and the response.
// Task examples use the paper's template:
//   ### Instruction:\n<instruction>\n### Input:\n<window text>\n### Response:\n<answer>\n### End
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "data/recording.h"

namespace tinyllm::data {

// One window, ready to be written: values already converted/normalized as configured.
struct Window {
  const Schema* schema = nullptr;
  std::string series_id, subject;
  size_t start_row = 0;
  size_t rows = 0;
  const float* values = nullptr;  // rows x channels
  double rate_hz = 0;
  int32_t label = kNoLabel;
  std::string label_text;
  std::vector<float> target;  // mean target over the window (e.g. x, y relative to the origin)
};

struct TextFormat {
  std::vector<int> decimals;       // per channel
  std::vector<std::string> units;  // per channel, after conversion ("z" when normalized)
  bool normalized = false;
  int rssi_top_k = 16;  // strongest access points written per fingerprint
  int target_decimals = 1;
};

class TextStyle {
 public:
  virtual ~TextStyle() = default;
  virtual std::string id() const = 0;
  virtual std::string description() const = 0;
  virtual std::string write(const Window& window, const TextFormat& format) const = 0;
};

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

std::vector<std::unique_ptr<TextStyle>> builtin_text_styles();
const TextStyle* find_text_style(const std::vector<std::unique_ptr<TextStyle>>& styles,
                                 const std::string& id);

// A pre-training document: a short sensor description line followed by the window text.
std::string pretrain_document(const Window& window, const TextFormat& format,
                              const TextStyle& style);

struct TaskExample {
  std::string prompt;    // "### Instruction:\n...\n### Input:\n...\n### Response:\n"
  std::string response;  // "wing\n### End"
};
TaskExample task_example(const std::string& instruction, const std::string& input,
                         const std::string& answer);

// Formats a number with a fixed number of decimals and no "-0".
void append_number(std::string& out, double value, int decimals);

// Describes a channel set in words: "3-axis accelerometer (ax, ay, az in mg)".
std::string describe_sensors(const Schema& schema, const TextFormat& format);

}  // namespace tinyllm::data
