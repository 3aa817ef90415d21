// Task examples as tokens, for fine-tuning and evaluation, and scoring a task's answers.
//
// Fine-tuning trains on prompt + response with the loss on the response only (answer and end
// marker). A batch is a pure function of (seed, sequence index), as in pre-training: sequence k
// is example perm_e(k mod N) of epoch e = k / N, so a resumed run reads the same examples.
//
// Scoring (constrained decoding): the prediction is the answer whose whole token sequence, end
// marker included, has the highest log-probability after the prompt. All answers are scored in one
// forward pass: the answers' trie is laid out after the prompt, each node at position
// prompt + depth and attending only to the prompt and its own ancestors, so the pass costs the
// prompt plus the trie's nodes, not (prompt + answer) times the number of answers.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "text/answer_form.h"
#include "train/gpt2.h"

namespace tinyllm::train {

struct TokenExample {
  std::vector<int32_t> prompt;    // instruction and input, up to the response marker line
  std::vector<int32_t> response;  // answer and end marker: the only tokens with a loss
  int32_t label = -1;             // class index, -1 when the task has none (position)
};

class ExampleSource {
 public:
  virtual ~ExampleSource() = default;
  virtual size_t size() const = 0;
  // Example `index` as the model sees it. `draw` 0 is the example as prepared; any other value an
  // augmented variant that is a pure function of (index, draw).
  virtual Status read(size_t index, uint64_t draw, TokenExample& out) = 0;
  virtual std::string describe() const = 0;
};

std::shared_ptr<ExampleSource> memory_examples(std::vector<TokenExample> examples,
                                               std::string description);

// What fine-tuning needs besides the model: the examples and the task's answer set, or, for a
// position task (no answer set), the answers' form and where each validation example was.
struct TaskData {
  std::shared_ptr<ExampleSource> train, val;
  std::vector<std::string> classes;           // answer texts, in class-index order
  std::vector<std::vector<int32_t>> answers;  // tokens of each class's response
  int vocab_size = 0;
  std::shared_ptr<const text::AnswerForm> form;  // position tasks
  std::vector<std::string> token_texts;          // text::token_texts of the tokenizer
  std::vector<text::Position> val_targets;       // position tasks: per validation example
  bool is_position() const { return form != nullptr; }
};

// The batch of `examples`: x, y (rows, T) int64 with T the longest example minus one; targets
// are -1 on prompt tokens and padding.
void build_batch(const std::vector<TokenExample>& examples, torch::Tensor& x, torch::Tensor& y);

// Sequence k's example index and augmentation draw (see the file comment).
struct ExamplePick {
  size_t index = 0;
  uint64_t draw = 0;
};
// Each epoch visits every example once in an order that depends only on (seed, epoch), so a
// sequence's example is a pure function of its number (resume is exact); the order of the
// current epoch is kept, as sorting it again for every sequence cost O(examples) each.
class ExampleOrder {
 public:
  ExampleOrder(size_t count, uint64_t seed, bool augment)
      : count_(count), seed_(seed), augment_(augment) {}
  ExamplePick pick(uint64_t sequence);

 private:
  size_t count_;
  uint64_t seed_;
  bool augment_;
  uint64_t epoch_ = UINT64_MAX;  // whose order `order_` holds
  std::vector<uint32_t> order_;
};

// The answers' trie laid out after a prompt (see the file comment).
class AnswerTrie {
 public:
  explicit AnswerTrie(const std::vector<std::vector<int32_t>>& answers);
  size_t nodes() const { return token_.size(); }
  size_t answers() const { return answer_nodes_.size(); }
  // Log-probability of every answer after each prompt: (prompts, answers). The model runs in
  // batches of `batch` prompts.
  torch::Tensor score(const Gpt2& model, const std::vector<std::vector<int32_t>>& prompts,
                      int batch = 16) const;

 private:
  std::vector<int32_t> token_;   // per node
  std::vector<int32_t> parent_;  // per node; -1: the root's children (predicted by the prompt)
  std::vector<int32_t> depth_;   // per node, 0 for the first answer token
  std::vector<std::vector<int32_t>> answer_nodes_;  // per answer, its nodes from first to last
};

// Greedy decoding of each prompt's answer held to `form`: at every step the most likely token
// whose text keeps the answer viable (text::AnswerForm), until the answer is complete or
// `max_tokens` were made (then it is incomplete). `token_texts` from text::token_texts.
// Prompts run `batch` at a time.
struct DecodedAnswer {
  std::string text;
  std::vector<int32_t> ids;
  bool complete = false;
};
std::vector<DecodedAnswer> decode_with_form(const Gpt2& model,
                                            const std::vector<std::vector<int32_t>>& prompts,
                                            const std::vector<std::string>& token_texts,
                                            const text::AnswerForm& form, int max_tokens,
                                            int batch);

// Free decoding: the most likely token at every step, with no constraint, until the text holds
// the end marker (prompt_template.h; `complete` is then true and the text ends with it), a
// control token is made (complete too; it adds no text), `max_tokens` were made or the context is
// full. The text is everything generated; the answer is what comes before the end marker.
std::vector<DecodedAnswer> decode_free(const Gpt2& model,
                                       const std::vector<std::vector<int32_t>>& prompts,
                                       const std::vector<std::string>& token_texts, int max_tokens,
                                       int batch);

}  // namespace tinyllm::train
