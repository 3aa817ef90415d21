// Internal: a read-only byte trie mapping strings to ids, built once per model. Nodes keep their
// outgoing edges in one sorted, contiguous block; the root has a direct 256-entry table because
// every lookup passes through it.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace tinyllm::text::detail {

class ByteTrie {
 public:
  static constexpr int32_t kNone = -1;
  static constexpr int32_t kRoot = 0;

  // Entries must have distinct, non-empty keys; they need not be sorted.
  void build(std::vector<std::pair<std::string_view, int32_t>> entries);

  // The node reached from `node` by `byte`, or kNone.
  int32_t child(int32_t node, uint8_t byte) const {
    if (node == kRoot) return root_children_[byte];
    const Node& n = nodes_[static_cast<size_t>(node)];
    const uint8_t* labels = labels_.data() + n.edge_begin;
    for (uint32_t i = 0; i < n.edge_count; ++i) {
      if (labels[i] == byte) return targets_[n.edge_begin + i];
      if (labels[i] > byte) break;  // sorted
    }
    return kNone;
  }

  // The node for `key` walked from `node`, or kNone.
  int32_t walk(int32_t node, std::string_view key) const {
    for (char c : key) {
      if (node == kNone) return kNone;
      node = child(node, static_cast<uint8_t>(c));
    }
    return node;
  }

  // The id stored at `node`, or kNone for an inner node.
  int32_t value(int32_t node) const { return nodes_[static_cast<size_t>(node)].value; }

  // The id of `key`, or kNone.
  int32_t find(std::string_view key) const {
    const int32_t node = walk(kRoot, key);
    return node == kNone ? kNone : value(node);
  }

 private:
  struct Node {
    int32_t value = kNone;
    uint32_t edge_begin = 0;
    uint32_t edge_count = 0;
  };
  int32_t build_node(const std::vector<std::pair<std::string_view, int32_t>>& entries, size_t lo,
                     size_t hi, size_t depth);

  std::vector<Node> nodes_;
  std::vector<uint8_t> labels_;   // per edge, sorted within a node
  std::vector<int32_t> targets_;  // per edge
  std::array<int32_t, 256> root_children_{};
};

}  // namespace tinyllm::text::detail
