#include "infer/classify.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace tinyllm::infer {

double log_probability(const float* logits, size_t n_vocab, int32_t token) {
  float top = logits[0];
  for (size_t i = 1; i < n_vocab; ++i)
    top = std::max(top, logits[i]);
  // expf gives the same bits on x86_64, aarch64 and armhf (glibc's double exp does not on armhf),
  // so every runtime reports the same scores; the sum is kept in double.
  double total = 0;
  for (size_t i = 0; i < n_vocab; ++i)
    total += double(std::exp(logits[i] - top));
  return double(logits[token]) - double(top) - std::log(total);
}

size_t best_answer(const std::vector<double>& scores) {
  size_t best = 0;
  for (size_t i = 1; i < scores.size(); ++i)
    if (scores[i] > scores[best]) best = i;
  return best;
}

Result<std::vector<double>> score_answers(Session& session, const std::vector<int32_t>& prompt,
                                          const std::vector<std::vector<int32_t>>& answers) {
  const size_t V = size_t(session.model().hparams().n_vocab);
  if (prompt.empty()) return make_error("classify", "the prompt has no tokens");
  session.rewind(0);
  TINYLLM_TRY(session.eval(prompt));
  const std::vector<float> after_prompt = session.logits();  // predicts each first answer token
  std::vector<double> scores;
  for (size_t a = 0; a < answers.size(); ++a) {
    const auto& answer = answers[a];
    if (answer.empty())
      return make_error("classify", "answer " + std::to_string(a) + " has no tokens");
    for (int32_t id : answer)
      if (id < 0 || size_t(id) >= V)
        return make_error("classify", "answer " + std::to_string(a) + " has token id " +
                                          std::to_string(id) + ", outside the vocabulary");
    double sum = log_probability(after_prompt.data(), V, answer[0]);
    if (answer.size() > 1) {
      session.rewind(prompt.size());
      TINYLLM_TRY(session.eval(answer.data(), answer.size() - 1, /*all_logits=*/true));
      for (size_t i = 1; i < answer.size(); ++i)
        sum += log_probability(session.logits().data() + (i - 1) * V, V, answer[i]);
    }
    scores.push_back(sum);
  }
  session.rewind(prompt.size());
  return scores;
}

}  // namespace tinyllm::infer
