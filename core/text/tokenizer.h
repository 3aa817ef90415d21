// tinyllm_text: our own SentencePiece encoder/decoder, in plain C++17 with no dependencies beyond
// tinyllm_base, so that the trainer worker, the desktop and the aarch64 edge runtime all share it.
//
// Does: load a SentencePiece `.model` file (BPE or unigram) and give exactly the ids
// libsentencepiece 0.1.97 gives: identity normalization, add_dummy_prefix,
// remove_extra_whitespaces, whitespace escaped to U+2581 "▁", user-defined symbols, byte fallback,
// special ids; decode ids back to text as libsentencepiece does.
// Does not: train vocabularies (tinyllm_vocab_learning does, through libsentencepiece), apply
// normalization rules other than identity (nmt_nfkc etc. are rejected with a clear error), sample
// segmentations, or support treat_whitespace_as_suffix, WORD or CHAR models.
//
// Two behaviours come from libsentencepiece and are kept for exactness: invalid UTF-8 bytes are
// encoded as U+FFFD (so they do not round-trip), and a literal "▁" in the input decodes as a
// space. For any other text, decode(encode(text)) == text when the model has byte fallback and
// remove_extra_whitespaces is off (as tinyllm_vocab_learning trains them).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tinyllm::text {

enum class ModelType { unigram = 1, bpe = 2 };

// Piece types as in sentencepiece_model.proto (and llama.cpp's token_type, except unused).
enum class PieceType : uint8_t {
  normal = 1,
  unknown = 2,
  control = 3,
  user_defined = 4,
  unused = 5,
  byte = 6,
};

const char* to_string(ModelType type);
const char* to_string(PieceType type);

// What the `.model` file says about how to tokenize (the parts that change ids or text).
struct ModelSettings {
  ModelType type = ModelType::bpe;
  bool byte_fallback = false;             // unknown characters become <0xXX> byte pieces
  bool split_digits = false;              // a training setting, kept for display
  std::string normalization;              // normalizer name, "identity" for ours
  bool add_dummy_prefix = true;           // a "▁" is put before the text
  bool remove_extra_whitespaces = false;  // leading/trailing/repeated spaces dropped
  bool escape_whitespaces = true;         // ' ' becomes "▁"
  std::string unk_surface;                // what <unk> decodes to
  std::vector<std::string> user_defined_symbols;
  int requested_vocab_size = 0;  // the trainer's vocab_size; the actual size is vocab_size()
};

class Tokenizer {
 public:
  // Reads and validates a `.model` file; errors name the path, byte offset and field.
  static Result<Tokenizer> load(const std::filesystem::path& path);
  // The same from bytes; `where` names them in errors.
  static Result<Tokenizer> from_bytes(std::string_view model_bytes, const std::string& where);

  // Appends the ids of `text` to `ids`. Never fails: anything unknown becomes byte pieces (or
  // <unk> without byte fallback). Thread-safe; scratch buffers are per thread.
  void encode(std::string_view text, std::vector<int32_t>& ids) const;
  std::vector<int32_t> encode(std::string_view text) const;

  // Text of the ids; fails only on an id outside [0, vocab_size).
  Result<std::string> decode(const int32_t* ids, size_t count) const;
  Result<std::string> decode(const std::vector<int32_t>& ids) const;

  int vocab_size() const;
  const std::string& piece(int32_t id) const;  // id must be in range
  float score(int32_t id) const;
  PieceType type(int32_t id) const;
  // The id of a piece, or unk_id() when there is none (as SentencePiece's PieceToId).
  int32_t piece_to_id(std::string_view piece) const;

  // Special ids, -1 when the model has none.
  int32_t unk_id() const;
  int32_t bos_id() const;
  int32_t eos_id() const;
  int32_t pad_id() const;

  const ModelSettings& settings() const;
  // FNV-1a 64 of the model file's bytes: token shards record it to name their tokenizer.
  uint64_t fingerprint() const;

  struct Impl;  // tokenizer_impl.h

 private:
  explicit Tokenizer(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;  // immutable, so copies are cheap and thread-safe
};

// Loads a tokenizer's `.model` file and checks it against the token shards made with it (the
// `shards/` folder beside it, as the tokenizer step writes them), when there are any: every shard
// records the fingerprint of its tokenizer, so a damaged file that still parses is caught too.
// Errors name the file and byte offset, and say to re-run the tokenizer step.
Result<Tokenizer> load_checked_tokenizer(const std::filesystem::path& path);
// The same check with no tokenizer kept: for `tinyllm project info` and other health checks.
Status verify_tokenizer_file(const std::filesystem::path& path);

// FNV-1a 64-bit hash (used for tokenizer fingerprints and shard checksums).
uint64_t fnv1a64(const void* data, size_t size, uint64_t seed = 0xcbf29ce484222325ull);

}  // namespace tinyllm::text
