// Augmentation of task examples for fine-tuning: each draw varies an example's raw readings and
// writes them as text again, the way prepare did (the same text style, units and levels), so the
// model sees the same gesture or fingerprint a little differently in every epoch.
//   IMU:  a gain per axis (0.85-1.15), an offset per axis (+-0.1 of the channel's spread), and a
//         mild time warp (the window stretched or squeezed by up to 10%).
//   RSSI: each heard access point dropped with probability 0.1, the rest given 2 dB of noise.
// A draw is a pure function of (example, draw), so a resumed run sees the same batches.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "eval/examples.h"
#include "sensortext/sensor_text.h"

namespace tinyllm::worker {

// How prepare wrote the readings, rebuilt from prepared.json.
struct TextRecipe {
  sensortext::Schema schema;
  sensortext::TextFormat format;
  std::unique_ptr<sensortext::TextStyle> style;
  double rate_hz = 0;
  std::vector<double> spread;  // per channel: the readings' standard deviation (offset scale)
};

// Nullptr with a reason when prepared.json lacks something a recipe needs (an older project:
// then fine-tuning runs without augmentation and says so).
std::unique_ptr<TextRecipe> text_recipe(const nlohmann::json& summary,
                                        const std::vector<eval::EvalExample>& train,
                                        std::string& why_not);

// The input text of `example` after augmentation draw `draw` (non-zero).
std::string augmented_input(const TextRecipe& recipe, const eval::EvalExample& example,
                            uint64_t draw);

}  // namespace tinyllm::worker
