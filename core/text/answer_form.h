// What a model's answer may look like, character by character, so that decoding can be held to
// it. Classification answers come from a finite set (core/train/task_data.h's AnswerTrie scores
// them all at once); a position answer is "x=<number> y=<number>" then the end of the response
// (prompt_template.h), which no finite set holds, so decoding is greedy and every step may only
// pick a token whose text keeps the answer on that form. Plain C++17 for the edge runtime.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tinyllm::text {

class Tokenizer;

// The answer text a form accepts so far. Leading spaces are ignored (the encoder's dummy prefix
// decodes as one).
class AnswerForm {
 public:
  virtual ~AnswerForm() = default;
  // Whether `text` can still be extended into a complete answer.
  virtual bool viable(std::string_view text) const = 0;
  // Whether `text` is a complete answer, end marker included.
  virtual bool complete(std::string_view text) const = 0;
};

// "x=<number> y=<number>\n### End", a number being -?digits(.digits)? with at most `max_digits`
// digits on each side of the point (so that decoding always ends).
class PositionForm final : public AnswerForm {
 public:
  explicit PositionForm(int max_digits = 6) : max_digits_(max_digits) {}
  bool viable(std::string_view text) const override;
  bool complete(std::string_view text) const override;

 private:
  int max_digits_;
};

struct Position {
  double x = 0, y = 0;
};
// "x=12.5 y=-3" (leading spaces, and the end marker after a newline, allowed) -> the point;
// nullopt when the text is not of that form.
std::optional<Position> parse_position(std::string_view answer);

// Each token's text as it appears in decoded output: "▁" as a space, a byte piece <0xNN> as its
// byte, control and unknown pieces empty (never part of an answer).
std::vector<std::string> token_texts(const Tokenizer& tokenizer);

}  // namespace tinyllm::text
