// Raw readings -> the prompt the model was trained on, on the device. The GGUF's tinyllm.* keys
// hold the whole recipe (core/gguf/export_task.cpp writes them): the recorded channels and units,
// unit conversion, resampling, z-scores or levels, the text style and the prompt template. This
// replays data preparation's path for one window (tests/test_sensor_text.cpp proves that path
// gives prepare's text byte for byte). Plain C++17 on tinyllm_sensor_text.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "gguf/gguf.h"
#include "sensortext/sensor_text.h"

namespace tinyllm::infer {

struct Recipe {
  sensortext::Schema schema;  // channels and units as recorded, the recorded rate
  std::string style;
  sensortext::TextFormat format;
  std::vector<double> unit_factor;  // raw value -> value in format.units
  bool resample = false;            // IMU readings are resampled to rate_hz
  double rate_hz = 0;               // after resampling
  size_t window_rows = 0;           // rows of one window at rate_hz (IMU)
  double window_s = 0, stride_s = 0;
  bool zscore = false;
  std::vector<double> mean, stdev;  // training split's statistics (zscore)
  std::string instruction, prompt_template;

  bool imu() const { return schema.kind == sensortext::SensorKind::imu; }
  // Readings at the recorded rate that one window needs (IMU); 1 for RSSI.
  size_t raw_window_rows() const;
  // Readings at the recorded rate between two windows of a stream (IMU); 1 for RSSI.
  size_t raw_stride_rows() const;
};

// A prompt from the file's template (tinyllm.prompt.template, with {instruction} and {input}).
std::string fill_prompt_template(const std::string& prompt_template, const std::string& instruction,
                                 std::string_view input);

// The recipe in a file, or nullopt when the file has none (a pre-trained model, or an export
// made before the recipe keys).
Result<std::optional<Recipe>> read_recipe(const gguf::File& file);

// The prompt for one window of raw readings: `values` is rows x channels in the recorded units
// and channel order, `time_s` per row or empty (evenly sampled at the recorded rate). An IMU
// window longer than the model's is cut to its last window_rows rows after resampling.
Result<std::string> window_prompt(const Recipe& recipe, std::vector<float> values,
                                  std::vector<double> time_s);

}  // namespace tinyllm::infer
