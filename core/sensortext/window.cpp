#include "sensortext/sensor_text.h"

#include <algorithm>
#include <cmath>
#include <map>

namespace tinyllm::sensortext {

std::string to_string(LabelPolicy p) {
  switch (p) {
    case LabelPolicy::segments:
      return "segments";
    case LabelPolicy::majority:
      return "majority";
    case LabelPolicy::center:
      return "center";
  }
  return "?";
}

bool label_policy_from_string(const std::string& text, LabelPolicy& out) {
  for (auto p : {LabelPolicy::segments, LabelPolicy::majority, LabelPolicy::center})
    if (to_string(p) == text) {
      out = p;
      return true;
    }
  return false;
}

namespace {

void slide(size_t begin, size_t end, size_t size, size_t stride, size_t min_size,
           const std::vector<int32_t>& labels, LabelPolicy policy, std::vector<WindowSpan>& out) {
  const size_t n = end - begin;
  auto label_of = [&](size_t start, size_t rows) {
    if (policy == LabelPolicy::segments) return labels[start];
    if (policy == LabelPolicy::center) return labels[start + rows / 2];
    std::map<int32_t, size_t> counts;
    for (size_t r = start; r < start + rows; ++r)
      ++counts[labels[r]];
    return std::max_element(counts.begin(), counts.end(),
                            [](auto& a, auto& b) { return a.second < b.second; })
        ->first;
  };
  if (n < min_size || n == 0) return;
  if (n <= size) {
    out.push_back({begin, n, label_of(begin, n)});
    return;
  }
  for (size_t start = begin; start + size <= end; start += stride)
    out.push_back({start, size, label_of(start, size)});
}

}  // namespace

std::vector<WindowSpan> make_windows(const std::vector<int32_t>& labels, size_t size, size_t stride,
                                     size_t min_size, LabelPolicy policy) {
  std::vector<WindowSpan> out;
  size = std::max<size_t>(size, 1);
  stride = std::max<size_t>(stride, 1);
  if (policy != LabelPolicy::segments) {
    slide(0, labels.size(), size, stride, min_size, labels, policy, out);
    return out;
  }
  size_t run = 0;
  for (size_t r = 1; r <= labels.size(); ++r)
    if (r == labels.size() || labels[r] != labels[run]) {
      slide(run, r, size, stride, min_size, labels, policy, out);
      run = r;
    }
  return out;
}

Series resample(const Series& s, size_t nc, size_t nt, double source_hz, double target_hz) {
  Series out;
  out.id = s.id;
  out.subject = s.subject;
  out.session = s.session;
  out.origin = s.origin;
  const size_t n = s.rows();
  if (n == 0 || target_hz <= 0) return out;
  auto time_at = [&](size_t r) { return s.time_s.empty() ? double(r) / source_hz : s.time_s[r]; };
  const double t0 = time_at(0), t1 = time_at(n - 1);
  const size_t m = size_t(std::floor((t1 - t0) * target_hz + 1e-9)) + 1;
  out.time_s.reserve(m);
  out.values.reserve(m * nc);
  size_t j = 0;
  for (size_t k = 0; k < m; ++k) {
    const double t = t0 + double(k) / target_hz;
    while (j + 1 < n && time_at(j + 1) <= t)
      ++j;
    const size_t a = j, b = std::min(j + 1, n - 1);
    const double ta = time_at(a), tb = time_at(b);
    const double f = (b == a || tb <= ta) ? 0.0 : std::clamp((t - ta) / (tb - ta), 0.0, 1.0);
    out.time_s.push_back(t);
    for (size_t c = 0; c < nc; ++c) {
      float va = s.values[a * nc + c], vb = s.values[b * nc + c];
      out.values.push_back(float(va + f * (vb - va)));
    }
    for (size_t c = 0; c < nt; ++c) {
      float va = s.targets[a * nt + c], vb = s.targets[b * nt + c];
      out.targets.push_back(float(va + f * (vb - va)));
    }
    out.labels.push_back(s.labels[a]);
    out.lines.push_back(s.lines[a]);
  }
  return out;
}

}  // namespace tinyllm::sensortext
