#include "json_lite.h"

#include <cmath>
#include <cstdio>

#include "text/readable.h"

namespace tinyllm::run {
namespace {

class Reader {
 public:
  explicit Reader(std::string_view text) : s_(text) {}

  Error error(const std::string& message) const {
    return make_error("column " + std::to_string(i_ + 1), message);
  }
  void skip_space() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\r' || s_[i_] == '\n'))
      ++i_;
  }
  bool eat(char c) {
    skip_space();
    if (i_ < s_.size() && s_[i_] == c) {
      ++i_;
      return true;
    }
    return false;
  }
  bool at_end() {
    skip_space();
    return i_ == s_.size();
  }
  char peek() {
    skip_space();
    return i_ < s_.size() ? s_[i_] : '\0';
  }

  Result<std::string> string() {
    if (!eat('"')) return error("expected a string");
    std::string out;
    while (i_ < s_.size()) {
      const char c = s_[i_++];
      if (c == '"') return out;
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) break;
      const char e = s_[i_++];
      switch (e) {
        case '"':
          out += '"';
          break;
        case '\\':
          out += '\\';
          break;
        case '/':
          out += '/';
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          TINYLLM_TRY_ASSIGN(code, hex4());
          if (code >= 0xD800 && code < 0xDC00) {  // a surrogate pair
            if (!(i_ + 1 < s_.size() && s_[i_] == '\\' && s_[i_ + 1] == 'u'))
              return error("a lone high surrogate");
            i_ += 2;
            TINYLLM_TRY_ASSIGN(low, hex4());
            if (low < 0xDC00 || low > 0xDFFF) return error("a bad low surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          }
          text::append_utf8(out, char32_t(code));
          break;
        }
        default:
          return error(std::string("unknown escape \\") + e);
      }
    }
    return error("the string does not end");
  }

  // Any value; a string is unescaped, anything else returned as its text.
  Result<std::string> value() {
    const char c = peek();
    if (c == '"') return string();
    const size_t start = i_;
    int depth = 0;
    bool in_string = false;
    for (; i_ < s_.size(); ++i_) {
      const char ch = s_[i_];
      if (in_string) {
        if (ch == '\\')
          ++i_;
        else if (ch == '"')
          in_string = false;
        continue;
      }
      if (ch == '"') {
        in_string = true;
      } else if (ch == '[' || ch == '{') {
        ++depth;
      } else if (ch == ']' || ch == '}') {
        if (depth == 0) break;
        --depth;
      } else if (ch == ',' && depth == 0) {
        break;
      }
    }
    if (depth != 0 || in_string) return error("a value does not end");
    std::string_view text = s_.substr(start, i_ - start);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
      text.remove_suffix(1);
    if (text.empty()) return error("expected a value");
    return std::string(text);
  }

 private:
  Result<uint32_t> hex4() {
    if (i_ + 4 > s_.size()) return error("a short \\u escape");
    uint32_t code = 0;
    for (int k = 0; k < 4; ++k) {
      const char h = s_[i_++];
      code <<= 4;
      if (h >= '0' && h <= '9')
        code |= uint32_t(h - '0');
      else if (h >= 'a' && h <= 'f')
        code |= uint32_t(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        code |= uint32_t(h - 'A' + 10);
      else
        return error("a bad \\u escape");
    }
    return code;
  }
  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

Result<std::map<std::string, std::string>> parse_flat_object(std::string_view line) {
  Reader r(line);
  std::map<std::string, std::string> fields;
  if (!r.eat('{')) return r.error("expected '{'");
  if (r.eat('}')) return fields;
  for (;;) {
    TINYLLM_TRY_ASSIGN(key, r.string());
    if (!r.eat(':')) return r.error("expected ':' after \"" + key + "\"");
    TINYLLM_TRY_ASSIGN(value, r.value());
    fields[key] = value;
    if (r.eat(',')) continue;
    if (r.eat('}')) break;
    return r.error("expected ',' or '}'");
  }
  if (!r.at_end()) return r.error("text after the object");
  return fields;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", unsigned(c));
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string json_number(double value) {
  if (!std::isfinite(value)) return "null";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  return buf;
}

}  // namespace tinyllm::run
