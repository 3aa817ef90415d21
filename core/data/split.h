// Train/validation/test splits that never leak: whole groups (a person, or a recording when
// people are unknown) go to one split, chosen so that every split gets its share of each class.
// Deterministic from the seed.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace tinyllm::data {

enum class Split { train = 0, val = 1, test = 2 };
inline constexpr const char* kSplitNames[] = {"train", "val", "test"};

struct SplitSettings {
  double train = 0.8, val = 0.1, test = 0.1;
  uint64_t seed = 1234;
  std::string group_by = "subject";  // "subject", "series", or "row" (independent rows)
};

struct GroupInfo {
  std::string key;
  std::map<int32_t, uint64_t> class_counts;  // labelled rows per class
  uint64_t rows = 0;
};

std::vector<Split> assign_splits(const std::vector<GroupInfo>& groups,
                                 const SplitSettings& settings);

// What the split is grouped by when the settings ask for people but the data has too few:
// sessions for time series when there are enough of them, else recordings ("series"); rows for
// independent fingerprints.
struct Grouping {
  std::string group_by;  // "subject", "session", "series" or "row"
  std::string note;      // why it differs from settings.group_by; empty when it does not
};
// `subjects`/`sessions`: distinct non-empty people and sessions over all series.
Grouping choose_grouping(const SplitSettings& settings, bool time_series, size_t subjects,
                         size_t sessions);
// The group of one series under `group_by`; a series without a person or session is its own.
std::string group_key(const std::string& group_by, const std::string& source_id,
                      const std::string& series_id, const std::string& subject,
                      const std::string& session);

// Looks at the examples of a finished split for what makes its scores misleading: a class
// missing from a split that should have it, and validation/test inputs identical to a training
// input (the score then measures memory). Warnings are plain sentences for the CLI and GUI.
class SplitAudit {
 public:
  explicit SplitAudit(const SplitSettings& settings) : settings_(settings) {}
  // `label` empty for examples without a class (positions).
  void add(Split split, const std::string& label, const std::string& input);
  std::vector<std::string> warnings() const;

 private:
  SplitSettings settings_;
  std::map<std::string, uint64_t> per_class_[3];
  std::vector<uint64_t> inputs_[3];  // hashes of the input texts
};

// For independent rows (RSSI fingerprints without people): a stable pseudo-random split.
Split split_for_row(uint64_t seed, const std::string& series_id, size_t row,
                    const SplitSettings& settings);

uint64_t hash_string(const std::string& text, uint64_t seed);

}  // namespace tinyllm::data
