// tinyllm eval: the fine-tuned model beside the baselines on held-out examples, as a table and a
// report (reports/<run>-<split>[-free]/report.json and .html). The model's answers come from the
// tinyllm-train worker (constrained decoding, or free decoding scored with the paper's rule;
// libtorch); metrics, baselines and the report from core/eval (no libtorch), the comparison of
// every run from core/pipeline/run_comparison.h. With --folds K, the whole evaluation is repeated
// over K folds of whole people: a fine-tune per fold from the same starting checkpoint, every
// baseline on the same folds, then the mean and the range.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "cli_args.h"
#include "commands.h"
#include "data/windows_file.h"
#include "eval/folds.h"
#include "eval/report.h"
#include "model/config_json.h"
#include "pipeline/finetune_step.h"
#include "pipeline/run_comparison.h"
#include "pipeline/tokenizer_step.h"
#include "settings/settings.h"
#include "worker_launch.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kEvalUsage =
    R"(usage: tinyllm eval --project P [--run ID | --checkpoint DIR] [--split test] [options]

  --project P        project folder (data/prepared holds the examples)
  --run ID           the fine-tuning run to evaluate (default: the latest); its best checkpoint
  --checkpoint DIR   evaluate this checkpoint folder instead
  --split NAME       test (default), val or train
  --decoding MODE    constrained (default): the model picks the most likely of the task's
                     answers; free: it writes its answer freely (greedy), scored with the
                     paper's rule: right when the true label appears exactly once; no label or
                     several labels are wrong and counted apart (classification only)
  --max-tokens N     free decoding: the most tokens generated per answer (default: the longest
                     answer's tokens + 4)
  --folds K          k-fold evaluation over whole people: fine-tunes K models (each from the
                     run's starting checkpoint, with its settings) and reports mean and range
                     for the model and every baseline on the same folds
  --baselines-only   no model: the baselines alone (quick; what the model has to beat)
  --json             print the report as JSON instead of the table

Writes reports/<name>/report.json and report.html (self-contained: open it in a browser);
<name> is <run>-<split>, with -free for free decoding and -folds with --folds.
)";

struct EvalRequest {
  fs::path project;
  std::optional<std::string> run, checkpoint;
  std::string split = "test";
  int folds = 0;
  bool baselines_only = false, raw_json = false;
  eval::Decoding decoding = eval::Decoding::constrained;
  int max_tokens = 0;  // free decoding; 0 = the worker's default
};

Result<EvalRequest> parse_request(const std::vector<std::string>& argv) {
  auto parsed = split_options(argv, {"json", "baselines-only"});
  if (!parsed) return parsed.error();
  EvalRequest r;
  bool has_project = false;
  for (const auto& [k, v] : *parsed) {
    if (k == "project") {
      r.project = v;
      has_project = true;
    } else if (k == "run") {
      r.run = v;
    } else if (k == "checkpoint") {
      r.checkpoint = v;
    } else if (k == "split") {
      if (v != "test" && v != "val" && v != "train")
        return make_error("--split", "'" + v + "' is not one of test, val, train");
      r.split = v;
    } else if (k == "folds") {
      r.folds = std::atoi(v.c_str());
      if (r.folds < 2 || r.folds > 50) return make_error("--folds", "must be 2..50");
    } else if (k == "decoding") {
      if (v != "constrained" && v != "free")
        return make_error("--decoding", "'" + v + "' is not one of constrained, free");
      r.decoding = v == "free" ? eval::Decoding::free : eval::Decoding::constrained;
    } else if (k == "max-tokens") {
      r.max_tokens = std::atoi(v.c_str());
      if (r.max_tokens < 1 || r.max_tokens > 4096)
        return make_error("--max-tokens", "must be 1..4096, got '" + v + "'");
    } else if (k == "baselines-only") {
      r.baselines_only = true;
    } else if (k == "json") {
      r.raw_json = true;
    } else {
      return make_error("--" + k, "unknown option (tinyllm eval --help lists them)");
    }
  }
  if (!has_project) return make_error("tinyllm eval", "name the project (--project P)");
  if (r.max_tokens > 0 && r.decoding != eval::Decoding::free)
    return make_error("--max-tokens", "is for free decoding (--decoding free)");
  return r;
}

// The worker's predictions file (app/tinyllm-train/eval_mode.h), one line per example in example
// order. A free answer's "output" is scored here, by core/eval's rule, not taken on trust.
Result<eval::ModelPredictions> read_predictions(const fs::path& path, size_t expected,
                                                const std::vector<std::string>& classes) {
  std::ifstream in(path);
  if (!in) return make_error(path.string(), "cannot read the predictions");
  eval::ModelPredictions p;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const json j = json::parse(line, nullptr, false);
    const std::string where = path.filename().string() + ":" + std::to_string(number);
    if (j.is_object() && j.contains("position")) {  // position tasks: [x, y] or null
      const json& xy = j["position"];
      if (xy.is_array() && xy.size() == 2 && xy[0].is_number() && xy[1].is_number())
        p.positions.push_back(eval::Point{xy[0].get<double>(), xy[1].get<double>()});
      else if (xy.is_null())
        p.positions.push_back(std::nullopt);
      else
        return make_error(where, "\"position\" must be [x, y] or null");
    } else if (j.is_object() && j.contains("output") && j["output"].is_string()) {
      p.decoding = eval::Decoding::free;
      p.outputs.push_back(j["output"].get<std::string>());
      p.max_tokens = j.value("max_tokens", 0);
    } else if (j.is_object() && j.contains("predicted") && j["predicted"].is_number_integer()) {
      p.predicted.push_back(j["predicted"].get<int>());
      p.scores.push_back(j.value("scores", std::vector<double>{}));
    } else {
      return make_error(where, "expected a prediction object");
    }
    p.prompt_tokens.push_back(j.value("prompt_tokens", int64_t(0)));
    p.latency_ms.push_back(j.value("latency_ms", 0.0));
  }
  if (p.decoding == eval::Decoding::free) {
    if (!p.predicted.empty())
      return make_error(path.string(), "mixes free outputs and constrained predictions");
    p.predicted = eval::free_predictions(p.outputs, classes);
  }
  const size_t count = std::max(p.predicted.size(), p.positions.size());
  if (count != expected)
    return make_error(path.string(), std::to_string(count) + " predictions for " +
                                         std::to_string(expected) + " examples");
  return p;
}

