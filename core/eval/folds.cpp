#include "eval/folds.h"

#include <algorithm>
#include <map>

namespace tinyllm::eval {

Result<std::vector<Fold>> subject_folds(const std::vector<std::string>& subjects, int k) {
  if (k < 2) return make_error("folds", "k must be at least 2, got " + std::to_string(k));
  std::map<std::string, size_t> counts;
  for (size_t i = 0; i < subjects.size(); ++i) {
    if (subjects[i].empty())
      return make_error("folds: example " + std::to_string(i),
                        "has no subject; k-fold over people needs the people to be known "
                        "(evaluate on the prepared split instead)");
    ++counts[subjects[i]];
  }
  if (counts.size() < size_t(k))
    return make_error("folds", std::to_string(k) + " folds need at least " + std::to_string(k) +
                                   " people, the data has " + std::to_string(counts.size()));
  std::vector<std::pair<std::string, size_t>> order(counts.begin(), counts.end());
  std::stable_sort(order.begin(), order.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<size_t> fold_size(size_t(k), 0);
  std::map<std::string, int> fold_of;
  for (const auto& [subject, count] : order) {
    const int f = int(std::min_element(fold_size.begin(), fold_size.end()) - fold_size.begin());
    fold_of[subject] = f;
    fold_size[size_t(f)] += count;
  }
  std::vector<Fold> folds(static_cast<size_t>(k));
  for (int f = 0; f < k; ++f)
    folds[size_t(f)].fold = f;
  for (const auto& [subject, f] : fold_of)  // map order: subjects sorted
    folds[size_t(f)].test_subjects.push_back(subject);
  for (size_t i = 0; i < subjects.size(); ++i) {
    const int home = fold_of[subjects[i]];
    for (int f = 0; f < k; ++f)
      (f == home ? folds[size_t(f)].test : folds[size_t(f)].train).push_back(i);
  }
  return folds;
}

}  // namespace tinyllm::eval
