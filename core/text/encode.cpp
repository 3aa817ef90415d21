// Encoding, step by step as libsentencepiece 0.1.97 does it, so that the ids are the same:
//   1. normalizer.cc Normalizer::Normalize without a charsmap (identity normalization);
//   2. bpe_model.cc Model::Encode (greedy merges, best score first, leftmost on ties) or
//      unigram_model.cc Model::EncodeOptimized (Viterbi, with its float/double arithmetic);
//   3. sentencepiece_processor.cc PopulateSentencePieceText (byte fallback for unknown pieces,
//      or runs of unknown pieces merged into one <unk>).
// Scratch buffers are thread_local so that encoding a corpus allocates nothing per call.
#include <algorithm>
#include <unordered_map>

#include "text/tokenizer_impl.h"

namespace tinyllm::text {
namespace {

using detail::ByteTrie;
using detail::kReplacementChar;
using detail::kSpaceSymbol;

std::string_view view(const char* data, size_t size) {
  return std::string_view(data, size);
}

// Longest user-defined symbol at the start of s[0, n) (SentencePiece's PrefixMatcher), or 0.
size_t match_user_symbol(const Tokenizer::Impl& m, const uint8_t* s, size_t n) {
  if (!m.has_user_symbols || !m.user_first_byte[s[0]]) return 0;
  int32_t node = ByteTrie::kRoot;
  size_t longest = 0;
  for (size_t i = 0; i < n; ++i) {
    node = m.user_trie.child(node, s[i]);
    if (node == ByteTrie::kNone) break;
    if (m.user_trie.value(node) != ByteTrie::kNone) longest = i + 1;
  }
  return longest;
}

// Appends pieces to the ids as PopulateSentencePieceText does.
class Emitter {
 public:
  Emitter(const Tokenizer::Impl& m, std::vector<int32_t>& ids) : m_(m), ids_(ids) {}
  void emit(std::string_view piece, int32_t id) {
    const bool is_unk = id == m_.unk;
    if (is_unk && m_.settings.byte_fallback) {
      for (char c : piece)
        ids_.push_back(m_.byte_ids[static_cast<uint8_t>(c)]);
    } else if (!(is_unk && prev_unk_)) {  // a run of unknown pieces is one <unk>
      ids_.push_back(id);
    }
    prev_unk_ = is_unk;
  }

