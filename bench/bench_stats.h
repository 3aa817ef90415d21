// Ratios one can trust on a shared machine: the benchmarks time ours and the reference in
// alternating rounds (the order swaps every round, so drift and warm caches hit both), take the
// ratio within each round, and report the median ratio with its spread (min..max over rounds).
// TINYLLM_BENCH_ROUNDS sets the number of rounds (a quick check: 2).
#pragma once

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace tinyllm::bench {

// Rounds from --rounds, else TINYLLM_BENCH_ROUNDS, else `fallback`.
inline int rounds_setting(int from_args, int fallback) {
  if (from_args > 0) return from_args;
  if (const char* env = std::getenv("TINYLLM_BENCH_ROUNDS"); env && std::atoi(env) > 0)
    return std::atoi(env);
  return fallback;
}

// Whether round `r` runs ours first: alternate, so neither side always goes first.
inline bool ours_first(int round) {
  return round % 2 == 0;
}

struct Spread {
  double median = 0, min = 0, max = 0;
  size_t count = 0;
};

// Median (mean of the middle two for an even count), min and max; zeros when empty.
inline Spread spread(std::vector<double> values) {
  Spread s;
  s.count = values.size();
  if (values.empty()) return s;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  s.median = n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
  s.min = values.front();
  s.max = values.back();
  return s;
}

// "1.09x (0.98..1.14, 5 rounds)"
inline std::string format_ratio(const Spread& s) {
  if (s.count == 0) return "n/a";
  char buf[96];
  std::snprintf(buf, sizeof buf, "%.2fx (%.2f..%.2f, %zu rounds)", s.median, s.min, s.max, s.count);
  return buf;
}

}  // namespace tinyllm::bench