// Runs the worker's eval mode on `examples_dir`'s split; the predictions go to `out`.
Result<eval::ModelPredictions> model_predictions(const fs::path& checkpoint,
                                                 const fs::path& examples_dir,
                                                 const std::string& split, const fs::path& out,
                                                 size_t expected, const EvalRequest& request,
                                                 const std::vector<std::string>& classes,
                                                 const fs::path& tokenizer = {}) {
  const bool quiet = request.raw_json;
  WorkerOptions options = {{"checkpoint", fs::absolute(checkpoint).string()},
                           {"examples", fs::absolute(examples_dir).string()},
                           {"split", split},
                           {"out", fs::absolute(out).string()},
                           {"decoding", eval::decoding_name(request.decoding)}};
  // A run the project records finds its own tokenizer; a fold's run is not recorded.
  if (!tokenizer.empty()) options.push_back({"tokenizer", fs::absolute(tokenizer).string()});
  if (request.max_tokens > 0) options.push_back({"max_tokens", std::to_string(request.max_tokens)});
  // The relay prints the worker's progress; --json keeps stdout for the report alone.
  const int code = launch("eval", options, 1, false, nullptr, quiet);
  if (code != 0) return make_error("tinyllm-train eval", "the evaluation worker failed");
  TINYLLM_TRY_ASSIGN(p, read_predictions(out, expected, classes));
  TINYLLM_TRY_ASSIGN(text, read_file(checkpoint / "model.json"));
  TINYLLM_TRY_ASSIGN(j, settings::parse_json(text, (checkpoint / "model.json").string()));
  TINYLLM_TRY_ASSIGN(config, model::config_from_json(j, "model.json", model::ModelConfig{}));
  p.params = model::parameter_count(config);
  return p;
}

