// Internal: the loaded model behind a Tokenizer, shared by tokenizer.cpp (loading, decoding) and
// encode.cpp (normalizer, BPE, unigram). Names follow libsentencepiece where the behaviour must
// match it (pieces_ = normal, user-defined and unused pieces; reserved = control, unknown, byte).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/tokenizer.h"
#include "text/trie.h"

namespace tinyllm::text {

struct Tokenizer::Impl {
  ModelSettings settings;
  std::vector<std::string> pieces;
  std::vector<float> scores;
  std::vector<PieceType> types;
  // Normal, user-defined and unused pieces (SentencePiece's pieces_), for segmentation.
  detail::ByteTrie piece_trie;
  // Control, unknown and byte pieces (SentencePiece's reserved_id_map_), for PieceToId.
  detail::ByteTrie reserved_trie;
  // User-defined symbols: matched before anything else, never split or merged.
  detail::ByteTrie user_trie;
  std::array<bool, 256> user_first_byte{};
  bool has_user_symbols = false;
  bool has_unused = false;
  std::array<int32_t, 256> byte_ids{};  // id of <0xXX>, unk when absent
  int32_t unk = -1, bos = -1, eos = -1, pad = -1;
  float min_score = 0, max_score = 0;  // over normal pieces (unigram)
  uint64_t fingerprint = 0;

  bool is_unused(int32_t id) const { return types[static_cast<size_t>(id)] == PieceType::unused; }
  bool is_user_defined(int32_t id) const {
    return types[static_cast<size_t>(id)] == PieceType::user_defined;
  }
  // SentencePiece's PieceToId: reserved pieces first, then pieces_, else unk.
  int32_t piece_to_id(std::string_view piece) const;

  // Normalizes `input` as SentencePiece's Normalizer does without a charsmap.
  void normalize(std::string_view input, std::string& out) const;
  // Segments normalized text and appends the ids, with byte fallback (or merged unknowns).
  void encode_normalized(std::string_view normalized, std::vector<int32_t>& ids) const;
};

// UTF-8 helpers with SentencePiece's exact rules (string_util::OneCharLen and DecodeUTF8).
namespace detail {

// Length of the character starting with `lead`, judged by the lead byte only.
inline size_t one_char_len(uint8_t lead) {
  static constexpr uint8_t kLengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLengths[lead >> 4];
}

// Length of the valid UTF-8 character at s[0, n), or 0 when it is malformed (overlong,
// surrogate, beyond U+10FFFF, truncated or a stray continuation byte).
inline size_t valid_utf8_len(const uint8_t* s, size_t n) {
  const uint8_t c = s[0];
  if (c < 0x80) return 1;
  auto trail = [](uint8_t b) { return (b & 0xC0) == 0x80; };
  auto valid = [](uint32_t cp) { return cp < 0xD800 || (cp >= 0xE000 && cp <= 0x10FFFF); };
  if (n >= 2 && (c & 0xE0) == 0xC0) {
    const uint32_t cp = ((c & 0x1Fu) << 6) | (s[1] & 0x3Fu);
    if (trail(s[1]) && cp >= 0x80 && valid(cp)) return 2;
  } else if (n >= 3 && (c & 0xF0) == 0xE0) {
    const uint32_t cp = ((c & 0x0Fu) << 12) | ((s[1] & 0x3Fu) << 6) | (s[2] & 0x3Fu);
    if (trail(s[1]) && trail(s[2]) && cp >= 0x800 && valid(cp)) return 3;
  } else if (n >= 4 && (c & 0xF8) == 0xF0) {
    const uint32_t cp =
        ((c & 0x07u) << 18) | ((s[1] & 0x3Fu) << 12) | ((s[2] & 0x3Fu) << 6) | (s[3] & 0x3Fu);
    if (trail(s[1]) && trail(s[2]) && trail(s[3]) && cp >= 0x10000 && valid(cp)) return 4;
  }
  return 0;
}

constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";      // U+2581 "▁"
constexpr std::string_view kReplacementChar = "\xEF\xBF\xBD";  // U+FFFD

}  // namespace detail
}  // namespace tinyllm::text
