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

// For independent rows (RSSI fingerprints without people): a stable pseudo-random split.
Split split_for_row(uint64_t seed, const std::string& series_id, size_t row,
                    const SplitSettings& settings);

uint64_t mix64(uint64_t x);
uint64_t hash_string(const std::string& text, uint64_t seed);

}  // namespace tinyllm::data
