#include "modes.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "base/version.h"
#include "infer/kernel_check.h"
#include "infer/sampler.h"
#include "json_lite.h"

namespace tinyllm::run {
namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The prompt: --prompt, --input filled into the template, or all of stdin.
std::string prompt_of(const infer::Engine& engine, const Options& o) {
  if (o.has_prompt) return o.prompt;
  if (o.has_input) return engine.prompt_for_input(o.input);
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_maxrss) / 1024.0;  // KiB on Linux
}

std::string scores_object(const std::vector<std::string>& answers,
                          const std::vector<double>& scores) {
  std::string out = "{";
  for (size_t i = 0; i < scores.size(); ++i)
    out += (i ? ", " : "") + json_string(answers[i]) + ": " + json_number(scores[i]);
  return out + "}";
}

}  // namespace

std::string info_json(infer::Engine& engine, const std::string& model_path) {
  const auto& hp = engine.model().hparams();
  const auto& task = engine.task();
  std::string answers = "[";
  for (size_t i = 0; i < task.answers.size(); ++i)
    answers += (i ? ", " : "") + json_string(task.answers[i]);
  answers += "]";
  char shape[512];
  std::snprintf(shape, sizeof shape,
                "\"parameters\": %llu, \"file_bytes\": %llu, \"n_vocab\": %d, \"n_ctx\": %d, "
                "\"n_embd\": %d, \"n_ff\": %d, \"n_layer\": %d, \"n_head\": %d, ",
                static_cast<unsigned long long>(engine.model().parameter_count()),
                static_cast<unsigned long long>(engine.model().file().file_size()), hp.n_vocab,
                hp.n_ctx, hp.n_embd, hp.n_ff, hp.n_layer, hp.n_head);
  return "{\"model\": " + json_string(model_path) +
         ", \"type\": " + json_string(engine.model().weight_type()) + ", " + shape +
         "\"task\": " + json_string(task.name) + ", \"task_kind\": " + json_string(task.kind) +
         ", \"answers\": " + answers +
         ", \"kernels\": " + json_string(engine.session().kernels().name) +
         ", \"threads\": " + std::to_string(engine.session().threads()) +
         ", \"load_ms\": " + json_number(engine.load_ms()) +
         ", \"runtime_version\": " + json_string(kWorkbenchVersion) +
         ", \"workbench_version\": " + json_string(engine.workbench_version()) + "}";
}

std::string classification_json(const infer::Engine& engine, const infer::Classification& c,
                                const std::string* prompt) {
  std::string out = "{\"label\": " + json_string(c.label) +
                    ", \"index\": " + std::to_string(c.best) +
                    ", \"scores\": " + scores_object(engine.task().answers, c.scores) +
                    ", \"prompt_tokens\": " + std::to_string(c.prompt_tokens) +
                    ", \"latency_ms\": " + json_number(c.latency_ms);
  if (prompt) out += ", \"prompt\": " + json_string(*prompt);
  return out + "}";
}

std::string generation_json(const infer::Generation& g) {
  return "{\"text\": " + json_string(g.text) +
         ", \"prompt_tokens\": " + std::to_string(g.prompt_tokens) +
         ", \"generated_tokens\": " + std::to_string(g.generated_tokens) +
         ", \"stopped_at_end\": " + (g.stopped_at_end ? "true" : "false") +
         ", \"prompt_ms\": " + json_number(g.prompt_ms) +
         ", \"generate_ms\": " + json_number(g.generate_ms) + "}";
}

int run_info(infer::Engine& engine, const Options& o) {
  const auto& hp = engine.model().hparams();
  const auto& task = engine.task();
  if (o.json) {
    std::printf("%s\n", info_json(engine, o.model).c_str());
    return 0;
  }
  std::printf("model      %s\n", o.model.c_str());
  std::printf("type       %s, %llu parameters, %llu bytes\n", engine.model().weight_type().c_str(),
              static_cast<unsigned long long>(engine.model().parameter_count()),
              static_cast<unsigned long long>(engine.model().file().file_size()));
  std::printf("shape      n_layer %d, n_head %d, n_embd %d, n_ff %d, n_ctx %d, n_vocab %d\n",
              hp.n_layer, hp.n_head, hp.n_embd, hp.n_ff, hp.n_ctx, hp.n_vocab);
  std::printf("task       %s (%s)\n", task.name.empty() ? "none" : task.name.c_str(),
              task.kind.c_str());
  for (const auto& a : task.answers)
    std::printf("  answer   %s\n", a.c_str());
  std::printf(
      "versions   runtime %s, file written by workbench %s\n", kWorkbenchVersion,
      engine.workbench_version().empty() ? "(not recorded)" : engine.workbench_version().c_str());
  std::printf("kernels    %s, %d threads; loaded in %.1f ms\n", engine.session().kernels().name,
              engine.session().threads(), engine.load_ms());
  return 0;
}

