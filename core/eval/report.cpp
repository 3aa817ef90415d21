#include "eval/report.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <system_error>

#include "base/files.h"

namespace tinyllm::eval {
namespace {

using nlohmann::json;

json number_or_null(double v) {
  return std::isfinite(v) ? json(v) : json();
}

double mean_of(const std::vector<double>& values) {
  if (values.empty()) return std::numeric_limits<double>::quiet_NaN();
  return std::accumulate(values.begin(), values.end(), 0.0) / double(values.size());
}

Status check_length(size_t got, size_t expected, const std::string& what) {
  if (got == expected) return {};
  return make_error("report", what + " has " + std::to_string(got) + " entries for " +
                                  std::to_string(expected) + " examples");
}

std::string position_text(const Point& p) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "x=%.2f y=%.2f", p.x, p.y);
  return buffer;
}

json model_extras(const ModelPredictions& model) {
  std::vector<double> tokens(model.prompt_tokens.begin(), model.prompt_tokens.end());
  const double max_tokens = tokens.empty() ? std::numeric_limits<double>::quiet_NaN()
                                           : *std::max_element(tokens.begin(), tokens.end());
  return {{"name", model.name},
          {"params", model.params},
          {"prompt_tokens",
           {{"mean", number_or_null(mean_of(tokens))},
            {"p95", number_or_null(percentile(tokens, 0.95))},
            {"max", number_or_null(max_tokens)}}},
          {"latency_ms",
           {{"mean", number_or_null(mean_of(model.latency_ms))},
            {"p50", number_or_null(percentile(model.latency_ms, 0.5))},
            {"p95", number_or_null(percentile(model.latency_ms, 0.95))}}}};
}

// The common part of a mistake entry.
json mistake_base(size_t index, const EvalExample& ex, const ReportInput& input) {
  return {{"index", index},        {"series", ex.series},
          {"subject", ex.subject}, {"start", ex.start},
          {"rows", ex.rows},       {"input", truncate_utf8(ex.prompt, input.max_input_chars)}};
}

