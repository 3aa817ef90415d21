#include "text/model_proto.h"

#include <cstring>

#include "base/binary.h"

namespace tinyllm::text::detail {
namespace {

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// Reads one protobuf message: a slice of the file's bytes. Offsets stay absolute so that errors
// point into the file; the base ByteReader does the bounds checks.
class WireReader {
 public:
  WireReader(ByteReader bytes, std::string message)
      : r_(std::move(bytes)), message_(std::move(message)) {}

  bool at_end() const { return r_.at_end(); }
  size_t pos() const { return static_cast<size_t>(r_.offset()); }

  Error error(size_t offset, const std::string& field, const std::string& what) const {
    return r_.error_at(offset, message_ + (field.empty() ? "" : "." + field) + ": " + what);
  }

  Status varint(uint64_t& value, const std::string& field) {
    const size_t start = pos();
    value = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (r_.at_end()) return error(start, field, "varint runs past the end of the message");
      TINYLLM_TRY_ASSIGN(byte, r_.u8(field));
      value |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if (!(byte & 0x80)) return {};
    }
    return error(start, field, "varint longer than 10 bytes");
  }

  // A tag: field number and wire type.
  Status tag(uint32_t& field, uint32_t& wire) {
    const size_t start = pos();
    uint64_t key = 0;
    TINYLLM_TRY(varint(key, "(tag)"));
    field = static_cast<uint32_t>(key >> 3);
    wire = static_cast<uint32_t>(key & 7);
    if (field == 0) return error(start, "", "field number 0 is invalid (not a model file?)");
    return {};
  }

  // A length-delimited payload, as a reader of its own.
  Result<ByteReader> span(const std::string& field) {
    const size_t start = pos();
    uint64_t length = 0;
    TINYLLM_TRY(varint(length, field));
    if (length > r_.remaining())
      return error(start, field,
                   "length " + std::to_string(length) + " runs past the end of the message (" +
                       std::to_string(r_.remaining()) + " bytes left)");
    return r_.slice(length, field);
  }

  Status bytes(std::string& out, const std::string& field) {
    TINYLLM_TRY_ASSIGN(payload, span(field));
    TINYLLM_TRY_ASSIGN(text, payload.string(payload.remaining(), field));
    out = std::move(text);
    return {};
  }

  Status fixed32(uint32_t& value, const std::string& field) {
    if (r_.remaining() < 4) return error(pos(), field, "float runs past the end of the message");
    TINYLLM_TRY_ASSIGN(v, r_.u32(field));
    value = v;
    return {};
  }

  Status skip(uint32_t wire, uint32_t field) {
    const std::string name = "(field " + std::to_string(field) + ")";
    switch (wire) {
      case kVarint: {
        uint64_t v = 0;
        return varint(v, name);
      }
      case kFixed64:
        if (r_.remaining() < 8)
          return error(pos(), name, "fixed64 runs past the end of the message");
        return r_.skip(8, name);
      case kLengthDelimited: {
        auto payload = span(name);
        if (!payload) return payload.error();
        return {};
      }
      case kFixed32: {
        uint32_t v = 0;
        return fixed32(v, name);
      }
      default:
        return error(pos(), name, "unsupported wire type " + std::to_string(wire));
    }
  }

  // Checks the wire type of a known field.
  Status expect(uint32_t wire, uint32_t expected, size_t tag_offset, const std::string& field) {
    if (wire == expected) return {};
    return error(tag_offset, field,
                 "wire type " + std::to_string(wire) + ", expected " + std::to_string(expected));
  }

