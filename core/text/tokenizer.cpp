// Loading a `.model` file into a Tokenizer, and decoding ids back to text.
#include <algorithm>
#include <cfloat>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <unordered_map>

#include "base/binary.h"
#include "text/model_proto.h"
#include "text/shard.h"
#include "text/tokenizer_impl.h"

namespace tinyllm::text {
namespace {

using detail::kSpaceSymbol;

// "<0x41>" -> 0x41; -1 when `piece` is not a byte piece in SentencePiece's exact spelling.
int piece_to_byte(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  auto hex = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;  // lower case is not SentencePiece's spelling
  };
  const int hi = hex(piece[3]), lo = hex(piece[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

bool is_normal_kind(PieceType t) {
  return t == PieceType::normal || t == PieceType::user_defined || t == PieceType::unused;
}

// Builds the tables from a parsed model, with the checks SentencePiece makes on load plus those
// for the features we do not support.
Result<std::shared_ptr<Tokenizer::Impl>> build_impl(const detail::SpmModel& m,
                                                    const std::string& where) {
  auto fail = [&](uint64_t offset, const std::string& what) {
    return make_error(where + " " + hex_offset(offset), what);
  };
  // A file cut short loses its specs (they follow the pieces), so their absence is an error.
  if (!m.has_trainer || !m.has_normalizer)
    return make_error(where, std::string("ModelProto: no ") +
                                 (m.has_trainer ? "normalizer_spec" : "trainer_spec") +
                                 " (the file is truncated or not a SentencePiece model)");
  if (m.pieces.empty()) return make_error(where, "ModelProto: the model has no pieces");
  if (m.trainer.model_type != 1 && m.trainer.model_type != 2)
    return make_error(where, "TrainerSpec.model_type " + std::to_string(m.trainer.model_type) +
                                 " (word/char) is not supported: use bpe or unigram");
  if (!m.normalizer.precompiled_charsmap.empty())
    return make_error(where, "NormalizerSpec: normalization '" + m.normalizer.name +
                                 "' is not supported; train with normalization_rule_name=identity");
  if (m.has_denormalizer && !m.denormalizer.precompiled_charsmap.empty())
    return make_error(where, "denormalizer_spec: denormalization rules are not supported");
  if (m.trainer.treat_whitespace_as_suffix)
    return make_error(where, "TrainerSpec.treat_whitespace_as_suffix is not supported");
  if (m.pieces.size() > 0x7fffffff) return make_error(where, "ModelProto: too many pieces");

  auto impl = std::make_shared<Tokenizer::Impl>();
  ModelSettings& s = impl->settings;
  s.type = m.trainer.model_type == 2 ? ModelType::bpe : ModelType::unigram;
  s.byte_fallback = m.trainer.byte_fallback;
  s.split_digits = m.trainer.split_digits;
  s.normalization = m.normalizer.name;
  s.add_dummy_prefix = m.normalizer.add_dummy_prefix;
  s.remove_extra_whitespaces = m.normalizer.remove_extra_whitespaces;
  s.escape_whitespaces = m.normalizer.escape_whitespaces;
  s.unk_surface = m.trainer.unk_surface;
  s.requested_vocab_size = m.trainer.vocab_size;

  const size_t n = m.pieces.size();
  impl->pieces.reserve(n);
  impl->scores.reserve(n);
  impl->types.reserve(n);
  std::vector<std::pair<std::string_view, int32_t>> normal, reserved, user;
  std::unordered_map<std::string_view, int32_t> seen;
  impl->min_score = FLT_MAX;
  impl->max_score = FLT_MIN;  // sic: SentencePiece starts from FLT_MIN, the smallest positive
  for (size_t i = 0; i < n; ++i) {
    const detail::SpmPiece& p = m.pieces[i];
    const auto id = static_cast<int32_t>(i);
    const auto type = static_cast<PieceType>(p.type);
    const std::string field = "ModelProto.pieces[" + std::to_string(i) + "]";
    if (p.piece.empty()) return fail(p.offset, field + ".piece: empty piece");
    impl->pieces.push_back(p.piece);
    impl->scores.push_back(p.score);
    impl->types.push_back(type);
    // SentencePiece allows a string once as a normal and once as a reserved piece, with odd
    // results (encoding can then fail); no trainer writes that, so every string is unique here.
    if (!seen.emplace(impl->pieces.back(), id).second)
      return fail(p.offset, field + ": piece '" + p.piece + "' is already defined (id " +
                                std::to_string(seen[impl->pieces.back()]) + ")");
    if (type == PieceType::normal) {
      impl->min_score = std::min(impl->min_score, p.score);
      impl->max_score = std::max(impl->max_score, p.score);
    }
    if (type == PieceType::unknown) {
      if (impl->unk >= 0) return fail(p.offset, field + ": a second <unk> piece");
      impl->unk = id;
    }
    if (type == PieceType::byte) {
      if (!m.trainer.byte_fallback)
        return fail(p.offset, field + ": byte piece '" + p.piece + "' but byte_fallback is off");
      if (piece_to_byte(p.piece) < 0)
        return fail(p.offset, field + ": invalid byte piece '" + p.piece + "'");
    }
    // A one-character control piece would make SentencePiece's BPE output it for plain text
    // (and then fail); no trainer makes one, so such models are refused.
    if (type == PieceType::control &&
        detail::one_char_len(static_cast<uint8_t>(p.piece[0])) >= p.piece.size())
      return fail(p.offset,
                  field + ": one-character control piece '" + p.piece + "' is not supported");
    if (type == PieceType::unused) impl->has_unused = true;
    if (type == PieceType::user_defined) s.user_defined_symbols.push_back(p.piece);
  }
  if (impl->unk < 0) return make_error(where, "ModelProto: no <unk> piece (unk is not defined)");
  if (s.byte_fallback) {
    const auto bytes = std::count(impl->types.begin(), impl->types.end(), PieceType::byte);
    if (bytes != 256)
      return make_error(where, "ModelProto: byte_fallback is on but there are " +
                                   std::to_string(bytes) + " byte pieces, not 256");
  }

  // Tries over the strings stored in impl->pieces (stable from here on).
  for (size_t i = 0; i < n; ++i) {
    const auto id = static_cast<int32_t>(i);
    const std::string_view key = impl->pieces[i];
    (is_normal_kind(impl->types[i]) ? normal : reserved).push_back({key, id});
    if (impl->types[i] == PieceType::user_defined) {
      user.push_back({key, id});
      impl->user_first_byte[static_cast<uint8_t>(key[0])] = true;
    }
  }
  impl->piece_trie.build(std::move(normal));
  impl->reserved_trie.build(std::move(reserved));
  impl->has_user_symbols = !user.empty();
  impl->user_trie.build(std::move(user));
  // Byte fallback looks pieces up by text, as SentencePiece's PieceToId(ByteToPiece(b)).
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    impl->byte_ids[static_cast<size_t>(b)] = impl->piece_to_id(name);
  }

  // Special ids as SentencePieceProcessor reports them: by piece text, with the right type.
  auto special = [&](const std::string& piece, PieceType want) -> int32_t {
    const int32_t id = impl->piece_to_id(piece);
    return impl->types[static_cast<size_t>(id)] == want ? id : -1;
  };
  impl->bos = special(m.trainer.bos_piece, PieceType::control);
  impl->eos = special(m.trainer.eos_piece, PieceType::control);
  impl->pad = special(m.trainer.pad_piece, PieceType::control);
  return impl;
}

}  // namespace

int32_t Tokenizer::Impl::piece_to_id(std::string_view piece) const {
  int32_t id = reserved_trie.find(piece);
  if (id >= 0) return id;
  id = piece_trie.find(piece);
  return id >= 0 ? id : unk;
}

uint64_t fnv1a64(const void* data, size_t size, uint64_t hash) {
  const auto* p = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    hash ^= p[i];
    hash *= 0x100000001b3ull;
  }
  return hash;
}

const char* to_string(ModelType type) {
  return type == ModelType::bpe ? "bpe" : "unigram";
}

const char* to_string(PieceType type) {
  switch (type) {
    case PieceType::normal:
      return "normal";
    case PieceType::unknown:
      return "unknown";
    case PieceType::control:
      return "control";
    case PieceType::user_defined:
      return "user_defined";
    case PieceType::unused:
      return "unused";
    case PieceType::byte:
      return "byte";
  }
  return "?";
}

Result<Tokenizer> Tokenizer::from_bytes(std::string_view model_bytes, const std::string& where) {
  TINYLLM_TRY_ASSIGN(model, detail::parse_model_proto(model_bytes, where));
  TINYLLM_TRY_ASSIGN(impl, build_impl(model, where));
  impl->fingerprint = fnv1a64(model_bytes.data(), model_bytes.size());
  return Tokenizer(std::move(impl));
}

Result<Tokenizer> Tokenizer::load(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string(), "cannot open the tokenizer model");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  if (in.bad()) return make_error(path.string(), "cannot read the tokenizer model");
  return from_bytes(bytes.str(), path.string());
}

