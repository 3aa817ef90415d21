#include "text/trie.h"

#include <algorithm>

namespace tinyllm::text::detail {

void ByteTrie::build(std::vector<std::pair<std::string_view, int32_t>> entries) {
  std::sort(entries.begin(), entries.end());
  nodes_.clear();
  labels_.clear();
  targets_.clear();
  build_node(entries, 0, entries.size(), 0);
  root_children_.fill(kNone);
  const Node& root = nodes_[kRoot];
  for (uint32_t i = 0; i < root.edge_count; ++i)
    root_children_[labels_[root.edge_begin + i]] = targets_[root.edge_begin + i];
}

// Builds the node for the keys in [lo, hi), which share their first `depth` bytes.
int32_t ByteTrie::build_node(const std::vector<std::pair<std::string_view, int32_t>>& entries,
                             size_t lo, size_t hi, size_t depth) {
  const auto node = static_cast<int32_t>(nodes_.size());
  nodes_.emplace_back();
  if (lo < hi && entries[lo].first.size() == depth) nodes_.back().value = entries[lo++].second;

  // Groups of keys by their byte at `depth`; sorted keys make each group contiguous.
  std::vector<std::pair<uint8_t, std::pair<size_t, size_t>>> groups;
  for (size_t i = lo; i < hi;) {
    const auto byte = static_cast<uint8_t>(entries[i].first[depth]);
    size_t j = i + 1;
    while (j < hi && static_cast<uint8_t>(entries[j].first[depth]) == byte)
      ++j;
    groups.push_back({byte, {i, j}});
    i = j;
  }
  const auto begin = static_cast<uint32_t>(labels_.size());
  labels_.resize(begin + groups.size());
  targets_.resize(begin + groups.size());
  nodes_[static_cast<size_t>(node)].edge_begin = begin;
  nodes_[static_cast<size_t>(node)].edge_count = static_cast<uint32_t>(groups.size());
  for (size_t g = 0; g < groups.size(); ++g) {
    const int32_t child =
        build_node(entries, groups[g].second.first, groups[g].second.second, depth + 1);
    labels_[begin + g] = groups[g].first;
    targets_[begin + g] = child;
  }
  return node;
}

}  // namespace tinyllm::text::detail