int run_generate(infer::Engine& engine, const Options& o) {
  auto g = engine.generate(prompt_of(engine, o), o.sampling, o.max_tokens);
  if (!g) return fail(g.error());
  if (o.json) {
    std::printf("%s\n", generation_json(*g).c_str());
  } else {
    std::printf("%s\n", g->text.c_str());
  }
  return 0;
}

int run_classify(infer::Engine& engine, const Options& o) {
  const std::string prompt = prompt_of(engine, o);
  auto c = engine.classify(prompt);
  if (!c) return fail(c.error());
  if (o.json) {
    std::printf("%s\n", classification_json(engine, *c, o.show_prompt ? &prompt : nullptr).c_str());
  } else {
    std::printf("%s\n", c->label.c_str());
    for (size_t i = 0; i < c->scores.size(); ++i)
      std::printf("  %-16s %.4f\n", engine.task().answers[i].c_str(), c->scores[i]);
    std::printf("%zu prompt tokens, %.1f ms\n", c->prompt_tokens, c->latency_ms);
  }
  return 0;
}

int run_eval(infer::Engine& engine, const Options& o) {
  const auto& answers = engine.task().answers;
  std::ifstream in(o.file);
  if (!in) return fail(make_error(o.file, "cannot read the examples"));
  std::ofstream predictions;
  if (!o.predictions.empty()) {
    predictions.open(o.predictions);
    if (!predictions) return fail(make_error(o.predictions, "cannot write the predictions"));
  }
  const size_t K = answers.size();
  std::vector<std::vector<size_t>> confusion(K, std::vector<size_t>(K, 0));
  size_t n = 0, correct = 0, line_no = 0, prompt_tokens = 0;
  double latency = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = o.file + ":" + std::to_string(line_no);
    auto fields = parse_flat_object(line);
    if (!fields)
      return fail(make_error(where + ": " + fields.error().where, fields.error().message));
    const auto prompt = fields->find("prompt");
    const auto label = fields->find("label");
    if (prompt == fields->end() || label == fields->end())
      return fail(make_error(where, "an example needs \"prompt\" and \"label\""));
    const size_t truth =
        size_t(std::find(answers.begin(), answers.end(), label->second) - answers.begin());
    if (truth == K)
      return fail(make_error(where, "label '" + label->second + "' is not an answer of the model"));
    auto c = engine.classify(prompt->second);
    if (!c) return fail(make_error(where, c.error().to_string()));
    ++confusion[truth][c->best];
    correct += c->best == truth;
    prompt_tokens += c->prompt_tokens;
    latency += c->latency_ms;
    if (predictions.is_open()) {
      std::string scores = "[";
      for (size_t i = 0; i < c->scores.size(); ++i)
        scores += (i ? ", " : "") + json_number(c->scores[i]);
      predictions << "{\"index\": " << n << ", \"label\": " << truth
                  << ", \"predicted\": " << c->best << ", \"scores\": " << scores
                  << "], \"prompt_tokens\": " << c->prompt_tokens
                  << ", \"latency_ms\": " << json_number(c->latency_ms) << "}\n";
    }
    ++n;
    // Progress for a remote run streamed over SSH (tinyllm remote eval): a line every 25.
    if (o.progress && n % 25 == 0)
      std::fprintf(stderr, "eval: %zu examples, %.1f%% right so far\n", n,
                   100.0 * double(correct) / double(n));
  }
  if (n == 0) return fail(make_error(o.file, "no examples"));
  const double accuracy = double(correct) / double(n);
  if (o.json) {
    std::string classes = "[", matrix = "[";
    for (size_t i = 0; i < K; ++i) {
      classes += (i ? ", " : "") + json_string(answers[i]);
      matrix += i ? ", [" : "[";
      for (size_t j = 0; j < K; ++j)
        matrix += (j ? ", " : "") + std::to_string(confusion[i][j]);
      matrix += "]";
    }
    std::printf(
        "{\"examples\": %zu, \"correct\": %zu, \"accuracy\": %s, \"classes\": %s], "
        "\"confusion\": %s], \"mean_prompt_tokens\": %s, \"mean_latency_ms\": %s}\n",
        n, correct, json_number(accuracy).c_str(), classes.c_str(), matrix.c_str(),
        json_number(double(prompt_tokens) / double(n)).c_str(),
        json_number(latency / double(n)).c_str());
    return 0;
  }
  std::printf("accuracy %.4f (%zu of %zu), %.1f prompt tokens and %.2f ms per example\n", accuracy,
              correct, n, double(prompt_tokens) / double(n), latency / double(n));
  std::printf("confusion (rows: true, columns: predicted)\n%-16s", "");
  for (const auto& a : answers)
    std::printf(" %10.10s", a.c_str());
  std::printf("\n");
  for (size_t i = 0; i < K; ++i) {
    std::printf("%-16.16s", answers[i].c_str());
    for (size_t j = 0; j < K; ++j)
      std::printf(" %10zu", confusion[i][j]);
    std::printf("\n");
  }
  return 0;
}

