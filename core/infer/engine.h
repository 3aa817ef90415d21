// The engine a program on the device uses: a model, its tokenizer (the SentencePiece model
// embedded in the file) and its task (answers, prompt template), with classify and generate.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "infer/model.h"
#include "infer/recipe.h"
#include "infer/sampler.h"
#include "infer/session.h"
#include "text/tokenizer.h"

namespace tinyllm::infer {

// The tinyllm.* task keys of a file (empty for a pre-trained model without a task).
struct Task {
  std::string name;                  // "gesture"
  std::string kind;                  // "classification", "position"
  std::vector<std::string> answers;  // in class-index order
  std::string instruction;
  std::string prompt_template;  // with {instruction} and {input}
  std::string end_marker;       // "### End"
};

struct Classification {
  size_t best = 0;
  std::string label;
  std::vector<double> scores;  // log-probability per answer, in answer order
  size_t prompt_tokens = 0;
  double latency_ms = 0;
};

struct Generation {
  std::string text;  // the answer: up to the end marker, without it
  size_t prompt_tokens = 0, generated_tokens = 0;
  bool stopped_at_end = false;  // the end marker or the end-of-text token ended it
  double prompt_ms = 0, generate_ms = 0;
};

class Engine {
 public:
  static Result<std::unique_ptr<Engine>> load(const std::filesystem::path& path,
                                              SessionOptions options = {});

  const Model& model() const { return model_; }
  // Null when the file has no tokenizer (a bare model: info and bench only).
  const text::Tokenizer* tokenizer() const { return tokenizer_ ? &*tokenizer_ : nullptr; }
  const Task& task() const { return task_; }
  // How raw readings become a prompt; empty when the file has no recipe.
  const std::optional<Recipe>& recipe() const { return recipe_; }
  Session& session() { return *session_; }
  double load_ms() const { return load_ms_; }
  // The workbench version that wrote the file (tinyllm.workbench_version); "" for files written
  // before the key existed or by other tools.
  const std::string& workbench_version() const { return workbench_version_; }

  // The prompt for an input text, from the file's template and instruction.
  std::string prompt_for_input(std::string_view input) const;
  // Scores the task's answers after `prompt` (a whole prompt, as task_*.jsonl's "prompt").
  Result<Classification> classify(std::string_view prompt);
  // Generates after `prompt` until the end marker, the end-of-text token, `max_tokens` or the
  // context is full.
  Result<Generation> generate(std::string_view prompt, const SamplerSettings& sampling,
                              size_t max_tokens);

 private:
  explicit Engine(Model model) : model_(std::move(model)) {}
  Result<const text::Tokenizer*> need_tokenizer() const;
  Model model_;
  std::optional<text::Tokenizer> tokenizer_;
  Task task_;
  std::optional<Recipe> recipe_;
  std::vector<std::vector<int32_t>> answer_tokens_;  // each answer's response, end marker incl.
  std::unique_ptr<Session> session_;
  double load_ms_ = 0;
  std::string workbench_version_;
};

}  // namespace tinyllm::infer