std::vector<std::string> classes_of(const json& summary) {
  std::vector<std::string> classes;
  for (const auto& c : summary.value("classes", json::array()))
    if (c.is_string()) classes.push_back(c.get<std::string>());
  return classes;
}

double run_train_seconds(const fs::path& run_folder) {
  std::ifstream in(run_folder / "events.jsonl");
  std::string line;
  double seconds = 0;
  while (std::getline(in, line)) {
    const json e = json::parse(line, nullptr, false);
    if (e.is_object() && e.value("event", "") == "done") seconds += e.value("elapsed_s", 0.0);
  }
  return seconds;
}

void print_accuracy_rows(const json& report);

void print_table(const json& report) {
  std::printf("\n%s on %s (%lld examples, split by %s)\n", report.value("task", "").c_str(),
              report.value("split", "").c_str(),
              static_cast<long long>(report.value("examples", int64_t(0))),
              report.value("split_by", "").c_str());
  if (report.contains("position")) {
    // Position: error in metres, the model beside the baselines.
    std::printf("  %-16s %9s %9s %9s %11s\n", "", "mean", "median", "p90", "unparseable");
    auto row = [](const std::string& name, const json& m) {
      auto metres = [&m](const char* key) {
        return m.contains(key) && m[key].is_number() ? m[key].get<double>() : NAN;
      };
      std::printf("  %-16s %7.2f m %7.2f m %7.2f m %11lld\n", name.c_str(), metres("mean_m"),
                  metres("median_m"), metres("p90_m"),
                  static_cast<long long>(m.value("unparseable", int64_t(0))));
    };
    const json& pos = report["position"];
    if (report.contains("model")) row(report.value("run_id", "model"), pos["model"]);
    for (const auto& b : pos.value("baselines", json::array()))
      row(b.value("name", ""), b);
  } else {
    print_accuracy_rows(report);
  }
  if (report.value("decoding", "") == "free" && report.contains("model"))
    std::printf(
        "  free decoding (up to %lld tokens), the paper's rule: no label: %lld, several "
        "labels: %lld\n",
        static_cast<long long>(report.value("max_tokens", int64_t(0))),
        static_cast<long long>(report["model"].value("no_label", int64_t(0))),
        static_cast<long long>(report["model"].value("several_labels", int64_t(0))));
  else if (report.contains("model") && !report.contains("position"))
    std::printf("  constrained decoding: the most likely of the task's answers\n");
  if (report.contains("model") && report["model"].contains("prompt_tokens"))
    std::printf("  model: %.0f prompt tokens per example, %.1f ms per example (p95 %.1f)\n",
                report["model"]["prompt_tokens"].value("mean", 0.0),
                report["model"]["latency_ms"].value("mean", 0.0),
                report["model"]["latency_ms"].value("p95", 0.0));
  if (report.contains("folds_summary")) {
    std::printf("  folds (mean, range):\n");
    for (const auto& [name, s] : report["folds_summary"].items())
      std::printf("    %-14s %5.1f%%  (%.1f..%.1f%%)\n", name.c_str(), 100 * s.value("mean", 0.0),
                  100 * s.value("min", 0.0), 100 * s.value("max", 0.0));
  }
}

void print_accuracy_rows(const json& report) {
  std::printf("  %-16s %9s %9s\n", "", "accuracy", "macro-F1");
  auto row = [](const std::string& name, const json& m) {
    std::printf("  %-16s %8.1f%% %8.1f%%\n", name.c_str(), 100 * m.value("accuracy", 0.0),
                100 * m.value("macro_f1", 0.0));
  };
  if (report.contains("model") && report["model"].contains("accuracy"))
    row(report.value("run_id", "model"), report["model"]);
  for (const auto& b : report.value("baselines", json::array()))
    row(b.value("name", "") + (b.value("name", "") == "knn"
                                   ? " (k=" + std::to_string(b.value("k", 1)) + ")"
                                   : std::string()),
        b);
}

// --- k-fold evaluation over whole people ---

