// The C API (tinyllm.h) over Engine: errors are kept in the handle, exceptions never cross it.
#include <cstring>
#include <new>

#include "infer/engine.h"
#include "infer/tinyllm.h"

struct tinyllm_model {
  std::unique_ptr<tinyllm::infer::Engine> engine;
  std::string error;
};

namespace {

void copy_text(const std::string& text, char* out, size_t size) {
  if (!out || size == 0) return;
  const size_t n = std::min(text.size(), size - 1);
  std::memcpy(out, text.data(), n);
  out[n] = '\0';
}

int fail(tinyllm_model* model, std::string message) {
  model->error = std::move(message);
  return -1;
}

bool usable(tinyllm_model* model) {
  if (!model) return false;
  if (!model->engine) {
    fail(model, "the model did not load");
    return false;
  }
  model->error.clear();
  return true;
}

}  // namespace

extern "C" {

tinyllm_model* tinyllm_load(const char* path, int threads) {
  auto* model = new (std::nothrow) tinyllm_model;
  if (!model) return nullptr;
  try {
    tinyllm::infer::SessionOptions options;
    options.threads = threads;
    auto engine = tinyllm::infer::Engine::load(path ? path : "", options);
    if (engine)
      model->engine = std::move(*engine);
    else
      model->error = engine.error().to_string();
  } catch (const std::exception& e) {
    model->error = e.what();
  }
  return model;
}

int tinyllm_load_failed(const tinyllm_model* model) {
  return !model || !model->engine;
}

int tinyllm_answer_count(const tinyllm_model* model) {
  return model && model->engine ? int(model->engine->task().answers.size()) : 0;
}

const char* tinyllm_answer(const tinyllm_model* model, int index) {
  if (index < 0 || index >= tinyllm_answer_count(model)) return nullptr;
  return model->engine->task().answers[size_t(index)].c_str();
}

int tinyllm_classify(tinyllm_model* model, const char* prompt, char* label, size_t label_size,
                     float* scores, size_t n_scores) {
  if (!usable(model)) return -1;
  try {
    auto c = model->engine->classify(prompt ? prompt : "");
    if (!c) return fail(model, c.error().to_string());
    copy_text(c->label, label, label_size);
    for (size_t i = 0; scores && i < n_scores && i < c->scores.size(); ++i)
      scores[i] = float(c->scores[i]);
    return int(c->best);
  } catch (const std::exception& e) {
    return fail(model, e.what());
  }
}

int tinyllm_generate(tinyllm_model* model, const char* prompt, int max_tokens, float temperature,
                     int top_k, float top_p, uint64_t seed, char* out, size_t out_size) {
  if (!usable(model)) return -1;
  try {
    tinyllm::infer::SamplerSettings s;
    s.temperature = temperature;
    s.top_k = top_k;
    s.top_p = top_p;
    s.seed = seed;
    auto g =
        model->engine->generate(prompt ? prompt : "", s, size_t(max_tokens > 0 ? max_tokens : 0));
    if (!g) return fail(model, g.error().to_string());
    copy_text(g->text, out, out_size);
    return int(g->generated_tokens);
  } catch (const std::exception& e) {
    return fail(model, e.what());
  }
}

const char* tinyllm_last_error(const tinyllm_model* model) {
  return model ? model->error.c_str() : "no model (out of memory)";
}

void tinyllm_free(tinyllm_model* model) {
  delete model;
}

}  // extern "C"
