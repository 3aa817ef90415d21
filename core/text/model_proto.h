// Internal: a SentencePiece `.model` file (a serialized sentencepiece.ModelProto, protobuf 2) read
// with a small hand-written wire-format reader, so that the encoder needs no protobuf library.
//
// Field numbers follow sentencepiece_model.proto as shipped with libsentencepiece 0.1.97:
//   ModelProto      1 pieces (repeated SentencePiece), 2 trainer_spec, 3 normalizer_spec,
//                   4 self_test_data (skipped), 5 denormalizer_spec
//   SentencePiece   1 piece, 2 score (float), 3 type (enum)
//   TrainerSpec     3 model_type, 4 vocab_size, 24 treat_whitespace_as_suffix, 25 split_digits,
//                   30 control_symbols, 31 user_defined_symbols, 35 byte_fallback,
//                   40..43 unk/bos/eos/pad id, 44 unk_surface, 45..48 unk/bos/eos/pad piece
//   NormalizerSpec  1 name, 2 precompiled_charsmap, 3 add_dummy_prefix,
//                   4 remove_extra_whitespaces, 5 escape_whitespaces
// Unknown fields are skipped, as protobuf does. Errors name the file, the byte offset and the
// field, e.g. "m.model @0x1a4: ModelProto.pieces[12].piece: length 300 runs past the end".
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace tinyllm::text::detail {

struct SpmPiece {
  std::string piece;
  float score = 0;
  int type = 1;     // 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte
  uint64_t offset;  // where the piece's message starts in the file (for errors)
};

struct SpmTrainerSpec {
  int model_type = 1;  // 1 unigram (protobuf default), 2 bpe, 3 word, 4 char
  int vocab_size = 8000;
  bool treat_whitespace_as_suffix = false;
  bool split_digits = false;
  bool byte_fallback = false;
  std::vector<std::string> control_symbols;
  std::vector<std::string> user_defined_symbols;
  int unk_id = 0, bos_id = 1, eos_id = 2, pad_id = -1;
  std::string unk_surface = " \xE2\x81\x87 ";
  std::string unk_piece = "<unk>", bos_piece = "<s>", eos_piece = "</s>", pad_piece = "<pad>";
};

struct SpmNormalizerSpec {
  std::string name;
  std::string precompiled_charsmap;
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

struct SpmModel {
  std::vector<SpmPiece> pieces;
  SpmTrainerSpec trainer;
  SpmNormalizerSpec normalizer;
  SpmNormalizerSpec denormalizer;
  bool has_trainer = false, has_normalizer = false, has_denormalizer = false;
};

// Parses a serialized ModelProto. `where` names the file in errors.
Result<SpmModel> parse_model_proto(std::string_view bytes, const std::string& where);

}  // namespace tinyllm::text::detail