// Wrong answers, the most confident first: by the margin of the predicted class's score over the
// true class's (when scores exist); unparseable answers after the scored ones.
json classification_mistakes(const ReportInput& input, const std::vector<EvalExample>& examples,
                             const std::vector<int>& truth) {
  const ModelPredictions& model = input.model;
  const bool scored = !model.scores.empty();
  std::vector<std::pair<double, size_t>> wrong;  // (-margin, index): sorts worst first
  for (size_t i = 0; i < truth.size(); ++i) {
    if (model.predicted[i] == truth[i]) continue;
    double margin = -std::numeric_limits<double>::infinity();
    if (scored && model.predicted[i] >= 0)
      margin = model.scores[i][size_t(model.predicted[i])] - model.scores[i][size_t(truth[i])];
    wrong.emplace_back(-margin, i);
  }
  std::stable_sort(wrong.begin(), wrong.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  json out = json::array();
  for (size_t m = 0; m < wrong.size() && m < input.max_mistakes; ++m) {
    const size_t i = wrong[m].second;
    json entry = mistake_base(i, examples[i], input);
    entry["label"] = input.classes[size_t(truth[i])];
    entry["predicted"] = model.predicted[i] >= 0 ? input.classes[size_t(model.predicted[i])]
                                                 : std::string("(unparseable)");
    if (model.decoding == Decoding::free) {
      const FreeAnswer answer = score_free_answer(model.outputs[i], input.classes);
      if (answer.verdict == FreeVerdict::no_label) entry["predicted"] = "(no label)";
      if (answer.verdict == FreeVerdict::several_labels) entry["predicted"] = "(several labels)";
      entry["output"] = truncate_utf8(model.outputs[i], input.max_input_chars);
    }
    json scores = json::object();
    if (scored)
      for (size_t c = 0; c < input.classes.size(); ++c)
        scores[input.classes[c]] = number_or_null(model.scores[i][c]);
    entry["scores"] = scores;
    entry["margin"] = number_or_null(-wrong[m].first);
    out.push_back(std::move(entry));
  }
  return out;
}

// The largest errors first; unparseable answers first of all.
json position_mistakes(const ReportInput& input, const std::vector<EvalExample>& examples,
                       const std::vector<Point>& truth) {
  std::vector<std::pair<double, size_t>> ranked;  // (-error, index)
  for (size_t i = 0; i < truth.size(); ++i) {
    const auto& p = input.model.positions[i];
    ranked.emplace_back(p ? -distance_m(truth[i], *p) : -std::numeric_limits<double>::infinity(),
                        i);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  json out = json::array();
  for (size_t m = 0; m < ranked.size() && m < input.max_mistakes; ++m) {
    const size_t i = ranked[m].second;
    const auto& p = input.model.positions[i];
    json entry = mistake_base(i, examples[i], input);
    entry["label"] = position_text(truth[i]);
    entry["predicted"] = p ? position_text(*p) : std::string("(unparseable)");
    entry["scores"] = json::object();
    entry["error_m"] = number_or_null(-ranked[m].first);
    out.push_back(std::move(entry));
  }
  return out;
}

json folds_json(const std::vector<FoldResult>& folds) {
  json out = json::array();
  for (const FoldResult& f : folds) {
    json baselines = json::object();
    for (const auto& [name, s] : f.baselines)
      baselines[name] = {{"accuracy", s.accuracy}, {"macro_f1", s.macro_f1}};
    out.push_back({{"fold", f.fold},
                   {"test_subjects", f.test_subjects},
                   {"test_recordings", f.test_recordings},
                   {"model", {{"accuracy", f.model.accuracy}, {"macro_f1", f.model.macro_f1}}},
                   {"baselines", baselines}});
  }
  return out;
}

// Mean, min and max accuracy (and mean macro-F1) over folds, for the model and each baseline.
json folds_summary(const std::vector<FoldResult>& folds) {
  auto summary = [](const std::vector<FoldScores>& scores) {
    std::vector<double> acc, f1;
    for (const auto& s : scores) {
      acc.push_back(s.accuracy);
      f1.push_back(s.macro_f1);
    }
    return json{{"mean", number_or_null(mean_of(acc))},
                {"min", *std::min_element(acc.begin(), acc.end())},
                {"max", *std::max_element(acc.begin(), acc.end())},
                {"macro_f1_mean", number_or_null(mean_of(f1))}};
  };
  std::vector<FoldScores> model;
  std::vector<std::pair<std::string, std::vector<FoldScores>>> baselines;
  for (const FoldResult& f : folds) {
    model.push_back(f.model);
    for (const auto& [name, s] : f.baselines) {
      auto it = std::find_if(baselines.begin(), baselines.end(),
                             [&](const auto& b) { return b.first == name; });
      if (it == baselines.end()) it = baselines.insert(baselines.end(), {name, {}});
      it->second.push_back(s);
    }
  }
  json out = {{"model", summary(model)}};
  for (const auto& [name, scores] : baselines)
    out[name] = summary(scores);
  return out;
}

Status add_classification(const ReportInput& input, const std::vector<EvalExample>& examples,
                          json& report) {
  TINYLLM_TRY_ASSIGN(truth, class_indices(examples, input.classes));
  const ModelPredictions& model = input.model;
  TINYLLM_TRY(check_length(model.predicted.size(), examples.size(), "the model's predictions"));
  if (!model.scores.empty()) {
    TINYLLM_TRY(check_length(model.scores.size(), examples.size(), "the model's scores"));
    for (const auto& s : model.scores)
      TINYLLM_TRY(check_length(s.size(), input.classes.size(), "a score row (per class)"));
  }
  FreeCounts counts;
  if (model.decoding == Decoding::free) {
    TINYLLM_TRY(check_length(model.outputs.size(), examples.size(), "the model's free outputs"));
    if (free_predictions(model.outputs, input.classes, &counts) != model.predicted)
      return make_error("report",
                        "the model's predictions are not its free outputs scored by "
                        "the paper's rule (free_predictions)");
    report["max_tokens"] = model.max_tokens;
  }
  TINYLLM_TRY_ASSIGN(model_metrics, classification_metrics(truth, model.predicted, input.classes));
  json model_json = to_json(model_metrics);
  model_json.update(model_extras(model));
  if (model.decoding == Decoding::free) {
    model_json["no_label"] = counts.no_label;
    model_json["several_labels"] = counts.several_labels;
  }
  report["model"] = model_json;
  json baselines = json::array();
  for (const BaselinePredictions& b : input.baselines) {
    TINYLLM_TRY(check_length(b.predicted.size(), examples.size(), "baseline '" + b.name + "'"));
    TINYLLM_TRY_ASSIGN(metrics, classification_metrics(truth, b.predicted, input.classes));
    json entry = {{"name", b.name}};
    if (b.name == "knn") entry["k"] = b.k;
    entry.update(to_json(metrics));
    baselines.push_back(std::move(entry));
  }
  report["baselines"] = baselines;
  report["mistakes"] = classification_mistakes(input, examples, truth);
  return {};
}

Status add_position(const ReportInput& input, const std::vector<EvalExample>& examples,
                    json& report) {
  std::vector<Point> truth;
  for (size_t i = 0; i < examples.size(); ++i) {
    if (!examples[i].target)
      return make_error(
          "report: example " + std::to_string(i) + " (" + example_name(examples[i]) + ")",
          "has no \"target\" position");
    truth.push_back(*examples[i].target);
  }
  TINYLLM_TRY(check_length(input.model.positions.size(), examples.size(), "the model's positions"));
  TINYLLM_TRY_ASSIGN(model_metrics, position_metrics(truth, input.model.positions));
  json model_json = model_extras(input.model);
  model_json["unparseable"] = model_metrics.unparseable;
  model_json["examples"] = model_metrics.examples;
  report["model"] = model_json;
  json baselines = json::array(), position_baselines = json::array();
  for (const BaselinePredictions& b : input.baselines) {
    TINYLLM_TRY(check_length(b.positions.size(), examples.size(), "baseline '" + b.name + "'"));
    TINYLLM_TRY_ASSIGN(metrics, position_metrics(truth, b.positions));
    json entry = {{"name", b.name}};
    if (b.name == "knn") entry["k"] = b.k;
    baselines.push_back(entry);
    entry.update(to_json(metrics));
    position_baselines.push_back(std::move(entry));
  }
  json position_model = to_json(model_metrics);
  position_model["name"] = input.model.name;
  report["baselines"] = baselines;
  report["position"] = {{"model", position_model}, {"baselines", position_baselines}};
  report["mistakes"] = position_mistakes(input, examples, truth);
  return {};
}

}  // namespace

const char* kind_name(TaskKind kind) {
  return kind == TaskKind::position ? "position" : "classification";
}

json runs_to_json(const std::vector<RunSummary>& runs) {
  json out = json::array();
  for (const RunSummary& r : runs) {
    json variants = json::array();
    for (const VariantSummary& v : r.variants)
      variants.push_back({{"type", v.type},
                          {"bytes", v.bytes},
                          {"accuracy", number_or_null(v.accuracy)},
                          {"mean_latency_ms", number_or_null(v.mean_latency_ms)}});
    out.push_back({{"run_id", r.run_id},
                   {"params", r.params},
                   {"tokens_per_example", r.tokens_per_example},
                   {"accuracy", r.accuracy},
                   {"macro_f1", r.macro_f1},
                   {"train_seconds", r.train_seconds},
                   {"decoding", r.decoding},
                   {"variants", variants}});
  }
  return out;
}

const char* decoding_name(Decoding decoding) {
  return decoding == Decoding::free ? "free" : "constrained";
}

std::vector<int> free_predictions(const std::vector<std::string>& outputs,
                                  const std::vector<std::string>& classes, FreeCounts* counts) {
  std::vector<int> predicted;
  predicted.reserve(outputs.size());
  for (const std::string& output : outputs) {
    const FreeAnswer answer = score_free_answer(output, classes);
    predicted.push_back(answer.predicted);
    if (counts && answer.verdict == FreeVerdict::no_label) ++counts->no_label;
    if (counts && answer.verdict == FreeVerdict::several_labels) ++counts->several_labels;
  }
  return predicted;
}

FoldScores fold_scores(const ClassificationMetrics& metrics) {
  return {metrics.accuracy, metrics.macro_f1};
}

Result<std::vector<FoldResult>> fold_baselines(const std::vector<EvalExample>& pooled,
                                               const std::vector<Fold>& folds,
                                               const std::vector<std::string>& classes,
                                               const BaselineOptions& options) {
  TINYLLM_TRY_ASSIGN(truth, class_indices(pooled, classes));
  std::vector<FoldResult> out;
  for (const Fold& fold : folds) {
    TINYLLM_TRY_ASSIGN(
        baselines, classification_baselines(refs_of(pooled, fold.train), refs_of(pooled, fold.test),
                                            classes, options));
    std::vector<int> fold_truth;
    for (size_t i : fold.test)
      fold_truth.push_back(truth[i]);
    FoldResult result;
    result.fold = fold.fold;
    result.test_subjects = fold.test_subjects;
    result.test_recordings = fold.test_recordings;
    for (const BaselinePredictions& b : baselines) {
      TINYLLM_TRY_ASSIGN(metrics, classification_metrics(fold_truth, b.predicted, classes));
      result.baselines.emplace_back(b.name, fold_scores(metrics));
    }
    out.push_back(std::move(result));
  }
  return out;
}

Result<json> build_report(const ReportInput& input, const std::vector<EvalExample>& examples) {
  json report = {{"version", 1},
                 {"task", input.task},
                 {"kind", kind_name(input.kind)},
                 {"decoding", decoding_name(input.model.decoding)},
                 {"split", input.split},
                 {"split_by", input.split_by},
                 {"checkpoint", input.checkpoint},
                 {"run_id", input.run_id},
                 {"created", input.created.empty() ? utc_now_iso8601() : input.created},
                 {"classes", input.classes},
                 {"examples", examples.size()}};
  const ModelPredictions& model = input.model;
  if (model.decoding == Decoding::free && input.kind == TaskKind::position)
    return make_error("report",
                      "free decoding is for classification tasks; a position answer "
                      "is always decoded on its form");
  if (!model.prompt_tokens.empty())
    TINYLLM_TRY(check_length(model.prompt_tokens.size(), examples.size(), "prompt_tokens"));
  if (!model.latency_ms.empty())
    TINYLLM_TRY(check_length(model.latency_ms.size(), examples.size(), "latency_ms"));
  if (input.kind == TaskKind::classification)
    TINYLLM_TRY(add_classification(input, examples, report));
  else
    TINYLLM_TRY(add_position(input, examples, report));
  if (!input.folds.empty()) {
    report["folds"] = folds_json(input.folds);
    report["folds_summary"] = folds_summary(input.folds);
  }
  if (!input.runs.empty()) report["runs"] = runs_to_json(input.runs);
  return report;
}

Status write_report(const std::filesystem::path& dir, const std::string& stem, const json& report,
                    const std::string& html) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return make_error(dir.string(), "cannot create the report folder: " + ec.message());
  // Invalid UTF-8 in a prompt must not abort the report: replace it.
  const std::string text = report.dump(2, ' ', false, json::error_handler_t::replace);
  TINYLLM_TRY(write_file_atomic(dir / (stem + ".json"), text + "\n"));
  return write_file_atomic(dir / (stem + ".html"), html);
}

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string truncate_utf8(const std::string& text, size_t max_chars) {
  if (text.size() <= max_chars) return text;
  size_t cut = max_chars;
  // Step back over UTF-8 continuation bytes (10xxxxxx) so no character is split.
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
    --cut;
  return text.substr(0, cut) + "\xE2\x80\xA6";
}

}  // namespace tinyllm::eval
