// Cleaning one series as it is imported: sort by time (temporal order matters), drop duplicate
// timestamps, fill NaN/inf readings by linear interpolation, cut at gaps, drop empty RSSI
// fingerprints. Every fix is reported with the source line so the user can check it.
// Clipping and constant channels need the whole source and are found from the statistics.
#pragma once

#include <vector>

#include "data/recording.h"

namespace tinyllm::data {

struct CleanOptions {
  double gap_factor = 5.0;  // a time step longer than this many median steps cuts the series
  size_t min_rows = 2;      // IMU parts shorter than this after cutting are dropped
};

// Cleans `series` and returns the parts to keep (one, or several after cutting at gaps).
std::vector<Series> clean_series(Series series, const Schema& schema, const CleanOptions& options,
                                 Report& report);

}  // namespace tinyllm::data
