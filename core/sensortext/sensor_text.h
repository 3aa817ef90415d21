// tinyllm_sensor_text: raw readings -> the text a language model reads (the paper's key idea).
// Plain C++17 with no dependencies, because the edge runtime links it: the device must turn its
// raw readings into exactly the training text. Data preparation (core/data) runs the same code.
//
// The path of a window, in order: unit conversion (convert_units), resampling to the chosen rate
// (resample, IMU only), z-scores with the training split's statistics (to_zscores), cutting
// (make_windows), then a TextStyle writes the numbers with append_number. Task examples wrap the
// text in the prompt template (text/prompt_template.h).
//
// Does not: read files or JSON, compute the statistics (prepare does, over the training split),
// or know the task templates (core/data/serialize.h, plugins).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sensortext/schema.h"

namespace tinyllm::sensortext {

// --- Shaping the readings ---

// values (rows x channels, row-major) times each channel's factor (1: unchanged).
void convert_units(std::vector<float>& values, const std::vector<double>& unit_factor);
// values -> (value - mean) / stdev, per channel.
void to_zscores(std::vector<float>& values, const std::vector<double>& mean,
                const std::vector<double>& stdev);

// Resamples to `target_hz` by linear interpolation of values and targets; labels and source
// lines come from the nearest earlier row. A series without a time axis is taken to be evenly
// sampled at `source_hz`. The result has a time axis starting where the input starts.
Series resample(const Series& series, size_t channels, size_t targets, double source_hz,
                double target_hz);

enum class LabelPolicy {
  segments,  // cut the series where the label changes, then window each labelled run
  majority,  // slide over the whole series; a window takes its most common label
  center,    // slide over the whole series; a window takes the label of its middle row
};
std::string to_string(LabelPolicy policy);
bool label_policy_from_string(const std::string& text, LabelPolicy& out);

struct WindowSpan {
  size_t start = 0;
  size_t rows = 0;
  int32_t label = kNoLabel;
};

// Windows of `size` rows every `stride` rows. A run shorter than `size` (but at least `min_size`)
// becomes one shorter window, so whole gestures are kept; text needs no fixed length.
std::vector<WindowSpan> make_windows(const std::vector<int32_t>& labels, size_t size, size_t stride,
                                     size_t min_size, LabelPolicy policy);

// --- Writing the numbers ---

struct TextFormat {
  std::vector<int> decimals;       // per channel
  std::vector<std::string> units;  // per channel, after conversion ("z" when normalized)
  bool normalized = false;
  int rssi_top_k = 16;  // strongest access points written per fingerprint
  int target_decimals = 1;
  // The "levels" style writes each reading as one letter: level k of `levels` (a, b, ...) is the
  // reading's distance from level_center in steps of level_step, per channel (set_levels).
  int levels = 0;
  std::vector<double> level_center, level_step;
};

// Levels are the only way a few hundred readings fit a small model's context: one reading, one
// letter (docs/text-forms.md). `levels` letters (at most 26) span +-`span` standard deviations
// around each channel's mean (training-split statistics).
inline constexpr int kMaxLevels = 26;
void set_levels(TextFormat& format, int levels, double span, const std::vector<double>& mean,
                const std::vector<double>& stdev);
// The letter of `value` on channel c: 'a' + the level, clamped to the scale.
char level_letter(const TextFormat& format, size_t channel, double value);
// The levels style's name for access point (column) c: AA, AB, ..., ZZ, BAA, ...
std::string access_point_code(size_t channel);

// Digits after the point a unit is written with by default (mg: 0, g: 2, m/s^2: 1, ...).
int default_decimals(std::string_view unit);

struct ChannelFormat {
  TextFormat format;
  std::vector<double> unit_factor;  // per channel: raw value -> value in format.units
};
// The format of a schema's channels: SI units when `si_units`, z-scores when `zscore` (IMU only),
// `decimals` digits for every channel (or default_decimals when negative).
ChannelFormat channel_format(const Schema& schema, bool si_units, bool zscore, int decimals,
                             int rssi_top_k);

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

// Writes the numbers: per-channel lists ("ax: 12 15 ...", as in the paper), compact
// per-timestep rows ("12 -3 981;15 -2 979;...") or levels (one letter per reading, a word per time
// step: "mlk mmj ..."; RSSI: the access point's code and its level, "ALk BRh ...").
class TextStyle {
 public:
  virtual ~TextStyle() = default;
  virtual std::string id() const = 0;
  virtual std::string description() const = 0;
  virtual std::string write(const Window& window, const TextFormat& format) const = 0;
};

std::vector<std::unique_ptr<TextStyle>> builtin_text_styles();
const TextStyle* find_text_style(const std::vector<std::unique_ptr<TextStyle>>& styles,
                                 const std::string& id);

// A pre-training document: a short sensor description line followed by the window text.
std::string pretrain_document(const Window& window, const TextFormat& format,
                              const TextStyle& style);

// Formats a number with a fixed number of decimals and no "-0".
void append_number(std::string& out, double value, int decimals);

// Describes a channel set in words: "3-axis accelerometer (ax, ay, az in mg)".
std::string describe_sensors(const Schema& schema, const TextFormat& format);

}  // namespace tinyllm::sensortext