// Writes a prepared folder holding `examples` split into train/val/test (by index lists) with
// their windows, and prepared.json (the original's, for the classes and the task).
Status write_fold_folder(const fs::path& dir, const json& summary,
                         const std::vector<eval::EvalExample>& pool,
                         const std::vector<size_t> (&parts)[3]) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  const char* names[3] = {"train", "val", "test"};
  for (int s = 0; s < 3; ++s) {
    std::string lines;
    data::WindowsFileWriter windows(uint32_t(pool.empty() ? 0 : pool.front().channels));
    for (size_t i : parts[s]) {
      const auto& e = pool[i];
      json line{{"prompt", e.prompt}, {"response", e.response}, {"label", e.label},
                {"split", names[s]},  {"series", e.series},     {"subject", e.subject},
                {"start", e.start},   {"rows", e.rows}};
      if (e.target) line["target"] = {e.target->x, e.target->y};
      lines += line.dump() + "\n";
      windows.add(e.window.data(), uint32_t(e.window_rows));
    }
    TINYLLM_TRY(write_file_atomic(dir / ("task_" + std::string(names[s]) + ".jsonl"), lines));
    TINYLLM_TRY(windows.write(dir / ("task_" + std::string(names[s]) + ".windows.bin")));
  }
  return write_file_atomic(dir / "prepared.json", summary.dump(2) + "\n");
}

// The settings of the run being evaluated, as a config file for the fold runs: everything but
// where it lives and what it read.
Result<fs::path> fold_config(const fs::path& checkpoint, const fs::path& project_root,
                             const fs::path& out) {
  TINYLLM_TRY_ASSIGN(text, read_file(checkpoint / "train.json"));
  TINYLLM_TRY_ASSIGN(config, settings::parse_json(text, (checkpoint / "train.json").string()));
  for (const char* key : {"out_dir", "run_id", "examples_dir", "data_dir", "resume", "objective"})
    config.erase(key);
  const std::string init = config.value("init_from", "");
  if (!init.empty()) config["init_from"] = project::resolve_path(project_root, init).string();
  TINYLLM_TRY(write_file_atomic(out, config.dump(2) + "\n"));
  return out;
}

