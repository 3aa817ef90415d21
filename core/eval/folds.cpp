#include "eval/folds.h"

#include <algorithm>
#include <map>

namespace tinyllm::eval {

Result<std::vector<Fold>> subject_folds(const std::vector<std::string>& subjects, int k,
                                        const std::vector<std::string>& recordings) {
  if (k < 2) return make_error("folds", "k must be at least 2, got " + std::to_string(k));
  if (!recordings.empty() && recordings.size() != subjects.size())
    return make_error("folds", "one recording per example needed, got " +
                                   std::to_string(recordings.size()) + " for " +
                                   std::to_string(subjects.size()));
  // The unit every example belongs to: its person, or its recording when the person is unknown
  // ('\x1f' keeps a recording's unit apart from a person of the same name).
  std::vector<std::string> unit(subjects.size());
  std::map<std::string, size_t> counts;
  size_t people = 0;
  for (size_t i = 0; i < subjects.size(); ++i) {
    if (!subjects[i].empty()) {
      unit[i] = subjects[i];
    } else if (!recordings.empty()) {
      unit[i] = '\x1f' + recordings[i];
    } else {
      return make_error("folds: example " + std::to_string(i),
                        "has no subject; k-fold over people needs the people to be known "
                        "(evaluate on the prepared split instead)");
    }
    if (counts[unit[i]]++ == 0 && !subjects[i].empty()) ++people;
  }
  if (people < size_t(k))
    return make_error("folds", std::to_string(k) + " folds need at least " + std::to_string(k) +
                                   " people, the data has " + std::to_string(people));
  std::vector<std::pair<std::string, size_t>> order(counts.begin(), counts.end());
  // People first (so every fold tests at least one person), then unknown people's recordings;
  // each largest first.
  std::stable_sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    const bool a_recording = a.first.front() == '\x1f', b_recording = b.first.front() == '\x1f';
    if (a_recording != b_recording) return b_recording;
    return a.second > b.second;
  });
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
  for (const auto& [name, f] : fold_of) {  // map order: sorted
    if (name.front() == '\x1f')
      folds[size_t(f)].test_recordings.push_back(name.substr(1));
    else
      folds[size_t(f)].test_subjects.push_back(name);
  }
  for (size_t i = 0; i < subjects.size(); ++i) {
    const int home = fold_of[unit[i]];
    for (int f = 0; f < k; ++f)
      (f == home ? folds[size_t(f)].test : folds[size_t(f)].train).push_back(i);
  }
  return folds;
}

}  // namespace tinyllm::eval