Result<Tokenizer> load_checked_tokenizer(const std::filesystem::path& path) {
  auto tok = Tokenizer::load(path);
  if (!tok) {
    Error e = tok.error();
    e.message += " (the tokenizer file is damaged: re-run `tinyllm tokenizer train`)";
    return e;
  }
  const std::filesystem::path shards = path.parent_path() / "shards";
  std::error_code ec;
  if (!std::filesystem::is_directory(shards, ec)) return tok;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(shards, ec))
    if (entry.path().extension() == ".bin") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    TINYLLM_TRY_ASSIGN(shard, ShardReader::open(file));
    if (shard.info().tokenizer_fingerprint != tok->fingerprint() ||
        shard.info().vocab_size != uint32_t(tok->vocab_size()))
      return make_error(path.string(),
                        "this tokenizer file is not the one that made " + file.string() +
                            " (its bytes changed: damaged or replaced); re-run `tinyllm tokenizer "
                            "train`");
  }
  return tok;
}

Status verify_tokenizer_file(const std::filesystem::path& path) {
  TINYLLM_TRY(load_checked_tokenizer(path));
  return {};
}

std::vector<int32_t> Tokenizer::encode(std::string_view text) const {
  std::vector<int32_t> ids;
  encode(text, ids);
  return ids;
}

