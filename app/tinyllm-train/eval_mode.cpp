#include "eval_mode.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include <torch/torch.h>

#include "base/files.h"
#include "eval/free_answer.h"
#include "pipeline/finetune_step.h"
#include "pipeline/tokenizer_step.h"
#include "pipeline/worker_events.h"
#include "settings/settings.h"
#include "text/answer_form.h"
#include "text/prompt_template.h"
#include "text/tokenizer.h"
#include "train/checkpoint.h"
#include "train/task_data.h"
#include "worker_task.h"

namespace tinyllm::worker {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

double milliseconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// Progress about every twentieth of the examples, and at the last.
class Progress {
 public:
  explicit Progress(size_t total) : total_(total) {}
  void done(size_t count) {
    if (count < next_ && count != total_) return;
    print_event({{events::kEvent, "eval_progress"}, {"done", count}, {"total", total_}});
    next_ = count + std::max<size_t>(1, total_ / 20);
  }

 private:
  size_t total_, next_ = 0;
};

Status fits_context(const TokenSplit& data, size_t i, size_t answer_tokens, int n_ctx) {
  const size_t prompt = data.tokens[i].prompt.size();
  if (prompt + answer_tokens <= size_t(n_ctx)) return {};
  return make_error(data.text.file.string() + ":" + std::to_string(data.text.examples[i].line),
                    "the prompt has " + std::to_string(prompt) +
                        " tokens; with an answer it does not fit the context (" +
                        std::to_string(n_ctx) + ")");
}

// Position tasks: each answer decoded on the form "x=N y=N" (text/answer_form.h), parsed, and
// written with its latency; the done event carries the mean error.
Status eval_positions(const train::Gpt2& model, const TokenSplit& data,
                      const text::Tokenizer& tokenizer, AtomicFile& file, int n_ctx,
                      const std::string& out) {
  const text::PositionForm form;
  const auto texts = text::token_texts(tokenizer);
  constexpr int kMaxAnswerTokens = 32;
  const size_t n = data.tokens.size();
  size_t unparseable = 0, scored = 0;
  double error_sum = 0;
  Progress progress(n);
  for (size_t i = 0; i < n; ++i) {
    if (stop_requested().load()) return make_error("eval", "stopped");
    const auto& e = data.tokens[i];
    const auto& example = data.text.examples[i];
    TINYLLM_TRY(fits_context(data, i, kMaxAnswerTokens, n_ctx));
    const auto t0 = std::chrono::steady_clock::now();
    const auto decoded =
        train::decode_with_form(model, {e.prompt}, texts, form, kMaxAnswerTokens, 1);
    const double ms = milliseconds_since(t0);
    const auto p = decoded[0].complete ? text::parse_position(decoded[0].text) : std::nullopt;
    json line{{"index", i},
              {"text", decoded[0].text},
              {"prompt_tokens", e.prompt.size()},
              {"answer_tokens", decoded[0].ids.size()},
              {"latency_ms", ms}};
    if (p) {
      line["position"] = {p->x, p->y};
      if (example.target.size() == 2) {
        error_sum += std::hypot(p->x - example.target[0], p->y - example.target[1]);
        ++scored;
      }
    } else {
      line["position"] = nullptr;
      ++unparseable;
    }
    TINYLLM_TRY(file.write(line.dump() + "\n"));
    progress.done(i + 1);
  }
  TINYLLM_TRY(file.commit());
  print_event({{events::kEvent, events::kDone},
               {"reason", events::kCompleted},
               {"examples", n},
               {"mean_error_m", scored ? error_sum / double(scored) : 0.0},
               {"unparseable", unparseable},
               {"predictions", out}});
  return {};
}

// Classification, constrained: every answer of the task scored after the prompt (the answers'
// trie, one pass); the prediction is the best, the scores are the per-class log-probabilities.
Status eval_constrained(const train::Gpt2& model, const TokenSplit& data,
                        const std::vector<std::string>& classes,
                        const std::vector<std::vector<int32_t>>& answers, AtomicFile& file,
                        int n_ctx, const std::string& out) {
  const train::AnswerTrie trie(answers);
  size_t longest_answer = 0;
  for (const auto& a : answers)
    longest_answer = std::max(longest_answer, a.size());
  const size_t n = data.tokens.size();
  size_t correct = 0;
  Progress progress(n);
  for (size_t i = 0; i < n; ++i) {
    if (stop_requested().load()) return make_error("eval", "stopped");
    const auto& e = data.tokens[i];
    TINYLLM_TRY(fits_context(data, i, longest_answer, n_ctx));
    const auto t0 = std::chrono::steady_clock::now();
    const auto scores = trie.score(model, {e.prompt}, 1);
    const double ms = milliseconds_since(t0);
    const int64_t best = scores[0].argmax().item<int64_t>();
    if (best == e.label) ++correct;
    std::vector<double> row(classes.size());
    for (size_t c = 0; c < classes.size(); ++c)
      row[c] = scores[0][int64_t(c)].item<double>();
    const json line{{"index", i},
                    {"label", e.label},
                    {"predicted", best},
                    {"scores", row},
                    {"prompt_tokens", e.prompt.size()},
                    {"latency_ms", ms}};
    TINYLLM_TRY(file.write(line.dump() + "\n"));
    progress.done(i + 1);
  }
  TINYLLM_TRY(file.commit());
  print_event({{events::kEvent, events::kDone},
               {"reason", events::kCompleted},
               {"decoding", "constrained"},
               {"examples", n},
               {"accuracy", n ? double(correct) / double(n) : 0.0},
               {"predictions", out}});
  return {};
}

// The answer in freely generated text: what comes before the end marker, without the newline
// that separates them.
std::string free_output(const std::string& generated) {
  std::string answer = generated.substr(0, generated.find(prompt::kEndMarker));
  if (!answer.empty() && answer.back() == '\n') answer.pop_back();
  return answer;
}

// Classification, free: greedy generation with no constraint, scored with the paper's rule.
Status eval_free(const train::Gpt2& model, const TokenSplit& data, const text::Tokenizer& tokenizer,
                 const std::vector<std::string>& classes, size_t longest_answer, int max_tokens,
                 AtomicFile& file, int n_ctx, const std::string& out) {
  const auto texts = text::token_texts(tokenizer);
  const size_t n = data.tokens.size();
  size_t correct = 0, no_label = 0, several = 0;
  Progress progress(n);
  for (size_t i = 0; i < n; ++i) {
    if (stop_requested().load()) return make_error("eval", "stopped");
    const auto& e = data.tokens[i];
    // The answer must fit; generation past it stops at the context's end.
    TINYLLM_TRY(fits_context(data, i, longest_answer, n_ctx));
    const auto t0 = std::chrono::steady_clock::now();
    const auto decoded = train::decode_free(model, {e.prompt}, texts, max_tokens, 1);
    const double ms = milliseconds_since(t0);
    const std::string output = free_output(decoded[0].text);
    const eval::FreeAnswer answer = eval::score_free_answer(output, classes);
    if (answer.predicted >= 0 && answer.predicted == e.label) ++correct;
    no_label += answer.verdict == eval::FreeVerdict::no_label;
    several += answer.verdict == eval::FreeVerdict::several_labels;
    const json line{{"index", i},
                    {"label", e.label},
                    {"output", output},
                    {"ended", decoded[0].complete},
                    {"predicted", answer.predicted},
                    {"verdict", eval::verdict_name(answer.verdict)},
                    {"answer_tokens", decoded[0].ids.size()},
                    {"max_tokens", max_tokens},
                    {"prompt_tokens", e.prompt.size()},
                    {"latency_ms", ms}};
    TINYLLM_TRY(file.write(line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n"));
    progress.done(i + 1);
  }
  TINYLLM_TRY(file.commit());
  print_event({{events::kEvent, events::kDone},
               {"reason", events::kCompleted},
               {"decoding", "free"},
               {"max_tokens", max_tokens},
               {"examples", n},
               {"accuracy", n ? double(correct) / double(n) : 0.0},
               {"no_label", no_label},
               {"several_labels", several},
               {"predictions", out}});
  return {};
}

}  // namespace

int run_eval(Args& args) {
  std::string checkpoint, examples, split = "test", tokenizer_path, out, decoding = "constrained";
  int threads = 0, max_tokens = 0;
  settings::Table table("eval option");
  table.text("checkpoint", checkpoint, {}, "the checkpoint folder to evaluate");
  table.text("examples", examples, {}, "the prepared folder (task_<split>.jsonl)");
  table.text("split", split, {"train", "val", "test"}, "which examples");
  table.text("tokenizer", tokenizer_path, {}, "tokenizer.model; default: the one recorded");
  table.text("out", out, {}, "the predictions file to write (JSON Lines)");
  table.integer("threads", threads, settings::Range::between(1, 4096).or_value(0, "all cores"),
                "CPU threads");
  table.text("decoding", decoding, {"constrained", "free"},
             "constrained: the best of the task's answers; free: greedy generation scored with "
             "the paper's rule (classification only)");
  table.integer("max_tokens", max_tokens,
                settings::Range::between(1, 4096).or_value(0, "the longest answer + 4"),
                "free decoding: the most tokens generated per answer");
  for (const auto& [key, value] : args.options)
    if (auto st = table.apply_override(key, value); !st)
      return fail(make_error("--" + st.error().where, st.error().message));
  if (checkpoint.empty() || examples.empty() || out.empty())
    return fail(make_error("eval", "pass --checkpoint=DIR --examples=DIR --out=FILE"));
  at::set_num_threads(threads > 0 ? threads
                                  : int(std::max(1u, std::thread::hardware_concurrency())));
  fs::path tok = tokenizer_path;
  if (tok.empty()) {
    auto recorded = pipeline::recorded_tokenizer(checkpoint);
    if (!recorded) return fail(recorded.error());
    tok = *recorded;
  }
  auto tokenizer = text::load_checked_tokenizer(tok);
  if (!tokenizer) return fail(tokenizer.error());
  auto summary = pipeline::read_prepared_summary(examples);
  if (!summary) return fail(summary.error());
  std::vector<std::string> classes;
  for (const auto& c : (*summary).value("classes", json::array()))
    if (c.is_string()) classes.push_back(c.get<std::string>());
  const bool position = (*summary).value("task", "") == "position";
  if (position) classes.clear();  // (the recordings' labels are not its answers)
  if (!position && classes.empty())
    return fail(make_error(examples, "the task has no classes and is not a position task"));
  if (position && decoding == "free")
    return fail(make_error("--decoding",
                           "free decoding is for classification tasks; a position "
                           "answer is always decoded on its form x=.. y=.."));
  auto data = load_token_split(examples, split, *tokenizer, classes);
  if (!data) return fail(data.error());
  auto info = train::read_checkpoint_info(checkpoint);
  if (!info) return fail(info.error());
  if (info->model.n_vocab != tokenizer->vocab_size())
    return fail(make_error(checkpoint, "the checkpoint's vocabulary (" +
                                           std::to_string(info->model.n_vocab) +
                                           ") is not the tokenizer's (" +
                                           std::to_string(tokenizer->vocab_size()) + ")"));
  auto model = train::Gpt2::create(info->model, torch::Device(torch::kCPU), 0);
  if (!model) return fail(model.error());
  if (auto st = train::load_checkpoint(checkpoint, *model, nullptr); !st) return fail(st.error());
  auto file = AtomicFile::create(out);
  if (!file) return fail(file.error());
  install_signal_handlers();
  const int n_ctx = info->model.n_ctx;
  Status done;
  if (position) {
    done = eval_positions(*model, *data, *tokenizer, *file, n_ctx, out);
  } else {
    std::vector<std::vector<int32_t>> answers;
    size_t longest_answer = 0;
    for (const auto& c : classes) {
      answers.push_back(tokenizer->encode(prompt::build_response(c)));
      longest_answer = std::max(longest_answer, answers.back().size());
    }
    if (decoding == "free")
      done = eval_free(*model, *data, *tokenizer, classes, longest_answer,
                       max_tokens > 0 ? max_tokens : int(longest_answer) + kFreeExtraTokens, *file,
                       n_ctx, out);
    else
      done = eval_constrained(*model, *data, classes, answers, *file, n_ctx, out);
  }
  return done ? 0 : fail(done.error());
}

}  // namespace tinyllm::worker