 private:
  ByteReader r_;
  std::string message_;
};

Status read_bool(WireReader& r, uint32_t wire, size_t at, const char* field, bool& out) {
  TINYLLM_TRY(r.expect(wire, kVarint, at, field));
  uint64_t v = 0;
  TINYLLM_TRY(r.varint(v, field));
  out = v != 0;
  return {};
}

// int32 fields are sign-extended to 64 bits on the wire.
Status read_int(WireReader& r, uint32_t wire, size_t at, const char* field, int& out) {
  TINYLLM_TRY(r.expect(wire, kVarint, at, field));
  uint64_t v = 0;
  TINYLLM_TRY(r.varint(v, field));
  out = static_cast<int>(static_cast<int32_t>(static_cast<uint32_t>(v)));
  return {};
}

Status read_string(WireReader& r, uint32_t wire, size_t at, const char* field, std::string& out) {
  TINYLLM_TRY(r.expect(wire, kLengthDelimited, at, field));
  return r.bytes(out, field);
}

Status parse_piece(WireReader r, SpmPiece& piece) {
  while (!r.at_end()) {
    const size_t at = r.pos();
    uint32_t field = 0, wire = 0;
    TINYLLM_TRY(r.tag(field, wire));
    if (field == 1) {
      TINYLLM_TRY(read_string(r, wire, at, "piece", piece.piece));
    } else if (field == 2) {
      TINYLLM_TRY(r.expect(wire, kFixed32, at, "score"));
      uint32_t bits = 0;
      TINYLLM_TRY(r.fixed32(bits, "score"));
      std::memcpy(&piece.score, &bits, sizeof bits);
    } else if (field == 3) {
      TINYLLM_TRY(read_int(r, wire, at, "type", piece.type));
      if (piece.type < 1 || piece.type > 6)
        return r.error(at, "type", "unknown piece type " + std::to_string(piece.type));
    } else {
      TINYLLM_TRY(r.skip(wire, field));
    }
  }
  return {};
}

Status parse_trainer(WireReader r, SpmTrainerSpec& t) {
  while (!r.at_end()) {
    const size_t at = r.pos();
    uint32_t field = 0, wire = 0;
    TINYLLM_TRY(r.tag(field, wire));
    switch (field) {
      case 3:
        TINYLLM_TRY(read_int(r, wire, at, "model_type", t.model_type));
        break;
      case 4:
        TINYLLM_TRY(read_int(r, wire, at, "vocab_size", t.vocab_size));
        break;
      case 24:
        TINYLLM_TRY(
            read_bool(r, wire, at, "treat_whitespace_as_suffix", t.treat_whitespace_as_suffix));
        break;
      case 25:
        TINYLLM_TRY(read_bool(r, wire, at, "split_digits", t.split_digits));
        break;
      case 30:
        TINYLLM_TRY(read_string(r, wire, at, "control_symbols", t.control_symbols.emplace_back()));
        break;
      case 31:
        TINYLLM_TRY(read_string(r, wire, at, "user_defined_symbols",
                                t.user_defined_symbols.emplace_back()));
        break;
      case 35:
        TINYLLM_TRY(read_bool(r, wire, at, "byte_fallback", t.byte_fallback));
        break;
      case 40:
        TINYLLM_TRY(read_int(r, wire, at, "unk_id", t.unk_id));
        break;
      case 41:
        TINYLLM_TRY(read_int(r, wire, at, "bos_id", t.bos_id));
        break;
      case 42:
        TINYLLM_TRY(read_int(r, wire, at, "eos_id", t.eos_id));
        break;
      case 43:
        TINYLLM_TRY(read_int(r, wire, at, "pad_id", t.pad_id));
        break;
      case 44:
        TINYLLM_TRY(read_string(r, wire, at, "unk_surface", t.unk_surface));
        break;
      case 45:
        TINYLLM_TRY(read_string(r, wire, at, "unk_piece", t.unk_piece));
        break;
      case 46:
        TINYLLM_TRY(read_string(r, wire, at, "bos_piece", t.bos_piece));
        break;
      case 47:
        TINYLLM_TRY(read_string(r, wire, at, "eos_piece", t.eos_piece));
        break;
      case 48:
        TINYLLM_TRY(read_string(r, wire, at, "pad_piece", t.pad_piece));
        break;
      default:
        TINYLLM_TRY(r.skip(wire, field));
    }
  }
  return {};
}

Status parse_normalizer(WireReader r, SpmNormalizerSpec& n) {
  while (!r.at_end()) {
    const size_t at = r.pos();
    uint32_t field = 0, wire = 0;
    TINYLLM_TRY(r.tag(field, wire));
    switch (field) {
      case 1:
        TINYLLM_TRY(read_string(r, wire, at, "name", n.name));
        break;
      case 2:
        TINYLLM_TRY(read_string(r, wire, at, "precompiled_charsmap", n.precompiled_charsmap));
        break;
      case 3:
        TINYLLM_TRY(read_bool(r, wire, at, "add_dummy_prefix", n.add_dummy_prefix));
        break;
      case 4:
        TINYLLM_TRY(read_bool(r, wire, at, "remove_extra_whitespaces", n.remove_extra_whitespaces));
        break;
      case 5:
        TINYLLM_TRY(read_bool(r, wire, at, "escape_whitespaces", n.escape_whitespaces));
        break;
      default:
        TINYLLM_TRY(r.skip(wire, field));
    }
  }
  return {};
}

}  // namespace

Result<SpmModel> parse_model_proto(std::string_view bytes, const std::string& where) {
  SpmModel model;
  WireReader r(ByteReader(bytes, where), "ModelProto");
  if (bytes.empty()) return r.error(0, "", "the file is empty");
  while (!r.at_end()) {
    const size_t at = r.pos();
    uint32_t field = 0, wire = 0;
    TINYLLM_TRY(r.tag(field, wire));
    if (field == 1 || field == 2 || field == 3 || field == 5) {
      const std::string name = field == 1   ? "pieces[" + std::to_string(model.pieces.size()) + "]"
                               : field == 2 ? "trainer_spec"
                               : field == 3 ? "normalizer_spec"
                                            : "denormalizer_spec";
      TINYLLM_TRY(r.expect(wire, kLengthDelimited, at, name));
      TINYLLM_TRY_ASSIGN(payload, r.span(name));
      WireReader sub(std::move(payload), "ModelProto." + name);
      if (field == 1) {
        SpmPiece piece;
        piece.offset = at;
        TINYLLM_TRY(parse_piece(sub, piece));
        model.pieces.push_back(std::move(piece));
      } else if (field == 2) {
        TINYLLM_TRY(parse_trainer(sub, model.trainer));
        model.has_trainer = true;
      } else if (field == 3) {
        TINYLLM_TRY(parse_normalizer(sub, model.normalizer));
        model.has_normalizer = true;
      } else {
        TINYLLM_TRY(parse_normalizer(sub, model.denormalizer));
        model.has_denormalizer = true;
      }
    } else {
      TINYLLM_TRY(r.skip(wire, field));
    }
  }
  return model;
}

}  // namespace tinyllm::text::detail
