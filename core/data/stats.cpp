#include "data/stats.h"

#include <algorithm>
#include <cmath>

namespace tinyllm::data {

void ChannelStats::add(double v) {
  if (std::isnan(v)) {
    ++missing;
    return;
  }
  ++count;
  if (v < min) {
    min = v;
    at_min = 0;
  }
  if (v > max) {
    max = v;
    at_max = 0;
  }
  at_min += v == min;
  at_max += v == max;
  double delta = v - mean;
  mean += delta / double(count);
  m2 += delta * (v - mean);
}

double ChannelStats::stddev() const {
  return count > 1 ? std::sqrt(m2 / double(count - 1)) : 0;
}

void DatasetStats::add(const Series& s, const Schema& schema,
                       const std::vector<std::string>& classes) {
  const size_t nc = schema.channels.size();
  if (channels.size() != nc) channels.resize(nc);
  ++series;
  rows += s.rows();
  subject_rows[s.subject.empty() ? "(none)" : s.subject] += s.rows();
  std::map<int32_t, uint64_t> counts;
  for (size_t r = 0; r < s.rows(); ++r) {
    for (size_t c = 0; c < nc; ++c)
      channels[c].add(s.values[r * nc + c]);
    int32_t label = s.labels[r];
    if (label == kNoLabel) {
      ++unlabeled_rows;
    } else {
      ++counts[label];
    }
  }
  // A series counts for every class it holds: a group of fingerprints (or a recording with
  // several activities) is evidence for each of them, not only for its most common one.
  for (auto [label, n] : counts) {
    class_rows[classes.at(size_t(label))] += n;
    ++class_series[classes.at(size_t(label))];
  }
  if (s.time_s.size() >= 2) {
    duration_s += s.time_s.back() - s.time_s.front();
    std::vector<double> dt;
    dt.reserve(s.time_s.size() - 1);
    for (size_t i = 1; i < s.time_s.size(); ++i)
      if (s.time_s[i] > s.time_s[i - 1]) dt.push_back(s.time_s[i] - s.time_s[i - 1]);
    if (!dt.empty()) {
      std::nth_element(dt.begin(), dt.begin() + dt.size() / 2, dt.end());
      series_rates.push_back(1.0 / dt[dt.size() / 2]);
    }
  } else if (schema.sample_rate_hz > 0 && s.rows() > 1) {
    duration_s += double(s.rows() - 1) / schema.sample_rate_hz;
  }
}

void DatasetStats::finish() {
  if (!series_rates.empty()) {
    std::nth_element(series_rates.begin(), series_rates.begin() + series_rates.size() / 2,
                     series_rates.end());
    sample_rate_hz = series_rates[series_rates.size() / 2];
    series_rates.clear();
  }
}

double DatasetStats::missing_share() const {
  uint64_t present = 0, missing = 0;
  for (const auto& c : channels) {
    present += c.count;
    missing += c.missing;
  }
  return present + missing ? double(missing) / double(present + missing) : 0;
}

nlohmann::json to_json(const DatasetStats& st, const Schema& schema) {
  nlohmann::json channels = nlohmann::json::array();
  for (size_t c = 0; c < st.channels.size(); ++c) {
    const auto& ch = st.channels[c];
    nlohmann::json j = {{"name", schema.channels[c].name},
                        {"unit", schema.channels[c].unit},
                        {"count", ch.count},
                        {"missing", ch.missing}};
    if (ch.count) {
      j["min"] = ch.min;
      j["max"] = ch.max;
      j["mean"] = ch.mean;
      j["std"] = ch.stddev();
    }
    channels.push_back(j);
  }
  return {{"rows", st.rows},
          {"series", st.series},
          {"unlabeled_rows", st.unlabeled_rows},
          {"duration_s", st.duration_s},
          {"sample_rate_hz", st.sample_rate_hz},
          {"missing_share", st.missing_share()},
          {"class_rows", st.class_rows},
          {"class_series", st.class_series},
          {"subject_rows", st.subject_rows},
          {"channels", channels}};
}

void report_channel_findings(const DatasetStats& st, const Schema& schema, Report& report) {
  uint64_t never_heard = 0;
  for (size_t c = 0; c < st.channels.size(); ++c) {
    const auto& ch = st.channels[c];
    const std::string& name = schema.channels[c].name;
    if (ch.count == 0) {
      if (schema.kind == SensorKind::rssi) {
        ++never_heard;
      } else {
        report.add(Severity::warning, "empty_channel", name, "channel has no values at all");
      }
      continue;
    }
    if (ch.count > 1 && ch.min == ch.max) {
      if (schema.kind == SensorKind::imu)
        report.add(Severity::warning, "constant", name,
                   "channel is constant (" + std::to_string(ch.min) + "): a stuck sensor?");
      continue;
    }
    // Clipping: a noticeable share of samples sit exactly on an extreme. RSSI floors are not
    // clipping (weak signals legitimately repeat the sensitivity limit).
    if (schema.kind != SensorKind::imu) continue;
    for (auto [at, value, side] :
         {std::tuple{ch.at_max, ch.max, "upper"}, std::tuple{ch.at_min, ch.min, "lower"}}) {
      if (at >= 5 && double(at) >= 0.001 * double(ch.count)) {
        char buf[160];
        std::snprintf(buf, sizeof buf,
                      "%llu samples sit at the %s end of the range (%g %s): "
                      "the sensor clipped",
                      static_cast<unsigned long long>(at), side, value,
                      schema.channels[c].unit.c_str());
        report.add(Severity::warning, "clipping", name, buf);
      }
    }
  }
  if (never_heard)
    report.add(Severity::info, "never_heard", "access points",
               std::to_string(never_heard) + " of " + std::to_string(st.channels.size()) +
                   " access points are never heard in this source");
}

}  // namespace tinyllm::data
