#include "data/split.h"

#include <algorithm>
#include <numeric>
#include <set>

namespace tinyllm::data {

uint64_t mix64(uint64_t x) {  // splitmix64 finalizer
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t hash_string(const std::string& text, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ mix64(seed);
  for (unsigned char c : text)
    h = (h ^ c) * 0x100000001b3ULL;
  return mix64(h);
}

std::vector<Split> assign_splits(const std::vector<GroupInfo>& groups, const SplitSettings& st) {
  const size_t n = groups.size();
  std::vector<Split> out(n, Split::train);
  if (n == 0) return out;
  const double fractions[3] = {st.train, st.val, st.test};
  const double total_fraction = st.train + st.val + st.test;

  std::set<int32_t> classes;
  std::map<int32_t, double> class_total;
  double rows_total = 0;
  for (const auto& g : groups) {
    for (auto [c, k] : g.class_counts) {
      classes.insert(c);
      class_total[c] += double(k);
    }
    rows_total += double(g.rows);
  }
  // Seeded shuffle, then largest groups first: big groups are placed while there is room.
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::vector<uint64_t> keys(n);
  for (size_t i = 0; i < n; ++i)
    keys[i] = hash_string(groups[i].key, st.seed);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (groups[a].rows != groups[b].rows) return groups[a].rows > groups[b].rows;
    return keys[a] < keys[b];
  });
  std::map<int32_t, double> assigned[3];
  double assigned_rows[3] = {0, 0, 0};
  size_t assigned_groups[3] = {0, 0, 0};
  for (size_t i : order) {
    const auto& g = groups[i];
    int best = 0;
    double best_score = -1e300;
    for (int s = 0; s < 3; ++s) {
      if (fractions[s] <= 0) continue;
      const double share = fractions[s] / total_fraction;
      // How much of this group fills what the split still lacks, per class and in rows.
      double fill = 0;
      for (auto [c, k] : g.class_counts) {
        double want = share * class_total[c] - assigned[s][c];
        fill += std::min(double(k), std::max(0.0, want));
      }
      double labelled = 0;
      for (auto [c, k] : g.class_counts)
        labelled += double(k);
      double rows_want = share * rows_total - assigned_rows[s];
      double score = (labelled > 0 ? fill / labelled : 0) +
                     0.5 * std::min(1.0, std::max(-1.0, rows_want / std::max(1.0, double(g.rows))));
      // An empty split that should have data gets priority once the train split has its first.
      if (assigned_groups[s] == 0 && assigned_groups[0] > 0) score += 1.0;
      if (score > best_score) {
        best_score = score;
        best = s;
      }
    }
    out[i] = Split(best);
    for (auto [c, k] : g.class_counts)
      assigned[best][c] += double(k);
    assigned_rows[best] += double(g.rows);
    ++assigned_groups[best];
  }
  return out;
}

Split split_for_row(uint64_t seed, const std::string& series_id, size_t row,
                    const SplitSettings& st) {
  const double total = st.train + st.val + st.test;
  double u = double(mix64(hash_string(series_id, seed) ^ mix64(row)) >> 11) / double(1ULL << 53);
  u *= total;
  if (u < st.train) return Split::train;
  if (u < st.train + st.val) return Split::val;
  return Split::test;
}

}  // namespace tinyllm::data
