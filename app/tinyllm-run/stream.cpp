// tinyllm-run classify --csv and stream: raw readings in, labels out, on the device. The readings
// become the training text through the file's recipe (infer/recipe.h).
#include <cmath>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>

#include "json_lite.h"
#include "modes.h"
#include "readings_csv.h"

namespace tinyllm::run {
namespace {

Result<const infer::Recipe*> need_recipe(const infer::Engine& engine) {
  if (!engine.recipe())
    return make_error(engine.model().file().where(),
                      "the file has no recipe for raw readings (tinyllm.sensor.*): export it "
                      "again with this version, or pass a --prompt");
  if (engine.task().answers.empty())
    return make_error(engine.model().file().where(), "the file's task has no answers to choose");
  return &*engine.recipe();
}

// Softmax of the answers' log-probabilities: how sure the model is among the answers.
double confidence(const std::vector<double>& scores, size_t best) {
  double total = 0;
  for (double s : scores)
    total += std::exp(s - scores[best]);
  return 1.0 / total;
}

std::istream& input_of(const std::string& path, std::ifstream& file) {
  if (path == "-") return std::cin;
  file.open(path);
  return file;
}

}  // namespace

int run_classify_csv(infer::Engine& engine, const Options& o) {
  auto recipe = need_recipe(engine);
  if (!recipe) return fail(recipe.error());
  std::ifstream file;
  std::istream& in = input_of(o.csv, file);
  const std::string where = o.csv == "-" ? "stdin" : o.csv;
  if (!in) return fail(make_error(where, "cannot read"));
  std::string line;
  size_t line_number = 0;
  while (std::getline(in, line) && (++line_number, line.empty())) {
  }
  auto csv = ReadingsCsv::from_header(line, **recipe, where);
  if (!csv) return fail(csv.error());
  std::vector<float> values;
  std::vector<double> time_s;
  while (std::getline(in, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    if (auto s = csv->parse(line, line_number, values, time_s); !s) return fail(s.error());
  }
  if (values.empty()) return fail(make_error(where, "no readings after the header"));
  const size_t nc = (*recipe)->schema.channels.size();
  if (!(*recipe)->imu()) {  // a fingerprint per row: classify the first one
    values.resize(nc);
    time_s.clear();
  }
  auto prompt = infer::window_prompt(**recipe, values, time_s);
  if (!prompt) return fail(prompt.error());
  Options with_prompt = o;
  with_prompt.prompt = *prompt;
  with_prompt.has_prompt = true;
  with_prompt.show_prompt = true;  // what the model saw, made from the readings
  with_prompt.csv.clear();
  return run_classify(engine, with_prompt);
}

int run_stream(infer::Engine& engine, const Options& o) {
  auto recipe_result = need_recipe(engine);
  if (!recipe_result) return fail(recipe_result.error());
  const infer::Recipe& recipe = **recipe_result;
  const auto& answers = engine.task().answers;
  std::FILE* out = o.echo ? stderr : stdout;  // with --echo stdout carries the readings on
  std::string line;
  size_t line_number = 0;
  while (std::getline(std::cin, line) && (++line_number, line.empty())) {
  }
  auto csv = ReadingsCsv::from_header(line, recipe, "stdin");
  if (!csv) return fail(csv.error());
  if (o.echo) std::printf("%s\n", line.c_str()), std::fflush(stdout);
  const size_t nc = recipe.schema.channels.size();
  const size_t window = recipe.raw_window_rows(), stride = recipe.raw_stride_rows();
  const double source_hz = recipe.schema.sample_rate_hz > 0 ? recipe.schema.sample_rate_hz : 1;
  std::deque<float> values;
  std::deque<double> times;
  std::deque<size_t> recent;  // the last --smooth best answers
  size_t rows = 0, next_at = window;
  std::vector<float> row;
  std::vector<double> row_time;
  while (std::getline(std::cin, line)) {
    ++line_number;
    if (line.empty() || line == "\r") continue;
    if (o.echo) std::printf("%s\n", line.c_str()), std::fflush(stdout);
    row.clear();
    row_time.clear();
    if (auto s = csv->parse(line, line_number, row, row_time); !s) return fail(s.error());
    values.insert(values.end(), row.begin(), row.end());
    times.insert(times.end(), row_time.begin(), row_time.end());
    ++rows;
    while (values.size() > window * nc) {
      values.erase(values.begin(), values.begin() + long(nc));
      if (!times.empty()) times.pop_front();
    }
    if (rows < next_at) continue;
    next_at += stride;
    auto prompt = infer::window_prompt(recipe, std::vector<float>(values.begin(), values.end()),
                                       std::vector<double>(times.begin(), times.end()));
    if (!prompt) return fail(prompt.error());
    auto c = engine.classify(*prompt);
    if (!c) return fail(c.error());
    recent.push_back(c->best);
    while (recent.size() > size_t(std::max(1, o.smooth)))
      recent.pop_front();
    // The answer most of the recent windows gave; on a tie, the latest of them.
    std::map<size_t, int> votes;
    for (size_t r : recent)
      ++votes[r];
    size_t smoothed = recent.back();
    for (size_t r : recent)
      if (votes[r] > votes[smoothed]) smoothed = r;
    const double sure = confidence(c->scores, c->best);
    const std::string shown = sure >= o.threshold ? answers[smoothed] : "none";
    const double t_s = times.empty() ? double(rows) / source_hz : times.back();
    if (o.json)
      std::fprintf(out,
                   "{\"row\": %zu, \"t_s\": %s, \"label\": %s, \"confidence\": %s, \"shown\": %s, "
                   "\"prompt_tokens\": %zu, \"latency_ms\": %s}\n",
                   rows, json_number(t_s).c_str(), json_string(c->label).c_str(),
                   json_number(sure).c_str(), json_string(shown).c_str(), c->prompt_tokens,
                   json_number(c->latency_ms).c_str());
    else
      std::fprintf(out, "t=%.2fs %-12s %.2f  (shown: %s, %.1f ms)\n", t_s, c->label.c_str(), sure,
                   shown.c_str(), c->latency_ms);
    std::fflush(out);
  }
  return 0;
}

}  // namespace tinyllm::run
