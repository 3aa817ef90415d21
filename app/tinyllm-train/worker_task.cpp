#include "worker_task.h"

#include <algorithm>

#include "augment.h"
#include "eval/examples.h"
#include "text/answer_form.h"
#include "text/prompt_template.h"

namespace tinyllm::worker {
namespace fs = std::filesystem;

namespace {

// The instruction of a prompt built by prompt::build_prompt.
std::string instruction_of(const std::string& prompt_text) {
  const std::string head = std::string(prompt::kInstructionMarker) + "\n";
  const std::string tail = "\n" + std::string(prompt::kInputMarker);
  const size_t from = prompt_text.find(head), to = prompt_text.find(tail);
  if (from != 0 || to == std::string::npos) return {};
  return prompt_text.substr(head.size(), to - head.size());
}

// Training examples that are re-written from varied readings for each draw.
class AugmentedExamples : public train::ExampleSource {
 public:
  AugmentedExamples(std::vector<train::TokenExample> tokens, std::vector<eval::EvalExample> windows,
                    std::unique_ptr<TextRecipe> recipe, text::Tokenizer tokenizer, int n_ctx,
                    std::string description)
      : tokens_(std::move(tokens)),
        windows_(std::move(windows)),
        recipe_(std::move(recipe)),
        tokenizer_(std::move(tokenizer)),
        n_ctx_(size_t(n_ctx)),
        description_(std::move(description)) {}
  size_t size() const override { return tokens_.size(); }
  std::string describe() const override { return description_; }
  Status read(size_t index, uint64_t draw, train::TokenExample& out) override {
    if (index >= tokens_.size())
      return make_error(description_, "no example " + std::to_string(index));
    out = tokens_[index];
    if (draw == 0) return {};
    const auto& e = windows_[index];
    const std::string instruction = instruction_of(e.prompt);
    if (instruction.empty()) return {};
    auto prompt_tokens =
        tokenizer_.encode(prompt::build_prompt(instruction, augmented_input(*recipe_, e, draw)));
    if (prompt_tokens.size() + out.response.size() <= n_ctx_) out.prompt = std::move(prompt_tokens);
    return {};
  }

 private:
  std::vector<train::TokenExample> tokens_;
  std::vector<eval::EvalExample> windows_;
  std::unique_ptr<TextRecipe> recipe_;
  text::Tokenizer tokenizer_;
  size_t n_ctx_;
  std::string description_;
};

}  // namespace

Result<TokenSplit> load_token_split(const fs::path& prepared_dir, const std::string& split,
                                    const text::Tokenizer& tokenizer,
                                    const std::vector<std::string>& classes) {
  TokenSplit out;
  TINYLLM_TRY_ASSIGN(text, pipeline::read_task_split(prepared_dir, split));
  out.text = std::move(text);
  for (const auto& e : out.text.examples) {
    train::TokenExample t;
    t.prompt = tokenizer.encode(e.prompt);
    t.response = tokenizer.encode(e.response);
    if (!classes.empty()) {
      const auto it = std::find(classes.begin(), classes.end(), e.label);
      if (it == classes.end())
        return make_error(out.text.file.filename().string() + ":" + std::to_string(e.line),
                          "label '" + e.label + "' is not one of the task's classes");
      t.label = int32_t(it - classes.begin());
    }
    out.tokens.push_back(std::move(t));
  }
  return out;
}

Result<train::TaskData> load_task_data(const fs::path& prepared_dir,
                                       const text::Tokenizer& tokenizer, bool augment, int n_ctx,
                                       std::string& note) {
  TINYLLM_TRY_ASSIGN(summary, pipeline::read_prepared_summary(prepared_dir));
  train::TaskData task;
  if (summary.contains("classes") && summary["classes"].is_array())
    for (const auto& c : summary["classes"])
      if (c.is_string()) task.classes.push_back(c.get<std::string>());
  // A position task answers with coordinates; its recordings' labels (zones) are not answers.
  const bool position = summary.value("task", "") == "position";
  if (position) task.classes.clear();
  if (!position && task.classes.empty())
    return make_error((prepared_dir / "prepared.json").string(),
                      "the task has no classes and is not a position task: nothing to learn");
  for (const auto& c : task.classes)
    task.answers.push_back(tokenizer.encode(prompt::build_response(c)));
  task.vocab_size = tokenizer.vocab_size();
  if (position) {
    task.form = std::make_shared<text::PositionForm>();
    task.token_texts = text::token_texts(tokenizer);
  }
  TINYLLM_TRY_ASSIGN(train, load_token_split(prepared_dir, "train", tokenizer, task.classes));
  if (train.tokens.empty()) return make_error(train.text.file.string(), "no training examples");
  std::unique_ptr<TextRecipe> recipe;
  std::vector<eval::EvalExample> windows;
  if (augment) {
    auto read = eval::read_task_split(prepared_dir, "train");
    if (read && read->size() == train.tokens.size()) {
      windows = std::move(*read);
      recipe = text_recipe(summary, windows, note);
    } else {
      note = read ? "the windows file does not match the examples" : read.error().to_string();
    }
    if (!recipe) note = "augmentation is off: " + note;
  }
  if (recipe)
    task.train = std::make_shared<AugmentedExamples>(std::move(train.tokens), std::move(windows),
                                                     std::move(recipe), tokenizer, n_ctx,
                                                     train.text.file.string());
  else
    task.train = train::memory_examples(std::move(train.tokens), train.text.file.string());
  TINYLLM_TRY_ASSIGN(val, load_token_split(prepared_dir, "val", tokenizer, task.classes));
  if (position)
    for (const auto& e : val.text.examples) {
      if (e.target.size() != 2)
        return make_error(val.text.file.filename().string() + ":" + std::to_string(e.line),
                          "a position example needs \"target\": [x, y]");
      task.val_targets.push_back({e.target[0], e.target[1]});
    }
  task.val = train::memory_examples(std::move(val.tokens), val.text.file.string());
  return task;
}

}  // namespace tinyllm::worker
