// The task examples of one prepared split, with the raw numbers of each example's window.
//
// Reads what the prepare step writes beside each other for a split S (train, val, test):
//   task_S.jsonl        one JSON object per line: "prompt", "response", "label" (class text, ""
//                       for position tasks), "split", "series", "subject", "start", "rows",
//                       optional "target": [x, y]
//   task_S.windows.bin  the windows, in the same order as the lines:
//     1. bytes 0..7  magic "TLWINDW1"
//     2. u32 LE      channels (C)
//     3. u64 LE      count (N), equal to the number of lines of task_S.jsonl
//     4. N records:  u32 LE rows (R), then R*C float32 LE, row-major (time-major)
//   NaN is a missing value (an RSSI access point not heard). Values are in the prepared units.
// RSSI examples are one row of C access points; IMU examples are R rows (R varies) of C channels.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"

namespace tinyllm::eval {

// A point in metres (position tasks).
struct Point {
  double x = 0;
  double y = 0;
};

struct EvalExample {
  std::string prompt;    // the model's input text
  std::string response;  // the expected answer text
  std::string label;     // class text; "" for position tasks
  std::string split;
  std::string series;
  std::string subject;  // "" when people are not known
  int64_t start = 0;    // first row of the window in its series
  int64_t rows = 0;     // rows of the series the window covers
  std::optional<Point> target;
  uint32_t channels = 0;      // C
  uint32_t window_rows = 0;   // R: rows of `window`
  std::vector<float> window;  // R*C values, time-major; NaN = missing
};

// Reads task_<split>.jsonl and task_<split>.windows.bin of `prepared_dir`. Errors name the file
// and the line (jsonl) or the byte offset (windows); a different example count in the two files
// is an error.
Result<std::vector<EvalExample>> read_task_split(const std::filesystem::path& prepared_dir,
                                                 const std::string& split);

// The distinct non-empty labels of `examples`, sorted: the class list when the task template's
// answer set is not at hand.
std::vector<std::string> labels_of(const std::vector<EvalExample>& examples);

// The index of `label` in `classes`, or -1.
int class_index(const std::vector<std::string>& classes, const std::string& label);

// The class index of every example's label; a label not among `classes` is an error naming the
// example.
Result<std::vector<int>> class_indices(const std::vector<EvalExample>& examples,
                                       const std::vector<std::string>& classes);

// Pointers to examples, so that folds can pick examples without copying their windows.
using ExampleRefs = std::vector<const EvalExample*>;
ExampleRefs refs_of(const std::vector<EvalExample>& examples);
ExampleRefs refs_of(const std::vector<EvalExample>& examples, const std::vector<size_t>& indices);

// "series@start", how an example is named in errors.
std::string example_name(const EvalExample& example);

}  // namespace tinyllm::eval
