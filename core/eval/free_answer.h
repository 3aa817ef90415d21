// Scoring a freely generated answer with the TinyLLM paper's rule: the answer is right when the
// true label appears exactly once in the output. An output that names no label, or names labels
// more than once (two different labels, or the same one twice), is wrong and is counted apart.
//
// A label is matched as a whole label, never as part of a longer word: it must not touch a letter,
// digit, '_' or a non-ASCII byte on either side ("wing" is not found in "wings" nor in
// "swing"). Where labels overlap (one label is part of another, "ring" and "left ring"), the
// longest label starting at a position wins and the scan goes on after it, so "left ring" is one
// mention of "left ring", not also one of "ring". Matching is case-sensitive, as the labels are
// exactly what the model was fine-tuned to write. Plain C++17.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace tinyllm::eval {

enum class FreeVerdict {
  one_label,       // exactly one mention of one label: that label is the prediction
  no_label,        // no label at all
  several_labels,  // two or more mentions (different labels, or one label repeated)
};
const char* verdict_name(FreeVerdict verdict);  // "one_label", "no_label", "several_labels"

struct FreeAnswer {
  FreeVerdict verdict = FreeVerdict::no_label;
  int predicted = -1;   // class index for one_label, else -1 (wrong, "unparseable")
  size_t mentions = 0;  // label mentions found in the output
};

// The label mentions in `output` (class indices in order of appearance), by the rule above.
std::vector<int> label_mentions(std::string_view output, const std::vector<std::string>& classes);

// `output` is the generated answer, the end marker and what follows it already cut off
// (prompt::answer_of).
FreeAnswer score_free_answer(std::string_view output, const std::vector<std::string>& classes);

// How many outputs had no label and how many several, of a set of free answers.
struct FreeCounts {
  int64_t no_label = 0;
  int64_t several_labels = 0;
};

}  // namespace tinyllm::eval
