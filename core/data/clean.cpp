#include "data/clean.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tinyllm::data {

namespace {

std::string at_line(const Series& s, size_t row) {
  std::string file = s.origin.substr(0, s.origin.rfind(':'));
  return file + ":" + std::to_string(s.lines[row]);
}

// Keeps the rows in `order` (indices), in that order.
void take_rows(Series& s, const std::vector<size_t>& order, size_t nc, size_t nt) {
  Series out;
  out.id = s.id;
  out.subject = s.subject;
  out.session = s.session;
  out.origin = s.origin;
  for (size_t r : order) {
    if (!s.time_s.empty()) out.time_s.push_back(s.time_s[r]);
    out.values.insert(out.values.end(), s.values.begin() + long(r * nc),
                      s.values.begin() + long((r + 1) * nc));
    out.targets.insert(out.targets.end(), s.targets.begin() + long(r * nt),
                       s.targets.begin() + long((r + 1) * nt));
    out.labels.push_back(s.labels[r]);
    out.lines.push_back(s.lines[r]);
  }
  s = std::move(out);
}

void fill_missing_imu(Series& s, size_t nc, Report& report) {
  const size_t rows = s.rows();
  for (size_t c = 0; c < nc; ++c) {
    size_t r = 0;
    while (r < rows) {
      if (std::isfinite(s.values[r * nc + c])) {
        ++r;
        continue;
      }
      size_t end = r;
      while (end < rows && !std::isfinite(s.values[end * nc + c]))
        ++end;
      report.add(Severity::warning, "nan", at_line(s, r),
                 std::to_string(end - r) + " missing or non-finite value(s) in channel " +
                     std::to_string(c + 1) + "; filled by linear interpolation");
      const bool has_before = r > 0, has_after = end < rows;
      float before = has_before ? s.values[(r - 1) * nc + c] : 0;
      float after = has_after ? s.values[end * nc + c] : 0;
      for (size_t k = r; k < end; ++k) {
        float v;
        if (has_before && has_after) {
          float f = float(k - r + 1) / float(end - r + 1);
          v = before + f * (after - before);
        } else {
          v = has_before ? before : has_after ? after : 0.0f;
        }
        s.values[k * nc + c] = v;
      }
      r = end;
    }
  }
}

}  // namespace

std::vector<Series> clean_series(Series s, const Schema& schema, const CleanOptions& options,
                                 Report& report) {
  const size_t nc = schema.channels.size(), nt = schema.targets.size();
  std::vector<Series> parts;
  if (s.rows() == 0) return parts;

  if (schema.kind == SensorKind::rssi) {
    std::vector<size_t> keep;
    for (size_t r = 0; r < s.rows(); ++r) {
      bool heard = false;
      for (size_t c = 0; c < nc; ++c) {
        float v = s.values[r * nc + c];
        if (std::isnan(v)) continue;
        if (!std::isfinite(v) || v > 0 || v < -130) {
          report.add(Severity::warning, "out_of_range", at_line(s, r),
                     "RSSI " + std::to_string(v) + " dBm for " + schema.channels[c].name +
                         " is outside -130..0; treated as not heard");
          s.values[r * nc + c] = NAN;
          continue;
        }
        heard = true;
      }
      if (heard) {
        keep.push_back(r);
      } else {
        report.add(Severity::warning, "empty_fingerprint", at_line(s, r),
                   "no access point heard in this fingerprint; row dropped");
      }
    }
    if (keep.size() != s.rows()) take_rows(s, keep, nc, nt);
    if (s.rows()) parts.push_back(std::move(s));
    return parts;
  }

  if (!s.time_s.empty()) {
    // Sort by time (stable, so equal times keep file order), then drop repeated timestamps.
    if (!std::is_sorted(s.time_s.begin(), s.time_s.end())) {
      size_t inversions = 0, first = 0;
      for (size_t r = 1; r < s.rows(); ++r)
        if (s.time_s[r] < s.time_s[r - 1] && inversions++ == 0) first = r;
      report.add(Severity::warning, "out_of_order", at_line(s, first),
                 std::to_string(inversions) + " timestamp(s) in series " + s.id +
                     " go backwards; rows sorted by time");
      std::vector<size_t> order(s.rows());
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return s.time_s[a] < s.time_s[b]; });
      take_rows(s, order, nc, nt);
    }
    std::vector<size_t> keep;
    keep.reserve(s.rows());
    for (size_t r = 0; r < s.rows(); ++r) {
      if (r > 0 && s.time_s[r] == s.time_s[keep.back()]) {
        report.add(Severity::warning, "duplicate_time", at_line(s, r),
                   "timestamp repeats the previous row's; row dropped");
        continue;
      }
      keep.push_back(r);
    }
    if (keep.size() != s.rows()) take_rows(s, keep, nc, nt);
  }
  fill_missing_imu(s, nc, report);

  // Cut at gaps: a step much longer than the typical one means the recording paused.
  std::vector<size_t> cuts;
  if (s.time_s.size() >= 3) {
    std::vector<double> dt(s.rows() - 1);
    for (size_t r = 1; r < s.rows(); ++r)
      dt[r - 1] = s.time_s[r] - s.time_s[r - 1];
    std::vector<double> sorted = dt;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    const double median = sorted[sorted.size() / 2];
    for (size_t r = 1; r < s.rows(); ++r)
      if (median > 0 && dt[r - 1] > options.gap_factor * median) {
        cuts.push_back(r);
        char buf[128];
        std::snprintf(buf, sizeof buf, "gap of %.3f s (typical step %.4f s); series cut here",
                      dt[r - 1], median);
        report.add(Severity::warning, "gap", at_line(s, r), buf);
      }
  }
  if (cuts.empty()) {
    parts.push_back(std::move(s));
    return parts;
  }
  cuts.push_back(s.rows());
  size_t start = 0;
  for (size_t k = 0; k < cuts.size(); ++k) {
    std::vector<size_t> rows(cuts[k] - start);
    std::iota(rows.begin(), rows.end(), start);
    start = cuts[k];
    if (rows.size() < options.min_rows) continue;
    Series part = s;
    take_rows(part, rows, nc, nt);
    part.id = s.id + "/" + std::to_string(k + 1);
    part.origin = s.origin.substr(0, s.origin.rfind(':')) + ":" +
                  std::to_string(part.lines.front()) + "-" + std::to_string(part.lines.back());
    parts.push_back(std::move(part));
  }
  return parts;
}

}  // namespace tinyllm::data
