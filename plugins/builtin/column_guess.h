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
// Parsed finite values of one column over the preview rows. Non-numbers, NaN and inf are
// skipped: a guess from values must not be swayed by the readings cleaning will repair.
std::vector<double> column_values(const data::CsvSniff& sniff, size_t column);
// Share of the non-empty preview cells of a column that are numbers (0 when all are empty).
double numeric_share(const data::CsvSniff& sniff, size_t column);
bool column_is_numeric(const data::CsvSniff& sniff, size_t column);
// Columns whose header name occurs more than once, as "'x' (columns 2 and 5)"; empty if none.
std::vector<std::string> duplicate_names(const data::CsvSniff& sniff);
// How a mapping should name a column: by its header name, or by its 1-based number when the
// name is not unique (so that the reader cannot take another column of the same name).
std::string column_ref(const data::CsvSniff& sniff, size_t column);
// A unit written in a column name: "ax_mg" -> "mg", "gyro_x (deg/s)" -> "deg/s".
std::string unit_from_name(const std::string& name);
double median(std::vector<double> values);
// The q-quantile (0..1) of values, by nearest rank; 0 for none.
double quantile(std::vector<double> values, double q);

}  // namespace tinyllm::plugins
