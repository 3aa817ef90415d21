#include "data/split.h"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <set>
#include <unordered_set>

#include "base/random.h"

namespace tinyllm::data {

uint64_t hash_string(const std::string& text, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ splitmix64(seed);
  for (unsigned char c : text)
    h = (h ^ c) * 0x100000001b3ULL;
  return splitmix64(h);
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

Grouping choose_grouping(const SplitSettings& st, bool time_series, size_t subjects,
                         size_t sessions) {
  Grouping g{st.group_by, ""};
  if (g.group_by == "subject" && subjects < 3) {
    const std::string why = subjects == 0 ? "the data names no person (one unknown person)"
                                          : "fewer than 3 people/subjects in the data";
    g.group_by = !time_series ? "row" : sessions >= 3 ? "session" : "series";
    const std::string unit = g.group_by == "row"       ? "fingerprint (row)"
                             : g.group_by == "session" ? "session"
                                                       : "recording (series)";
    g.note = why + ": split by " + unit +
             " instead, so results may be optimistic for people the model has not seen";
  }
  if (g.group_by == "row" && time_series) {
    g.group_by = "series";
    g.note = "IMU windows overlap, so rows cannot be split independently: split by series";
  }
  return g;
}

std::string group_key(const std::string& group_by, const std::string& source_id,
                      const std::string& series_id, const std::string& subject,
                      const std::string& session) {
  if (group_by == "subject" && !subject.empty()) return "subject:" + subject;
  if (group_by == "session" && !session.empty()) return "session:" + source_id + "/" + session;
  return "series:" + source_id + "/" + series_id;
}

void SplitAudit::add(Split split, const std::string& label, const std::string& input) {
  const int s = int(split);
  if (!label.empty()) ++per_class_[s][label];
  inputs_[s].push_back(hash_string(input, 0));
}

std::vector<std::string> SplitAudit::warnings() const {
  std::vector<std::string> out;
  const double fractions[3] = {settings_.train, settings_.val, settings_.test};
  const char* names[3] = {"training", "validation", "test"};
  std::set<std::string> classes;
  for (const auto& counts : per_class_)
    for (const auto& [label, n] : counts)
      if (n) classes.insert(label);
  auto list = [](const std::vector<std::string>& items) {
    std::string text;
    for (size_t i = 0; i < items.size() && i < 8; ++i)
      text += (i ? ", " : "") + items[i];
    if (items.size() > 8) text += ", ... (" + std::to_string(items.size()) + " in all)";
    return text;
  };
  for (int s = 0; s < 3; ++s) {
    if (fractions[s] <= 0) continue;
    std::vector<std::string> missing;
    for (const auto& c : classes)
      if (!per_class_[s].count(c)) missing.push_back(c);
    if (missing.empty()) continue;
    const std::string consequence =
        s == 0 ? "the model never learns them"
               : "the " + std::string(names[s]) + " score says nothing about them";
    out.push_back("the " + std::string(names[s]) + " split has no examples of " +
                  std::to_string(missing.size()) + " of " + std::to_string(classes.size()) +
                  " classes (" + list(missing) + "): " + consequence +
                  "; try another split seed or grouping, or more data for those classes");
  }
  std::unordered_set<uint64_t> train(inputs_[0].begin(), inputs_[0].end());
  for (int s = 1; s < 3; ++s) {
    uint64_t same = 0;
    for (uint64_t h : inputs_[s])
      same += train.count(h);
    if (same == 0) continue;
    char share[32];
    std::snprintf(share, sizeof share, "%.1f%%", 100.0 * double(same) / double(inputs_[s].size()));
    out.push_back(std::to_string(same) + " of " + std::to_string(inputs_[s].size()) + " " +
                  names[s] + " examples (" + share +
                  ") have exactly the same input as a training example: on those the score "
                  "measures memory, not generalization");
  }
  return out;
}

Split split_for_row(uint64_t seed, const std::string& series_id, size_t row,
                    const SplitSettings& st) {
  const double total = st.train + st.val + st.test;
  double u =
      double(splitmix64(hash_string(series_id, seed) ^ splitmix64(row)) >> 11) / double(1ULL << 53);
  u *= total;
  if (u < st.train) return Split::train;
  if (u < st.train + st.val) return Split::val;
  return Split::test;
}

}  // namespace tinyllm::data
