// Raw readings as CSV for classify --csv and stream: a header naming the columns, then one
// reading per line. Columns are matched to the model's channels by name (case-insensitive), in
// the recorded units; other columns (a label, a person) are ignored; a time column (time_ms,
// timestamp_ms, t_ms in ms; time_s, time, t, timestamp in s) gives the time axis. An empty cell
// is a missing value (an access point not heard).
#pragma once

#include <string>
#include <vector>

#include "base/result.h"
#include "infer/recipe.h"

namespace tinyllm::run {

class ReadingsCsv {
 public:
  // `where` names the input in errors ("readings.csv", "stdin").
  static Result<ReadingsCsv> from_header(const std::string& line, const infer::Recipe& recipe,
                                         const std::string& where);
  bool has_time() const { return time_column_ >= 0; }
  // Appends one row's channel values (and its time in seconds when there is a time column).
  Status parse(const std::string& line, size_t line_number, std::vector<float>& values,
               std::vector<double>& time_s) const;

 private:
  std::vector<int> channel_column_;  // per model channel, its CSV column
  int time_column_ = -1;
  double time_scale_ = 1;  // to seconds
  size_t columns_ = 0;
  std::string where_;
};

}  // namespace tinyllm::run
