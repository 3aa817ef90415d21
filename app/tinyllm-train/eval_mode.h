// `tinyllm-train eval`: the model's answer for every example of a prepared split, one prediction
// per line in a JSON Lines file that `tinyllm eval` turns into the report (core/eval).
//
//   tinyllm-train eval --checkpoint=DIR --examples=PREPARED_DIR [--split=test]
//                 [--tokenizer=FILE] --out=PREDICTIONS.jsonl [--threads=N]
//                 [--decoding=constrained|free] [--max_tokens=N]
//
// Classification, constrained (the default): every answer of the task scored in one pass; the
//   prediction is the best. Line: {index, label, predicted, scores, prompt_tokens, latency_ms}.
// Classification, free: greedy generation with no constraint, up to --max_tokens tokens
//   (default: the longest answer's tokens + kFreeExtraTokens) or the end marker. Line: {index,
//   label, output (the text before the end marker), ended, predicted (the paper's rule,
//   eval/free_answer.h), verdict, answer_tokens, prompt_tokens, latency_ms}.
// Position: each answer decoded on the form "x=N y=N". Line: {index, text, position | null,
//   answer_tokens, prompt_tokens, latency_ms}.
// Examples run one at a time, so a latency is what one example costs.
#pragma once

#include "worker_io.h"

namespace tinyllm::worker {

// Free decoding's default room past the longest answer: a model that adds a word or repeats a
// label still gets to show it (and is scored for it).
inline constexpr int kFreeExtraTokens = 4;

int run_eval(Args& args);

}  // namespace tinyllm::worker