 private:
  const Tokenizer::Impl& m_;
  std::vector<int32_t>& ids_;
  bool prev_unk_ = false;
};

// Scratch buffers keep their capacity between calls; one huge text should not pin its memory.
template <class T>
void release_if_huge(T& buffer) {
  if (buffer.capacity() > (size_t(1) << 22)) T().swap(buffer);
}

// ---- BPE ----------------------------------------------------------------------------------

struct Symbol {
  uint32_t begin, len;  // bytes of the normalized text; len 0 once merged into its left
  int32_t prev, next;   // neighbours in the current segmentation, -1 at the ends
  int32_t node;         // trie node of the symbol's text, kNone when no piece starts with it
  bool freeze;          // user-defined symbols are never merged
};

struct Candidate {
  float score;
  int32_t left, right;
  uint32_t size;  // left.len + right.len when pushed; a different sum means it is stale
  int32_t node;   // trie node of the merged text
};

// SentencePiece's SymbolPairComparator: highest score on top, then the leftmost.
struct CandidateLess {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

struct BpeScratch {
  std::vector<Symbol> symbols;
  std::vector<Candidate> agenda;
  // Unused pieces that were merged are split again into what they were merged from.
  std::unordered_map<int32_t, std::pair<std::string_view, std::string_view>> rev_merge;
};

void resegment(const Tokenizer::Impl& m, const BpeScratch& s, std::string_view piece, int32_t id,
               Emitter& out) {
  if (id >= 0 && m.is_unused(id)) {
    const auto it = s.rev_merge.find(id);
    if (it != s.rev_merge.end()) {
      resegment(m, s, it->second.first, m.piece_to_id(it->second.first), out);
      resegment(m, s, it->second.second, m.piece_to_id(it->second.second), out);
      return;
    }
  }
  out.emit(piece, id);
}

void encode_bpe(const Tokenizer::Impl& m, std::string_view text, std::vector<int32_t>& ids) {
  thread_local BpeScratch s;
  auto& symbols = s.symbols;
  auto& agenda = s.agenda;
  symbols.clear();
  agenda.clear();
  s.rev_merge.clear();
  const char* data = text.data();
  const auto* bytes = reinterpret_cast<const uint8_t*>(data);
  const size_t n = text.size();

  // Initial symbols: user-defined symbols (frozen) or single characters.
  for (size_t pos = 0; pos < n;) {
    size_t len = match_user_symbol(m, bytes + pos, n - pos);
    const bool freeze = len > 0;
    if (!freeze) len = std::min(n - pos, detail::one_char_len(bytes[pos]));
    const auto index = static_cast<int32_t>(symbols.size());
    symbols.push_back({static_cast<uint32_t>(pos), static_cast<uint32_t>(len), index - 1,
                       pos + len < n ? index + 1 : -1,
                       m.piece_trie.walk(ByteTrie::kRoot, view(data + pos, len)), freeze});
    pos += len;
  }

  auto add_pair = [&](int32_t left, int32_t right) {
    if (left < 0 || right < 0) return;
    const Symbol& l = symbols[static_cast<size_t>(left)];
    const Symbol& r = symbols[static_cast<size_t>(right)];
    if (l.freeze || r.freeze || l.node == ByteTrie::kNone) return;
    const int32_t node = m.piece_trie.walk(l.node, view(data + r.begin, r.len));
    if (node == ByteTrie::kNone) return;
    const int32_t id = m.piece_trie.value(node);
    if (id == ByteTrie::kNone) return;
    agenda.push_back({m.scores[static_cast<size_t>(id)], left, right, l.len + r.len, node});
    std::push_heap(agenda.begin(), agenda.end(), CandidateLess());
    if (m.has_unused && m.is_unused(id))
      s.rev_merge[id] = {view(data + l.begin, l.len), view(data + r.begin, r.len)};
  };
  for (size_t i = 1; i < symbols.size(); ++i)
    add_pair(static_cast<int32_t>(i - 1), static_cast<int32_t>(i));

  while (!agenda.empty()) {
    std::pop_heap(agenda.begin(), agenda.end(), CandidateLess());
    const Candidate top = agenda.back();
    agenda.pop_back();
    Symbol& l = symbols[static_cast<size_t>(top.left)];
    Symbol& r = symbols[static_cast<size_t>(top.right)];
    if (l.len == 0 || r.len == 0 || l.len + r.len != top.size) continue;  // stale
    l.len += r.len;
    l.node = top.node;
    l.next = r.next;
    if (r.next >= 0) symbols[static_cast<size_t>(r.next)].prev = top.left;
    r.len = 0;
    add_pair(l.prev, top.left);
    add_pair(top.left, l.next);
  }

  Emitter out(m, ids);
  for (int32_t i = 0; i >= 0; i = symbols[static_cast<size_t>(i)].next) {
    const Symbol& sym = symbols[static_cast<size_t>(i)];
    const std::string_view piece = view(data + sym.begin, sym.len);
    int32_t id = sym.node == ByteTrie::kNone ? ByteTrie::kNone : m.piece_trie.value(sym.node);
    if (id == ByteTrie::kNone) id = m.piece_to_id(piece);
    if (m.has_unused)
      resegment(m, s, piece, id, out);
    else
      out.emit(piece, id);
  }
  release_if_huge(symbols);
  release_if_huge(agenda);
}

// ---- Unigram ------------------------------------------------------------------------------

struct BestPath {
  float score;        // best total score of a path ending here
  int32_t starts_at;  // where the last piece of that path starts, -1 when none yet
  int32_t id;
};

void encode_unigram(const Tokenizer::Impl& m, std::string_view text, std::vector<int32_t>& ids) {
  thread_local std::vector<BestPath> best;
  thread_local std::vector<std::pair<int32_t, int32_t>> path;  // (starts_at, id), reversed
  const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
  const auto size = static_cast<int32_t>(text.size());
  best.assign(text.size() + 1, BestPath{0.0f, -1, -1});
  // SentencePiece: `const float unk_score = min_score() - kUnkPenalty;` with kUnkPenalty = 10.
  const float unk_score = m.min_score - 10.0f;

  for (int32_t starts_at = 0; starts_at < size;) {
    const float best_till_here = best[static_cast<size_t>(starts_at)].score;
    const auto mblen = static_cast<int32_t>(
        std::min<size_t>(detail::one_char_len(bytes[starts_at]), size_t(size - starts_at)));
    bool has_single_node = false;
    int32_t node = ByteTrie::kRoot;
    for (int32_t key_pos = starts_at; key_pos < size;) {
      node = m.piece_trie.child(node, bytes[key_pos++]);
      if (node == ByteTrie::kNone) break;
      const int32_t id = m.piece_trie.value(node);
      if (id == ByteTrie::kNone || m.is_unused(id)) continue;
      const auto length = static_cast<size_t>(key_pos - starts_at);
      // As in SentencePiece: the user-defined bonus `length * max_score_ - 0.1` is a double
      // (0.1 is), which makes the whole conditional a double; the sum is compared in double and
      // stored as float. Keeping these types is what makes ties come out the same.
      const double score = m.is_user_defined(id)
                               ? static_cast<double>(static_cast<float>(length) * m.max_score) - 0.1
                               : static_cast<double>(m.scores[static_cast<size_t>(id)]);
      const double candidate = score + static_cast<double>(best_till_here);
      BestPath& target = best[static_cast<size_t>(key_pos)];
      if (target.starts_at == -1 || candidate > static_cast<double>(target.score)) {
        target.score = static_cast<float>(candidate);
        target.starts_at = starts_at;
        target.id = id;
      }
      if (!has_single_node && length == static_cast<size_t>(mblen)) has_single_node = true;
    }
    if (!has_single_node) {
      BestPath& target = best[static_cast<size_t>(starts_at + mblen)];
      const float candidate = unk_score + best_till_here;
      if (target.starts_at == -1 || candidate > target.score) {
        target.score = candidate;
        target.starts_at = starts_at;
        target.id = m.unk;
      }
    }
    starts_at += mblen;
  }

  path.clear();
  for (int32_t ends_at = size; ends_at > 0;) {
    const BestPath& node = best[static_cast<size_t>(ends_at)];
    path.push_back({node.starts_at, node.id});
    ends_at = node.starts_at;
  }
  Emitter out(m, ids);
  for (size_t k = path.size(); k-- > 0;) {  // path[k] ends where path[k - 1] starts
    const int32_t start = path[k].first;
    const int32_t stop = k == 0 ? size : path[k - 1].first;
    out.emit(view(text.data() + start, static_cast<size_t>(stop - start)), path[k].second);
  }
  release_if_huge(best);
  release_if_huge(path);
}

}  // namespace

// ---- Normalizer ---------------------------------------------------------------------------

void Tokenizer::Impl::normalize(std::string_view input, std::string& out) const {
  out.clear();
  const auto* p = reinterpret_cast<const uint8_t*>(input.data());
  const uint8_t* const end = p + input.size();
  const bool remove_extra = settings.remove_extra_whitespaces;
  const std::string_view space = settings.escape_whitespaces ? kSpaceSymbol : " ";

  // The next unit of input: a user-defined symbol, a valid UTF-8 character, or one malformed
  // byte (normalized to U+FFFD). Returns the bytes consumed.
  auto next_unit = [&](const uint8_t* q, std::string_view& unit) -> size_t {
    const size_t left = static_cast<size_t>(end - q);
    size_t len = match_user_symbol(*this, q, left);
    if (len == 0) len = detail::valid_utf8_len(q, left);
    if (len == 0) {
      unit = kReplacementChar;
      return 1;
    }
    unit = view(reinterpret_cast<const char*>(q), len);
    return len;
  };

  if (remove_extra) {  // leading spaces
    while (p < end) {
      std::string_view unit;
      const size_t used = next_unit(p, unit);
      if (unit != " ") break;
      p += used;
    }
  }
  if (p == end) return;
  out.reserve(input.size() + input.size() / 2 + 4);
  if (settings.add_dummy_prefix) out.append(space.data(), space.size());

  bool prev_space = remove_extra;
  while (p < end) {
    const uint8_t c = *p;
    if (c < 0x80 && !(has_user_symbols && user_first_byte[c])) {  // fast path: one ASCII byte
      ++p;
      if (c == ' ') {
        if (!prev_space) {
          out.append(space.data(), space.size());
          prev_space = remove_extra;
        }
      } else {
        out.push_back(static_cast<char>(c));
        prev_space = false;
      }
      continue;
    }
    std::string_view unit;
    p += next_unit(p, unit);
    if (prev_space)
      while (!unit.empty() && unit.front() == ' ')
        unit.remove_prefix(1);
    if (!unit.empty()) {
      for (char ch : unit) {
        if (ch == ' ')
          out.append(space.data(), space.size());
        else
          out.push_back(ch);
      }
      prev_space = unit.back() == ' ';
    }
    if (!remove_extra) prev_space = false;
  }
  if (remove_extra) {  // trailing spaces
    while (out.size() >= space.size() &&
           std::string_view(out).substr(out.size() - space.size()) == space)
      out.resize(out.size() - space.size());
  }
}

void Tokenizer::Impl::encode_normalized(std::string_view normalized,
                                        std::vector<int32_t>& ids) const {
  if (normalized.empty()) return;
  if (settings.type == ModelType::bpe)
    encode_bpe(*this, normalized, ids);
  else
    encode_unigram(*this, normalized, ids);
}

}  // namespace tinyllm::text
