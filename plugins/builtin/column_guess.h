// Guessing what a CSV column holds from its name and values, shared by the IMU and RSSI
// importers. Everything guessed is reported as a note and can be overridden in the mapping.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "data/csv.h"

namespace tinyllm::plugins {

// Lower-case letters and digits only: "Acc_X (mg)" -> "accxmg".
std::string squash(const std::string& name);
// The column whose squashed name is one of `names`.
std::optional<size_t> find_column(const data::CsvSniff& sniff,
                                  const std::vector<std::string>& names);
// Parsed values of one column over the preview rows (non-numbers skipped).
std::vector<double> column_values(const data::CsvSniff& sniff, size_t column);
bool column_is_numeric(const data::CsvSniff& sniff, size_t column);
// A unit written in a column name: "ax_mg" -> "mg", "gyro_x (deg/s)" -> "deg/s".
std::string unit_from_name(const std::string& name);
double median(std::vector<double> values);

}  // namespace tinyllm::plugins
