#include "infer/engine.h"

#include <chrono>

#include "base/version.h"
#include "gguf/keys.h"
#include "infer/classify.h"

namespace tinyllm::infer {
namespace {

namespace keys = gguf::keys;
using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The task keys, all optional together: a file without tinyllm.task.name has no task.
Result<Task> read_task(const gguf::File& f) {
  Task task;
  if (!f.find(keys::kTinyTask)) return task;
  TINYLLM_TRY_ASSIGN(name, f.get_string(keys::kTinyTask));
  TINYLLM_TRY_ASSIGN(kind, f.get_string(keys::kTinyTaskKind));
  task.name = name;
  task.kind = kind;
  if (f.find(keys::kTinyAnswers)) {
    TINYLLM_TRY_ASSIGN(answers, f.get_string_array(keys::kTinyAnswers));
    task.answers = answers;
  }
  TINYLLM_TRY_ASSIGN(instruction, f.get_string(keys::kTinyInstruction));
  TINYLLM_TRY_ASSIGN(tmpl, f.get_string(keys::kTinyPromptTemplate));
  TINYLLM_TRY_ASSIGN(end, f.get_string(keys::kTinyEndMarker));
  task.instruction = instruction;
  task.prompt_template = tmpl;
  task.end_marker = end;
  return task;
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::load(const std::filesystem::path& path,
                                             SessionOptions options) {
  const auto start = Clock::now();
  TINYLLM_TRY_ASSIGN(model, Model::load(path));
  std::unique_ptr<Engine> engine(new Engine(std::move(model)));
  const gguf::File& f = engine->model_.file();
  if (f.find(keys::kTinyWorkbenchVersion)) {
    TINYLLM_TRY_ASSIGN(version, f.get_string(keys::kTinyWorkbenchVersion));
    engine->workbench_version_ = version;
  }
  if (f.find(keys::kTinyFormatVersion)) {
    TINYLLM_TRY_ASSIGN(format, f.get_u32(keys::kTinyFormatVersion));
    if (format > keys::kTinyFormatVersionCurrent)
      return make_error(f.where(),
                        std::string(keys::kTinyFormatVersion) + " is " + std::to_string(format) +
                            ": the file was written by a newer workbench (" +
                            (engine->workbench_version_.empty() ? "unknown version"
                                                                : engine->workbench_version_) +
                            ") than this runtime (" + kWorkbenchVersion + ", reads up to " +
                            std::to_string(keys::kTinyFormatVersionCurrent) +
                            "); deploy with that workbench's runtime");
  }
  if (f.find(keys::kTinyTokenizerProto)) {
    TINYLLM_TRY_ASSIGN(proto, f.get_u8_array(keys::kTinyTokenizerProto));
    TINYLLM_TRY_ASSIGN(
        tokenizer, text::Tokenizer::from_bytes(
                       std::string_view(reinterpret_cast<const char*>(proto.data()), proto.size()),
                       f.where() + ": " + keys::kTinyTokenizerProto));
    if (tokenizer.vocab_size() > engine->model_.hparams().n_vocab)
      return make_error(f.where(), "the tokenizer has " + std::to_string(tokenizer.vocab_size()) +
                                       " pieces, the model " +
                                       std::to_string(engine->model_.hparams().n_vocab) + " rows");
    engine->tokenizer_ = std::move(tokenizer);
  }
  TINYLLM_TRY_ASSIGN(task, read_task(f));
  engine->task_ = std::move(task);
  TINYLLM_TRY_ASSIGN(recipe, read_recipe(f));
  engine->recipe_ = std::move(recipe);
  if (engine->tokenizer_)
    for (const auto& answer : engine->task_.answers)
      engine->answer_tokens_.push_back(
          engine->tokenizer_->encode(answer + "\n" + engine->task_.end_marker));
  engine->session_ = std::make_unique<Session>(engine->model_, options);
  engine->load_ms_ = ms_since(start);
  return engine;
}

Result<const text::Tokenizer*> Engine::need_tokenizer() const {
  if (!tokenizer_)
    return make_error(model_.file().where(),
                      std::string("the file has no tokenizer (") + keys::kTinyTokenizerProto + ")");
  return &*tokenizer_;
}

std::string Engine::prompt_for_input(std::string_view input) const {
  return fill_prompt_template(task_.prompt_template, task_.instruction, input);
}

Result<Classification> Engine::classify(std::string_view prompt) {
  if (task_.answers.empty())
    return make_error(model_.file().where(), "the model has no answer set (tinyllm.task.answers)");
  TINYLLM_TRY_ASSIGN(tokenizer, need_tokenizer());
  const auto start = Clock::now();
  Classification c;
  const std::vector<int32_t> ids = tokenizer->encode(prompt);
  c.prompt_tokens = ids.size();
  TINYLLM_TRY_ASSIGN(scores, score_answers(*session_, ids, answer_tokens_));
  c.scores = std::move(scores);
  c.best = best_answer(c.scores);
  c.label = task_.answers[c.best];
  c.latency_ms = ms_since(start);
  return c;
}

Result<Generation> Engine::generate(std::string_view prompt, const SamplerSettings& sampling,
                                    size_t max_tokens) {
  TINYLLM_TRY_ASSIGN(tokenizer, need_tokenizer());
  Generation g;
  const std::vector<int32_t> ids = tokenizer->encode(prompt);
  g.prompt_tokens = ids.size();
  const size_t V = size_t(model_.hparams().n_vocab), n_ctx = size_t(model_.hparams().n_ctx);
  auto start = Clock::now();
  session_->rewind(0);
  TINYLLM_TRY(session_->eval(ids));
  g.prompt_ms = ms_since(start);
  start = Clock::now();
  Sampler sampler(sampling);
  const std::string stop = task_.end_marker.empty() ? "" : "\n" + task_.end_marker;
  std::vector<int32_t> out;
  std::string text;
  while (out.size() < max_tokens) {
    const int32_t next = sampler.sample(session_->logits().data(), V);
    if (next == tokenizer->eos_id()) {
      g.stopped_at_end = true;
      break;
    }
    out.push_back(next);
    TINYLLM_TRY_ASSIGN(decoded, tokenizer->decode(out));
    text = decoded;
    if (!stop.empty() && text.find(stop) != std::string::npos) {
      text = text.substr(0, text.find(stop));
      g.stopped_at_end = true;
      break;
    }
    if (session_->n_past() >= n_ctx) break;
    TINYLLM_TRY(session_->eval(&next, 1));
  }
  g.generated_tokens = out.size();
  g.generate_ms = ms_since(start);
  g.text = text;
  return g;
}

}  // namespace tinyllm::infer