// --min-seconds stops repeating here, however fast a run is.
constexpr int kMaxBenchRuns = 10000;

int run_bench(infer::Engine& engine, const Options& o) {
  const auto& hp = engine.model().hparams();
  const size_t n_ctx = size_t(hp.n_ctx);
  const size_t prompt = std::min(o.prompt_tokens ? o.prompt_tokens : size_t(128), n_ctx - 1);
  const size_t gen = std::min(o.gen_tokens ? o.gen_tokens : size_t(64), n_ctx - prompt);
  // Fixed, spread-out token ids: the speed does not depend on the text.
  std::vector<int32_t> ids(prompt);
  for (size_t i = 0; i < prompt; ++i)
    ids[i] = int32_t((i * 7919 + 13) % size_t(hp.n_vocab));
  infer::Session& s = engine.session();
  double best_prompt_ms = 1e300, best_gen_ms = 1e300;
  const auto began = Clock::now();
  int runs = 0;
  for (; runs < o.repeat || (runs < kMaxBenchRuns && ms_since(began) < o.min_seconds * 1000);
       ++runs) {
    s.rewind(0);
    auto start = Clock::now();
    if (auto st = s.eval(ids); !st) return fail(st.error());
    best_prompt_ms = std::min(best_prompt_ms, ms_since(start));
    start = Clock::now();
    for (size_t i = 0; i < gen; ++i) {
      const int32_t next = infer::argmax(s.logits().data(), size_t(hp.n_vocab));
      if (auto st = s.eval(&next, 1); !st) return fail(st.error());
    }
    best_gen_ms = std::min(best_gen_ms, ms_since(start));
  }
  const double prompt_tps = double(prompt) / (best_prompt_ms / 1000.0);
  const double gen_tps = double(gen) / (best_gen_ms / 1000.0);
  if (o.json) {
    std::printf(
        "{\"type\": %s, \"parameters\": %llu, \"kernels\": %s, \"threads\": %d, "
        "\"load_ms\": %s, \"prompt_tokens\": %zu, \"prompt_tokens_per_s\": %s, "
        "\"gen_tokens\": %zu, \"gen_tokens_per_s\": %s, \"runs\": %d, \"peak_rss_mib\": %s}\n",
        json_string(engine.model().weight_type()).c_str(),
        static_cast<unsigned long long>(engine.model().parameter_count()),
        json_string(s.kernels().name).c_str(), s.threads(), json_number(engine.load_ms()).c_str(),
        prompt, json_number(prompt_tps).c_str(), gen, json_number(gen_tps).c_str(), runs,
        json_number(peak_rss_mib()).c_str());
    return 0;
  }
  std::printf("%s, %s kernels, %d threads (best of %d)\n", engine.model().weight_type().c_str(),
              s.kernels().name, s.threads(), runs);
  std::printf("load        %.1f ms\n", engine.load_ms());
  std::printf("prompt      %zu tokens, %.1f tokens/s\n", prompt, prompt_tps);
  std::printf("generation  %zu tokens, %.1f tokens/s\n", gen, gen_tps);
  std::printf("peak RSS    %.1f MiB\n", peak_rss_mib());
  return 0;
}

