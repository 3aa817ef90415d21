#include "text/answer_form.h"

#include <charconv>
#include <cstdlib>

#include "text/prompt_template.h"
#include "text/readable.h"
#include "text/tokenizer.h"

namespace tinyllm::text {
namespace {

// How far `text` gets through "x=N y=N\n### End".
struct Scan {
  bool viable = false;
  bool complete = false;
};

class Scanner {
 public:
  Scanner(std::string_view text, int max_digits) : t_(text), max_(max_digits) {
    while (i_ < t_.size() && t_[i_] == ' ')
      ++i_;
  }
  // 1: matched, 0: the text ended inside it, -1: it cannot match.
  int literal(std::string_view s) {
    for (char c : s) {
      if (i_ == t_.size()) return 0;
      if (t_[i_] != c) return -1;
      ++i_;
    }
    return 1;
  }
  // A number followed by more text (1), the text ending in or right after one (0), or not a
  // number (-1).
  int number() {
    if (i_ < t_.size() && t_[i_] == '-') ++i_;
    const int digits = run_of_digits();
    if (digits < 0) return -1;
    if (i_ == t_.size()) return 0;
    if (digits == 0) return -1;
    if (t_[i_] != '.') return 1;
    ++i_;
    const int decimals = run_of_digits();
    if (decimals < 0) return -1;
    if (i_ == t_.size()) return 0;
    return decimals == 0 ? -1 : 1;
  }
  bool at_end() const { return i_ == t_.size(); }

 private:
  int run_of_digits() {
    int n = 0;
    while (i_ < t_.size() && t_[i_] >= '0' && t_[i_] <= '9') {
      ++i_;
      if (++n > max_) return -1;
    }
    return n;
  }
  std::string_view t_;
  int max_;
  size_t i_ = 0;
};

Scan scan_position(std::string_view text, int max_digits) {
  Scanner s(text, max_digits);
  std::string end = "\n";
  end += prompt::kEndMarker;
  for (int part = 0; part < 5; ++part) {
    const int r = part == 0   ? s.literal("x=")
                  : part == 2 ? s.literal(" y=")
                  : part == 4 ? s.literal(end)
                              : s.number();
    if (r < 0) return {false, false};
    if (r == 0) return {true, false};
  }
  return {s.at_end(), s.at_end()};
}

std::optional<double> to_number(std::string_view s) {
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

bool PositionForm::viable(std::string_view text) const {
  return scan_position(text, max_digits_).viable;
}

bool PositionForm::complete(std::string_view text) const {
  return scan_position(text, max_digits_).complete;
}

std::optional<Position> parse_position(std::string_view answer) {
  while (!answer.empty() && answer.front() == ' ')
    answer.remove_prefix(1);
  if (const size_t nl = answer.find('\n'); nl != std::string_view::npos)
    answer = answer.substr(0, nl);
  if (answer.substr(0, 2) != "x=") return std::nullopt;
  const size_t y = answer.find(" y=");
  if (y == std::string_view::npos) return std::nullopt;
  const auto x_value = to_number(answer.substr(2, y - 2));
  const auto y_value = to_number(answer.substr(y + 3));
  if (!x_value || !y_value) return std::nullopt;
  return Position{*x_value, *y_value};
}

std::vector<std::string> token_texts(const Tokenizer& tokenizer) {
  std::vector<std::string> out(size_t(tokenizer.vocab_size()));
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    const std::string& piece = tokenizer.piece(id);
    switch (tokenizer.type(id)) {
      case PieceType::byte:  // <0xNN>
        if (piece.size() == 6) out[size_t(id)] = char(std::strtol(piece.c_str() + 3, nullptr, 16));
        break;
      case PieceType::normal:
      case PieceType::user_defined:
        out[size_t(id)] = piece_text(piece);
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace tinyllm::text
