// task_<split>.windows.bin: each task example's readings, in the order of the task file's lines,
// so that baselines, augmentation and the mistakes view start from the numbers, not the text.
//
//   bytes 0..7   magic "TLWINDW1"
//   u32          channels
//   u64          examples
//   per example  u32 rows, then rows x channels float32 (row-major; NaN: not heard)
// All little-endian. The reader is core/eval/examples.h (read_examples).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "base/result.h"

namespace tinyllm::data {

inline constexpr char kWindowsMagic[] = "TLWINDW1";

// Collects the examples in memory (the count comes first in the file), then writes the file
// atomically.
class WindowsFileWriter {
 public:
  explicit WindowsFileWriter(uint32_t channels = 0) : channels_(channels) {}
  void set_channels(uint32_t channels) { channels_ = channels; }
  // `values`: rows x channels readings.
  void add(const float* values, uint32_t rows);
  uint64_t count() const { return count_; }
  Status write(const std::filesystem::path& path) const;

 private:
  uint32_t channels_;
  uint64_t count_ = 0;
  std::string records_;
};

}  // namespace tinyllm::data