int run_kernels(const Options& o, const char* arch) {
  const auto sets = infer::kernel_sets();
  std::string json_sets;
  bool all_passed = true;
  if (!o.json)
    std::printf("kernel sets on this %s CPU (auto picks %s), each against the scalar reference:\n",
                arch, infer::best_kernels().name);
  for (const infer::Kernels* set : sets) {
    const infer::KernelCheck check = infer::check_kernels(*set);
    all_passed = all_passed && check.passed();
    if (o.json) {
      json_sets += std::string(json_sets.empty() ? "" : ", ") +
                   "{\"name\": " + json_string(set->name) +
                   ", \"reference_bits\": " + (set->reference_bits ? "true" : "false") +
                   ", \"passed\": " + (check.passed() ? "true" : "false") +
                   ", \"values\": " + std::to_string(check.values) +
                   ", \"mismatch\": " + json_string(check.mismatch) + "}";
      continue;
    }
    const char* contract = set->reference_bits
                               ? "the reference's bits"
                               : "products = own dot products bit for bit, dot products within "
                                 "1e-5 of the reference";
    if (check.passed())
      std::printf("  %-13s pass: %zu values, %s\n", set->name, check.values, contract);
    else
      std::printf("  %-13s FAIL: %s\n", set->name, check.mismatch.c_str());
  }
  if (o.json)
    std::printf("{\"arch\": %s, \"auto\": %s, \"passed\": %s, \"sets\": [%s]}\n",
                json_string(arch).c_str(), json_string(infer::best_kernels().name).c_str(),
                all_passed ? "true" : "false", json_sets.c_str());
  return all_passed ? 0 : 1;
}

int run_perplexity(infer::Engine& engine, const Options& o) {
  auto tokenizer = engine.tokenizer();
  if (!tokenizer)
    return fail(make_error(engine.model().file().where(), "the file has no tokenizer"));
  std::ifstream in(o.file);
  if (!in) return fail(make_error(o.file, "cannot read the documents"));
  const size_t n_ctx = size_t(engine.model().hparams().n_ctx);
  const size_t n_vocab = size_t(engine.model().hparams().n_vocab);
  infer::Session& session = engine.session();
  // As in the token shards: each document follows a separator (the end-of-text token) and is
  // scored token by token, in chunks of the context length.
  const int32_t separator = tokenizer->eos_id() >= 0 ? tokenizer->eos_id() : 0;
  double nll = 0;
  size_t scored = 0, documents = 0, line_no = 0;
  const auto start = Clock::now();
  for (std::string line; std::getline(in, line) && documents < o.max_docs;) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    auto fields = parse_flat_object(line);
    if (!fields)
      return fail(make_error(o.file + ":" + std::to_string(line_no), fields.error().message));
    const auto text = fields->find("text");
    if (text == fields->end())
      return fail(make_error(o.file + ":" + std::to_string(line_no), "a document needs \"text\""));
    std::vector<int32_t> ids = {separator};
    const auto encoded = tokenizer->encode(text->second);
    ids.insert(ids.end(), encoded.begin(), encoded.end());
    for (size_t begin = 0; begin + 1 < ids.size(); begin += n_ctx) {
      const size_t count = std::min(n_ctx, ids.size() - begin);
      session.rewind(0);
      if (auto s = session.eval(ids.data() + begin, count, true); !s) return fail(s.error());
      const auto& logits = session.logits();
      for (size_t i = 0; i + 1 < count; ++i) {
        const float* row = logits.data() + i * n_vocab;
        const float top = *std::max_element(row, row + n_vocab);
        double sum = 0;
        for (size_t v = 0; v < n_vocab; ++v)
          sum += std::exp(double(row[v]) - top);
        nll += std::log(sum) + top - double(row[size_t(ids[begin + i + 1])]);
        ++scored;
      }
    }
    ++documents;
  }
  if (scored == 0) return fail(make_error(o.file, "no documents to score"));
  const double mean = nll / double(scored);
  if (o.json) {
    std::printf(
        "{\"documents\": %zu, \"tokens\": %zu, \"mean_nll\": %s, \"perplexity\": %s, "
        "\"seconds\": %s}\n",
        documents, scored, json_number(mean).c_str(), json_number(std::exp(mean)).c_str(),
        json_number(ms_since(start) / 1000.0).c_str());
    return 0;
  }
  std::printf("perplexity %.4f (mean loss %.4f) over %zu tokens of %zu documents\n", std::exp(mean),
              mean, scored, documents);
  return 0;
}

}  // namespace tinyllm::run