Status run_folds(const project::Project& project, const EvalRequest& request,
                 const fs::path& checkpoint, const json& summary,
                 const std::vector<std::string>& classes, const fs::path& report_dir,
                 eval::ReportInput& input) {
  const fs::path prepared = project.path(pipeline::kPreparedFolder);
  std::vector<eval::EvalExample> pool;
  for (const char* split : {"train", "val", "test"}) {
    TINYLLM_TRY_ASSIGN(part, eval::read_task_split(prepared, split));
    for (auto& e : part)
      pool.push_back(std::move(e));
  }
  std::vector<std::string> subjects, recordings;
  for (const auto& e : pool) {
    subjects.push_back(e.subject);
    recordings.push_back(e.series);
  }
  // Examples of unknown people are held out with their whole recording, as the split does.
  TINYLLM_TRY_ASSIGN(folds, eval::subject_folds(subjects, request.folds, recordings));
  std::optional<fs::path> config;
  if (!request.baselines_only) {
    TINYLLM_TRY_ASSIGN(written, fold_config(checkpoint, project.root, report_dir / "run.json"));
    config = written;
  }
  for (const auto& fold : folds) {
    // Validation (early stopping, best/) from whole people of the training side too: the
    // people whose examples come first in name order, until a tenth of the training examples.
    std::map<std::string, std::vector<size_t>> by_subject;  // unknown people: by recording
    for (size_t i : fold.train)
      by_subject[pool[i].subject.empty() ? '\x1f' + pool[i].series : pool[i].subject].push_back(i);
    std::vector<size_t> parts[3];
    // People before unknown people's recordings: a recording often holds one gesture, and a
    // validation set of a few of them would pick the checkpoint on one or two classes.
    for (const bool recordings : {false, true})
      for (const auto& [unit, indices] : by_subject) {
        if ((unit.front() == '\x1f') != recordings) continue;
        const bool to_val = parts[1].size() * 10 < fold.train.size() && by_subject.size() > 1 &&
                            parts[1].size() + indices.size() < fold.train.size() / 2;
        auto& into = to_val ? parts[1] : parts[0];
        into.insert(into.end(), indices.begin(), indices.end());
      }
    parts[2] = fold.test;
    eval::FoldResult result;
    result.fold = fold.fold;
    result.test_subjects = fold.test_subjects;
    result.test_recordings = fold.test_recordings;
    const auto train_refs = eval::refs_of(pool, parts[0]);
    const auto test_refs = eval::refs_of(pool, parts[2]);
    std::vector<int> truth;
    for (size_t i : parts[2])
      truth.push_back(eval::class_index(classes, pool[i].label));
    TINYLLM_TRY_ASSIGN(baselines, eval::classification_baselines(train_refs, test_refs, classes));
    for (const auto& b : baselines) {
      TINYLLM_TRY_ASSIGN(m, eval::classification_metrics(truth, b.predicted, classes));
      result.baselines.emplace_back(b.name, eval::fold_scores(m));
    }
    if (!request.baselines_only) {
      const fs::path dir = report_dir / "folds" / ("fold-" + std::to_string(fold.fold + 1));
      TINYLLM_TRY(write_fold_folder(dir / "prepared", summary, pool, parts));
      if (!request.raw_json)
        std::printf(
            "fold %d of %zu: fine-tuning without %zu people and %zu recordings of "
            "unknown people (%zu test examples)\n",
            fold.fold + 1, folds.size(), fold.test_subjects.size(), fold.test_recordings.size(),
            parts[2].size());
      std::error_code ec;
      fs::remove_all(dir / "run", ec);  // a fold run is rebuilt whole, never resumed
      const WorkerOptions options = {
          {"config", config->string()},
          {"examples_dir", fs::absolute(dir / "prepared").string()},
          {"out_dir", fs::absolute(dir / "run").string()},
          {"tokenizer", project.path(pipeline::kTokenizerModel).string()},
          {"run_id", "fold-" + std::to_string(fold.fold + 1)}};
      if (launch("finetune", options, 1, false, nullptr, request.raw_json) != 0)
        return make_error(dir.string(), "the fine-tune of this fold failed");
      fs::path fold_checkpoint = dir / "run" / "best";
      TINYLLM_TRY_ASSIGN(p, model_predictions(fold_checkpoint, dir / "prepared", "test",
                                              dir / "predictions.jsonl", parts[2].size(), request,
                                              classes, project.path(pipeline::kTokenizerModel)));
      TINYLLM_TRY_ASSIGN(m, eval::classification_metrics(truth, p.predicted, classes));
      result.model = eval::fold_scores(m);
    }
    input.folds.push_back(std::move(result));
  }
  return {};
}

}  // namespace

