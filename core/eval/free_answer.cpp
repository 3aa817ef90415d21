#include "eval/free_answer.h"

namespace tinyllm::eval {
namespace {

// Letters, digits, '_' and any byte of a multi-byte UTF-8 character join a label to its
// neighbours; everything else (spaces, punctuation, newlines) separates.
bool word_byte(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x80 || (u >= '0' && u <= '9') || (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') ||
         u == '_';
}

}  // namespace

const char* verdict_name(FreeVerdict verdict) {
  switch (verdict) {
    case FreeVerdict::one_label:
      return "one_label";
    case FreeVerdict::no_label:
      return "no_label";
    case FreeVerdict::several_labels:
      return "several_labels";
  }
  return "no_label";
}

std::vector<int> label_mentions(std::string_view output, const std::vector<std::string>& classes) {
  std::vector<int> found;
  size_t at = 0;
  while (at < output.size()) {
    // The longest label that starts here and touches no word on either side.
    const bool word_before = at > 0 && word_byte(output[at - 1]);
    int best = -1;
    size_t best_length = 0;
    for (size_t c = 0; c < classes.size(); ++c) {
      const std::string& label = classes[c];
      if (label.empty() || label.size() <= best_length ||
          output.compare(at, label.size(), label) != 0)
        continue;
      if (word_before && word_byte(label.front())) continue;
      const size_t end = at + label.size();
      if (end < output.size() && word_byte(output[end]) && word_byte(label.back())) continue;
      best = int(c);
      best_length = label.size();
    }
    if (best >= 0) {
      found.push_back(best);
      at += best_length;
    } else {
      ++at;
    }
  }
  return found;
}

FreeAnswer score_free_answer(std::string_view output, const std::vector<std::string>& classes) {
  const std::vector<int> mentions = label_mentions(output, classes);
  FreeAnswer answer;
  answer.mentions = mentions.size();
  if (mentions.empty()) {
    answer.verdict = FreeVerdict::no_label;
  } else if (mentions.size() > 1) {
    answer.verdict = FreeVerdict::several_labels;
  } else {
    answer.verdict = FreeVerdict::one_label;
    answer.predicted = mentions.front();
  }
  return answer;
}

}  // namespace tinyllm::eval