void Tokenizer::encode(std::string_view text, std::vector<int32_t>& ids) const {
  thread_local std::string normalized;
  impl_->normalize(text, normalized);
  impl_->encode_normalized(normalized, ids);
  if (normalized.capacity() > (size_t(1) << 24)) std::string().swap(normalized);
}

Result<std::string> Tokenizer::decode(const std::vector<int32_t>& ids) const {
  return decode(ids.data(), ids.size());
}

// SentencePieceProcessor::Decode: byte pieces are gathered and turned into UTF-8 characters
// (U+FFFD for each malformed byte); control pieces vanish; <unk> becomes unk_surface; the
// first "▁" of the text is dropped when the encoder adds a dummy prefix; "▁" becomes ' '.
Result<std::string> Tokenizer::decode(const int32_t* ids, size_t count) const {
  const Impl& m = *impl_;
  const auto vocab = static_cast<int32_t>(m.pieces.size());
  std::string text;
  std::string bytes;
  auto flush_bytes = [&]() {
    size_t offset = 0;
    while (offset < bytes.size()) {
      const size_t len = detail::valid_utf8_len(
          reinterpret_cast<const uint8_t*>(bytes.data()) + offset, bytes.size() - offset);
      if (len == 0) {
        text += detail::kReplacementChar;
        offset += 1;
      } else {
        text.append(bytes, offset, len);
        offset += len;
      }
    }
    bytes.clear();
  };
  const bool strip_bos_ws = m.settings.add_dummy_prefix || m.settings.remove_extra_whitespaces;
  bool is_bos_ws = true;  // whether a leading "▁" may still be consumed
  bool bos_ws_seen = false;
  for (size_t i = 0; i < count; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab)
      return make_error("decode", "invalid id " + std::to_string(ids[i]) + " at position " +
                                      std::to_string(i) + " (vocabulary size " +
                                      std::to_string(vocab) + ")");
    const int32_t id = ids[i];
    const std::string& piece = m.pieces[static_cast<size_t>(id)];
    const PieceType type = m.types[static_cast<size_t>(id)];
    if (type == PieceType::byte) {
      bytes.push_back(static_cast<char>(piece_to_byte(piece)));
      continue;
    }
    flush_bytes();
    if (bos_ws_seen || !text.empty()) is_bos_ws = false;
    bos_ws_seen = false;
    if (type == PieceType::control) continue;
    if (type == PieceType::unknown) {
      text += m.settings.unk_surface;
      continue;
    }
    std::string_view rest = piece;
    if (is_bos_ws && strip_bos_ws && rest.substr(0, kSpaceSymbol.size()) == kSpaceSymbol) {
      rest.remove_prefix(kSpaceSymbol.size());
      bos_ws_seen = !m.settings.remove_extra_whitespaces;
    }
    for (size_t pos = 0;;) {
      const size_t hit = rest.find(kSpaceSymbol, pos);
      text.append(rest.data() + pos, (hit == std::string_view::npos ? rest.size() : hit) - pos);
      if (hit == std::string_view::npos) break;
      text += ' ';
      pos = hit + kSpaceSymbol.size();
    }
  }
  flush_bytes();
  return text;
}

int Tokenizer::vocab_size() const {
  return static_cast<int>(impl_->pieces.size());
}
const std::string& Tokenizer::piece(int32_t id) const {
  return impl_->pieces[static_cast<size_t>(id)];
}
float Tokenizer::score(int32_t id) const {
  return impl_->scores[static_cast<size_t>(id)];
}
PieceType Tokenizer::type(int32_t id) const {
  return impl_->types[static_cast<size_t>(id)];
}
int32_t Tokenizer::piece_to_id(std::string_view piece) const {
  return impl_->piece_to_id(piece);
}
int32_t Tokenizer::unk_id() const {
  return impl_->unk;
}
int32_t Tokenizer::bos_id() const {
  return impl_->bos;
}
int32_t Tokenizer::eos_id() const {
  return impl_->eos;
}
int32_t Tokenizer::pad_id() const {
  return impl_->pad;
}
const ModelSettings& Tokenizer::settings() const {
  return impl_->settings;
}
uint64_t Tokenizer::fingerprint() const {
  return impl_->fingerprint;
}

}  // namespace tinyllm::text
