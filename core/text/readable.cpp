#include "text/readable.h"

#include <string>

#include "text/tokenizer.h"

namespace tinyllm::text {
namespace {

// One character (code point) as people should see it.
void append_visible(std::string& out, char32_t c) {
  if (c == U'\n') {
    append_utf8(out, 0x23CE);  // ⏎
    out += '\n';
  } else if (c < 0x20) {
    append_utf8(out, 0x2400 + c);  // ␀ .. ␟
  } else if (c == 0x7F) {
    append_utf8(out, 0x2421);  // ␡
  } else {
    append_utf8(out, c);
  }
}

// Length of the UTF-8 sequence `bytes[at..]` starts, 0 when it is not a valid one.
size_t utf8_sequence(std::string_view bytes, size_t at, char32_t& code) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };
  const unsigned char lead = b(at);
  size_t len = 0;
  if (lead < 0x80) {
    code = lead;
    return 1;
  }
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (at + len > bytes.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((b(at + k) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (b(at + k) & 0x3F);
  }
  const bool overlong = (len == 3 && code < 0x800) || (len == 4 && code < 0x10000);
  if (overlong || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return 0;
  return len;
}

const char* const kHex = "0123456789ABCDEF";

}  // namespace

void append_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += char(c);
  } else if (c < 0x800) {
    out += char(0xC0 | (c >> 6));
    out += char(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    out += char(0xE0 | (c >> 12));
    out += char(0x80 | ((c >> 6) & 0x3F));
    out += char(0x80 | (c & 0x3F));
  } else {
    out += char(0xF0 | (c >> 18));
    out += char(0x80 | ((c >> 12) & 0x3F));
    out += char(0x80 | ((c >> 6) & 0x3F));
    out += char(0x80 | (c & 0x3F));
  }
}

std::string readable_text(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size();) {
    char32_t code = 0;
    const size_t len = utf8_sequence(bytes, i, code);
    if (len == 0) {
      const auto byte = static_cast<unsigned char>(bytes[i]);
      out += "<0x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
      out += '>';
      ++i;
      continue;
    }
    append_visible(out, code);
    i += len;
  }
  return out;
}

std::string piece_text(std::string_view piece) {
  static constexpr std::string_view kSpace = "\xE2\x96\x81";  // "▁", SentencePiece's space
  std::string text;
  for (size_t at = 0; at < piece.size();) {
    if (piece.compare(at, kSpace.size(), kSpace) == 0) {
      text += ' ';
      at += kSpace.size();
    } else {
      text += piece[at++];
    }
  }
  return text;
}

std::string readable_sample(const Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  // Gather the bytes first: a character may be spread over several byte pieces.
  std::string bytes, out;
  for (const int32_t id : ids) {
    if (id < 0 || id >= tokenizer.vocab_size()) {
      out += readable_text(bytes);
      bytes.clear();
      out += "<id " + std::to_string(id) + "?>";
      continue;
    }
    const std::string& piece = tokenizer.piece(id);
    switch (tokenizer.type(id)) {
      case PieceType::byte:
        bytes += char(std::stoi(piece.substr(3, 2), nullptr, 16));  // "<0xNN>"
        break;
      case PieceType::control:
      case PieceType::unused:
        break;  // <s>, </s>, <pad>: not text
      case PieceType::unknown:
        bytes += "\xE2\x81\x87";  // ⁇, as SentencePiece shows <unk>
        break;
      default:
        bytes += piece_text(piece);
    }
  }
  out += readable_text(bytes);
  return out;
}

}  // namespace tinyllm::text