int run_eval_command(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::printf("%s", kEvalUsage);
    return 0;
  }
  auto request = parse_request(argv);
  if (!request) {
    std::fprintf(stderr, "%s", kEvalUsage);
    return fail(request.error());
  }
  auto project = project::open_project(request->project);
  if (!project) return fail(project.error());
  const fs::path prepared = project->path(pipeline::kPreparedFolder);
  auto summary = pipeline::read_prepared_summary(prepared);
  if (!summary) return fail(summary.error());
  const bool position = summary->value("task", "") == "position";
  // A position task's answers are coordinates; its recordings' labels are not classes.
  const std::vector<std::string> classes =
      position ? std::vector<std::string>{} : classes_of(*summary);
  if (!position && classes.empty())
    return fail(
        make_error(prepared.string(), "the task has no classes and is not a position task"));
  if (position && request->folds)
    return fail(make_error("--folds",
                           "k-fold evaluation is for classification tasks; a position "
                           "task is evaluated on its test split"));
  if (position && request->decoding == eval::Decoding::free)
    return fail(make_error("--decoding",
                           "free decoding is for classification tasks: a position answer "
                           "(x=.. y=..) is always decoded on its form and scored in metres"));

  // Which checkpoint, and the report's name.
  std::string run_id;
  fs::path checkpoint;
  if (!request->baselines_only) {
    if (request->checkpoint) {
      checkpoint = *request->checkpoint;
      run_id = checkpoint.parent_path().filename().string();
    } else {
      auto latest =
          request->run ? request->run : pipeline::latest_run_id(*project, pipeline::kFinetuneRuns);
      if (!latest)
        return fail(make_error(project->root.string(),
                               "nothing fine-tuned yet: run `tinyllm finetune` first (or pass "
                               "--baselines-only)"));
      run_id = *latest;
      auto dir = pipeline::finetune_checkpoint(*project, run_id);
      if (!dir) return fail(dir.error());
      checkpoint = *dir;
    }
  }
  const bool free_decoding = request->decoding == eval::Decoding::free && !request->baselines_only;
  const std::string name = (run_id.empty() ? std::string("baselines") : run_id) + "-" +
                           request->split + (free_decoding ? "-free" : "") +
                           (request->folds ? "-folds" : "");
  const fs::path report_dir = project->path("reports") / name;
  std::error_code ec;
  fs::create_directories(report_dir, ec);

  auto train = eval::read_task_split(prepared, "train");
  if (!train) return fail(train.error());
  auto test = eval::read_task_split(prepared, request->split);
  if (!test) return fail(test.error());
  if (test->empty())
    return fail(make_error(prepared.string(), "the " + request->split + " split has no examples"));

  eval::ReportInput input;
  input.task = summary->value("task", "");
  input.split = request->split;
  input.split_by = summary->value("split_by", "");
  input.classes = classes;
  input.kind = position ? eval::TaskKind::position : eval::TaskKind::classification;
  input.run_id = run_id;
  input.checkpoint = checkpoint.empty() ? "" : project::stored_path(project->root, checkpoint);
  auto baselines = position ? eval::position_baselines(eval::refs_of(*train), eval::refs_of(*test))
                            : eval::classification_baselines(eval::refs_of(*train),
                                                             eval::refs_of(*test), classes);
  if (!baselines) return fail(baselines.error());
  input.baselines = std::move(*baselines);
  if (!request->baselines_only) {
    auto predictions =
        model_predictions(checkpoint, prepared, request->split, report_dir / "predictions.jsonl",
                          test->size(), *request, classes);
    if (!predictions) return fail(predictions.error());
    input.model = std::move(*predictions);
  } else {
    // No model: the report is built around the first baseline, whose place is then dropped.
    input.model.name = input.baselines.front().name;
    input.model.predicted = input.baselines.front().predicted;
    input.model.scores = input.baselines.front().scores;
    input.model.positions = input.baselines.front().positions;
  }
  if (request->folds) {
    if (auto st = run_folds(*project, *request, checkpoint, *summary, classes, report_dir, input);
        !st)
      return fail(st.error());
  }
  auto report = eval::build_report(input, *test);
  if (!report) return fail(report.error());
  if (!run_id.empty())
    (*report)["train_seconds"] =
        run_train_seconds(project->path(pipeline::kFinetuneRuns.folder) / run_id);
  // Every evaluated run of the project, this one as just measured.
  if (!position) {
    const auto comparison =
        pipeline::compare_runs(*project, request->baselines_only ? nullptr : &*report);
    if (!comparison.runs.empty()) (*report)["runs"] = eval::runs_to_json(comparison.runs);
  }
  if (request->baselines_only) {
    report->erase("model");
    report->erase("mistakes");
    if (report->contains("folds"))
      for (auto& f : (*report)["folds"])
        f.erase("model");
    if (report->contains("folds_summary")) (*report)["folds_summary"].erase("model");
  }
  const std::string html = eval::render_report_html(*report, *test);
  if (auto st = eval::write_report(report_dir, "report", *report, html); !st)
    return fail(st.error());
  if (request->raw_json) {
    std::printf("%s\n", report->dump().c_str());
  } else {
    print_table(*report);
    std::printf("report: %s\n", (report_dir / "report.html").c_str());
  }
  return 0;
}

}  // namespace tinyllm::cli
