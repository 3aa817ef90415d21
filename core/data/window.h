// Time-series shaping before serialization: resampling to a chosen rate and cutting windows.
#pragma once

#include <string>
#include <vector>

#include "data/recording.h"

namespace tinyllm::data {

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

// Resamples to `target_hz` by linear interpolation of values and targets; labels and source
// lines come from the nearest earlier row. A series without a time axis is taken to be evenly
// sampled at `source_hz`. The result has a time axis starting where the input starts.
Series resample(const Series& series, size_t channels, size_t targets, double source_hz,
                double target_hz);

}  // namespace tinyllm::data
