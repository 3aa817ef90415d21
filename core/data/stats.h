// Dataset statistics for reports and the GUI: per-class and per-person counts, per-channel
// ranges, missing-value share, sample-rate estimate. Accumulated in one streaming pass.
#pragma once

#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/recording.h"

namespace tinyllm::data {

struct ChannelStats {
  uint64_t count = 0;    // present values
  uint64_t missing = 0;  // NaN values
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  uint64_t at_min = 0, at_max = 0;  // how often the extremes occur: many means clipping
  double mean = 0, m2 = 0;          // Welford

  void add(double v);
  double stddev() const;
};

struct DatasetStats {
  std::vector<ChannelStats> channels;
  std::map<std::string, uint64_t> class_rows;
  std::map<std::string, uint64_t> class_series;  // series with at least one row of the class
  std::map<std::string, uint64_t> subject_rows;
  uint64_t rows = 0, series = 0, unlabeled_rows = 0;
  double duration_s = 0;
  double sample_rate_hz = 0;         // estimate from the time axis (median of series medians)
  std::vector<double> series_rates;  // per-series median rates; folded into sample_rate_hz

  void add(const Series& series, const Schema& schema, const std::vector<std::string>& classes);
  void finish();  // computes the estimates
  double missing_share() const;
};

nlohmann::json to_json(const DatasetStats& stats, const Schema& schema);
// Reports clipping (many values at the range ends) and constant channels.
void report_channel_findings(const DatasetStats& stats, const Schema& schema, Report& report);

}  // namespace tinyllm::data
