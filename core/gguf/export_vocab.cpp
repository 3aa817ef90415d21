// The tokenizer part of an export: a SentencePiece BPE model as llama.cpp's "llama" (SPM)
// vocabulary, following the spec's verified tokenizer notes (gguf-gpt2.md §3).
#include <cstdio>

#include "gguf/export.h"
#include "gguf/keys.h"
#include "text/model_proto.h"
#include "text/tokenizer.h"

namespace tinyllm::gguf {

namespace {

constexpr const char* kSpaceMark = "\xE2\x96\x81";  // U+2581, SentencePiece's space

std::string with_plain_spaces(std::string text) {
  for (size_t at = text.find(kSpaceMark); at != std::string::npos; at = text.find(kSpaceMark, at))
    text.replace(at, 3, " ");
  return text;
}

std::string byte_piece(int byte) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "<0x%02X>", byte);
  return buf;
}

}  // namespace

Status add_vocabulary(Writer& writer, const std::string& model_bytes, const std::string& where,
                      int n_vocab) {
  // Our encoder must load it (identity normalization, supported options) before llama.cpp does.
  TINYLLM_TRY_ASSIGN(tokenizer, text::Tokenizer::from_bytes(model_bytes, where));
  TINYLLM_TRY_ASSIGN(proto, text::detail::parse_model_proto(model_bytes, where));
  if (tokenizer.settings().type != text::ModelType::bpe)
    return make_error(where,
                      "only BPE tokenizers are exported (llama.cpp's \"llama\" vocabulary); "
                      "this one is " +
                          std::string(text::to_string(tokenizer.settings().type)));
  const int pieces = static_cast<int>(proto.pieces.size());
  if (pieces > n_vocab)
    return make_error(where, "the tokenizer has " + std::to_string(pieces) +
                                 " pieces but the model's embedding only " +
                                 std::to_string(n_vocab) + " rows: wrong tokenizer?");
  // llama.cpp falls back to <0xXX> tokens for anything it cannot spell; all 256 must exist.
  for (int byte = 0; byte < 256; ++byte) {
    const int32_t id = tokenizer.piece_to_id(byte_piece(byte));
    if (id < 0 || id >= pieces || tokenizer.type(id) != text::PieceType::byte)
      return make_error(where, "no byte piece " + byte_piece(byte) +
                                   ": train the tokenizer with byte_fallback (the default)");
  }

  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<int32_t> types;
  bool user_defined = false;
  for (const auto& p : proto.pieces) {
    const bool is_user = p.type == keys::kTokenUserDefined;
    user_defined |= is_user;
    // llama.cpp matches user-defined pieces in the raw text, before spaces become U+2581.
    tokens.push_back(is_user ? with_plain_spaces(p.piece) : p.piece);
    scores.push_back(p.score);
    types.push_back(p.type);
  }
  for (int id = pieces; id < n_vocab; ++id) {  // embedding rows no piece uses
    tokens.push_back("[PAD" + std::to_string(id) + "]");
    scores.push_back(0.0f);
    types.push_back(keys::kTokenUnused);
  }
  writer.set_string(keys::kTokenizerModel, keys::kTokenizerModelLlama);
  writer.set_string(keys::kTokenizerPre, keys::kTokenizerPreDefault);
  writer.set_string_array(keys::kTokens, std::move(tokens));
  writer.set_f32_array(keys::kScores, scores);
  writer.set_i32_array(keys::kTokenTypes, types);
  const auto set_id = [&](const char* key, int32_t id) {
    if (id >= 0 && id < n_vocab) writer.set_u32(key, static_cast<uint32_t>(id));
  };
  set_id(keys::kBosId, tokenizer.bos_id());
  set_id(keys::kEosId, tokenizer.eos_id());
  set_id(keys::kUnkId, tokenizer.unk_id());
  set_id(keys::kPadId, tokenizer.pad_id());
  // Training documents do not start with BOS (absent, llama.cpp would add one).
  writer.set_bool(keys::kAddBos, false);
  writer.set_bool(keys::kAddEos, false);
  // With user-defined pieces llama.cpp would put a space after each one; the caller prepends
  // " " to the text instead, as SentencePiece's add_dummy_prefix does.
  writer.set_bool(keys::kAddSpacePrefix,
                  user_defined ? false : tokenizer.settings().add_dummy_prefix);
  writer.set_bool(keys::kTinyAddDummyPrefix, tokenizer.settings().add_dummy_prefix);
  writer.set_u8_array(keys::kTinyTokenizerProto,
                      std::vector<uint8_t>(model_bytes.begin(), model_bytes.end()));
  return {};
}

}  // namespace tinyllm::gguf
