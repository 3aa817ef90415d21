// Constrained classification, the rule of `tinyllm eval` (core/train/task_data.h): each answer's
// score is the log-probability of its whole token sequence (answer and end marker) after the
// prompt; the prediction is the best score, the first one on ties. The prompt runs once; each
// answer's tokens then run from the cached state after it.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "infer/session.h"

namespace tinyllm::infer {

// Log-probabilities (natural log) of every answer after `prompt`, in answer order. The session
// starts over (rewind(0)) and ends with the prompt in its cache.
Result<std::vector<double>> score_answers(Session& session, const std::vector<int32_t>& prompt,
                                          const std::vector<std::vector<int32_t>>& answers);

// log(softmax(logits))[token], in double precision.
double log_probability(const float* logits, size_t n_vocab, int32_t token);

// The index of the best score, the first on ties (torch's argmax on CPU does the same).
size_t best_answer(const std::vector<double>& scores);

}  // namespace tinyllm::infer
