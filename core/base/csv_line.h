// One line of the CSV a sensor prints, split at its commas: the recorder (core/deploy) and the
// edge runtime (tinyllm-run classify --csv, stream) read the same lines the same way. Sensor
// output has no quoted commas; quotes and a trailing carriage return are dropped. Files from
// elsewhere go through core/data's full CSV reader instead. Header-only C++17.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace tinyllm {

inline std::vector<std::string> split_sensor_csv_line(std::string_view line) {
  std::vector<std::string> fields;
  std::string field;
  for (char c : line) {
    if (c == ',') {
      fields.push_back(field);
      field.clear();
    } else if (c != '\r' && c != '"') {
      field += c;
    }
  }
  fields.push_back(field);
  return fields;
}

}  // namespace tinyllm
