#include "run_display.h"

#include <QList>

#include <algorithm>
#include <string>

#include "text/tokenizer.h"

namespace tinyllm::ui {

void smooth_centered_tail(const std::vector<double>& values, int radius, size_t first,
                          std::vector<double>& smoothed) {
  const size_t n = values.size();
  smoothed.resize(n);
  const size_t r = size_t(std::max(0, radius));
  for (size_t i = first; i < n; ++i) {
    const size_t half = std::min({r, i, n - 1 - i});
    double sum = 0;
    for (size_t k = i - half; k <= i + half; ++k)
      sum += values[k];
    smoothed[i] = sum / double(2 * half + 1);
  }
}

std::vector<double> smooth_centered(const std::vector<double>& values, int radius) {
  std::vector<double> out;
  smooth_centered_tail(values, radius, 0, out);
  return out;
}

namespace {

// One character (code point) as people should see it.
void append_visible(QString& out, char32_t c) {
  if (c == U'\n') {
    out += QChar(0x23CE);  // ⏎
    out += QLatin1Char('\n');
  } else if (c < 0x20) {
    out += QChar(char16_t(0x2400 + c));  // ␀ .. ␟
  } else if (c == 0x7F) {
    out += QChar(0x2421);  // ␡
  } else {
    out += QString::fromUcs4(&c, 1);
  }
}

// Length of the UTF-8 sequence `bytes[at..]` starts, 0 when it is not a valid one.
size_t utf8_sequence(const std::string& bytes, size_t at, char32_t& code) {
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

// Bytes (from text pieces and byte pieces alike) as visible text.
void append_bytes(QString& out, const std::string& bytes) {
  for (size_t i = 0; i < bytes.size();) {
    char32_t code = 0;
    const size_t len = utf8_sequence(bytes, i, code);
    if (len == 0) {
      const auto byte = static_cast<unsigned char>(bytes[i]);
      out += QStringLiteral("<0x%1>").arg(
          QString::number(byte, 16).toUpper().rightJustified(2, QLatin1Char('0')));
      ++i;
      continue;
    }
    append_visible(out, code);
    i += len;
  }
}

}  // namespace

QString readable_sample(const text::Tokenizer& tokenizer, const std::vector<int32_t>& ids) {
  // Gather the bytes first: a character may be spread over several byte pieces.
  std::string bytes;
  QString out;
  const std::string space = "\xE2\x96\x81";  // "▁", SentencePiece's space
  for (const int32_t id : ids) {
    if (id < 0 || id >= tokenizer.vocab_size()) {
      append_bytes(out, bytes);
      bytes.clear();
      out += QStringLiteral("<id %1?>").arg(id);
      continue;
    }
    const std::string& piece = tokenizer.piece(id);
    switch (tokenizer.type(id)) {
      case text::PieceType::byte:
        bytes += char(std::stoi(piece.substr(3, 2), nullptr, 16));  // "<0xNN>"
        break;
      case text::PieceType::control:
      case text::PieceType::unused:
        break;  // <s>, </s>, <pad>: not text
      case text::PieceType::unknown:
        bytes += "\xE2\x81\x87";  // ⁇, as SentencePiece shows <unk>
        break;
      default: {
        // (Appending piecewise, not std::string::replace: GCC 12 warns falsely about that.)
        for (size_t at = 0; at < piece.size();) {
          if (piece.compare(at, space.size(), space) == 0) {
            bytes += ' ';
            at += space.size();
          } else {
            bytes += piece[at++];
          }
        }
      }
    }
  }
  append_bytes(out, bytes);
  return out;
}

QString readable_text(const QString& text) {
  QString out;
  for (const char32_t c : text.toUcs4())
    append_visible(out, c);
  return out;
}

}  // namespace tinyllm::ui
