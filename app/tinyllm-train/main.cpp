// tinyllm-train: the libtorch worker that `tinyllm train`, `tinyllm sample` and the GUI start.
// It prints one JSON event per line on stdout (docs/events.md) and nothing else there; human
// diagnostics go to stderr. It never links sentencepiece (docs/architecture.md): text goes through
// our own tokenizer in tinyllm_text.
//
//   tinyllm-train [train] [--config=FILE] [--project=DIR] [--key=value ...] [--resume]
//                 [--rank=R --world_size=N --dist_addr=HOST --dist_port=PORT [--local_rank=L]]
//   tinyllm-train sample (--checkpoint=DIR | --project=DIR [--run_id=ID])
//                 [--prompt=TEXT] [--tokens=N] [--temperature=T] [--top_k=K] [--seed=S]
//   tinyllm-train finetune --project=DIR [--init_from=CHECKPOINT] [--key=value ...] [--resume]
//                 the task examples of data/prepared, loss on the answers (train.h)
//   tinyllm-train eval --checkpoint=DIR --examples=PREPARED_DIR [--split=test]
//                 [--tokenizer=FILE] --out=PREDICTIONS.jsonl [--decoding=constrained|free]
//                 the model's answer to every example (eval_mode.h)
//   tinyllm-train settings      the training settings as a Markdown table (docs/events.md)
//   tinyllm-train --version     the workbench, libtorch and CUDA versions, the GPUs it sees (JSON)
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <thread>

#include <torch/torch.h>
#include <torch/version.h>
#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/version.h"
#include "eval_mode.h"
#include "model/config_json.h"
#include "pipeline/pretrain_step.h"
#include "pipeline/tokenizer_step.h"
#include "pipeline/worker_events.h"
#include "project/project.h"
#include "settings/settings.h"
#include "test_hooks.h"
#include "text/tokenizer.h"
#include "train/checkpoint.h"
#include "train/sample.h"
#include "train/task_data.h"
#include "train/train.h"
#include "worker_io.h"
#include "worker_task.h"
#include "worker_text.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tinyllm;
using worker::Args;
using worker::fail;
using worker::install_signal_handlers;
using worker::parse_args;
using worker::print_event;

namespace {

std::atomic<bool> g_pause{false};

// Control messages on stdin, one JSON object per line (docs/events.md):
// {"control": "pause" | "resume" | "stop"}. The GUI writes them through the tinyllm relay; the
// loop acts on them at the next step boundary. Pausing cooperatively (not SIGSTOP) keeps the
// other processes' collectives from timing out when training spans several.
using events::kControlPause;
using events::kControlResume;
using events::kControlStop;
constexpr const char* kControlKey = events::kControl;

void apply_control_line(const std::string& line) {
  const json message = json::parse(line, nullptr, false);
  const std::string command =
      message.is_object() && message.contains(kControlKey) && message[kControlKey].is_string()
          ? message[kControlKey].get<std::string>()
          : std::string();
  if (command == kControlPause)
    g_pause.store(true);
  else if (command == kControlResume)
    g_pause.store(false);
  else if (command == kControlStop)
    worker::stop_requested().store(true);
  else if (!line.empty())
    std::fprintf(
        stderr,
        "tinyllm-train: ignored control line (expected {\"%s\": \"%s\"|\"%s\"|\"%s\"}): %s\n",
        kControlKey, kControlPause, kControlResume, kControlStop, line.c_str());
}

// Reads control lines until stdin ends. Detached: a blocking read must not hold up the exit.
void start_control_reader() {
  if (::isatty(STDIN_FILENO)) return;  // typed input is not a control channel
  std::thread([] {
    std::string line;
    while (std::getline(std::cin, line))
      apply_control_line(line);
  }).detach();
}

Result<int> to_int(const std::string& key, const std::string& text) {
  try {
    size_t used = 0;
    int v = std::stoi(text, &used);
    if (used == text.size()) return v;
  } catch (const std::exception&) {
  }
  return make_error("--" + key, "expected an integer, got '" + text + "'");
}

// "synthetic" or "synthetic:TOKENS": a generated stream (tests, benchmarks, trying things out).
Result<train::DataSplit> open_data(const train::TrainConfig& c) {
  if (c.data_dir.rfind("synthetic", 0) == 0) {
    uint64_t tokens = 200000;
    if (c.data_dir.size() > 10) tokens = std::stoull(c.data_dir.substr(10));
    return train::split_tail(train::synthetic_source(tokens, c.model.n_vocab, c.seed),
                             c.val_fraction > 0 ? c.val_fraction : 0.05);
  }
  if (c.data_dir.empty())
    return make_error("data_dir", "no data: pass --project=DIR or --data_dir=FOLDER");
  return train::open_data_folder(c.data_dir, c.val_fraction);
}

// A user-given path as an absolute one (the worker works from the project folder, below).
std::string absolute_text(const std::string& path) {
  if (path.empty() || path.rfind("synthetic", 0) == 0) return path;
  return fs::absolute(path).string();
}

// Whether `path` lies inside some project folder (one with a project.json above it).
bool inside_a_project(const fs::path& path) {
  for (fs::path at = path; at.has_relative_path(); at = at.parent_path())
    if (fs::exists(at / project::kManifestName)) return true;
  return false;
}

void report_record(const Status& status) {
  if (!status) std::fprintf(stderr, "tinyllm-train: %s\n", status.error().to_string().c_str());
}

int run_train(Args& args, bool finetune) {
  const pipeline::RunFamily& family = finetune ? pipeline::kFinetuneRuns : pipeline::kPretrainRuns;
  if (finetune) args.options.insert(args.options.begin(), {"objective", "finetune"});
  train::Rendezvous rv;
  for (auto [key, field] :
       {std::pair{"rank", &rv.rank}, std::pair{"world_size", &rv.world_size},
        std::pair{"dist_port", &rv.port}, std::pair{"local_rank", &rv.local_rank}})
    if (auto v = args.take(key)) {
      auto n = to_int(key, *v);
      if (!n) return fail(n.error());
      *field = *n;
    }
  if (auto v = args.take("dist_addr")) rv.addr = *v;
  const auto project_arg = args.take("project");
  auto config_file = args.take("config");
  auto tokenizer_path = args.take("tokenizer");
  if (config_file) config_file = absolute_text(*config_file);
  if (tokenizer_path) tokenizer_path = absolute_text(*tokenizer_path);
  for (auto& [k, v] : args.options)
    if (k == "out_dir" || k == "data_dir" || k == "init_from" || k == "examples_dir")
      v = absolute_text(v);
  const bool resume = std::any_of(args.options.begin(), args.options.end(), [](const auto& kv) {
    return kv.first == "resume" && kv.second == "true";
  });

  // In a project the worker works from the project folder, so that every path it writes (in
  // train.json, events, project.json) is relative to it: a copied or moved project trains on
  // its own data and writes only into itself. A new run gets a new run id.
  std::optional<project::Project> opened;
  std::optional<std::string> project;
  if (project_arg) {
    auto p = project::open_project(*project_arg);
    if (!p) return fail(p.error(), rv.rank);
    opened = std::move(*p);
    std::optional<std::string> requested;
    for (const auto& [k, v] : args.options)
      if (k == "run_id") requested = v;
    const bool own_out_dir = std::any_of(args.options.begin(), args.options.end(),
                                         [](const auto& kv) { return kv.first == "out_dir"; });
    if (!own_out_dir) {
      // (Several processes get the run id from `tinyllm train`, which chooses it once.)
      auto run = pipeline::choose_run(*opened, requested, resume, family);
      if (!run) return fail(run.error(), rv.rank);
      if (!requested) args.options.emplace_back("run_id", *run);
      if (finetune) args.options.emplace_back("out_dir", opened->path(family.folder) / *run);
    }
    for (auto& [k, v] : args.options)
      if (k == "out_dir" || k == "data_dir" || k == "init_from" || k == "examples_dir")
        v = project::stored_path(opened->root, v);
    std::error_code ec;
    fs::current_path(opened->root, ec);
    if (ec) return fail(make_error(opened->root.string(), "cannot work here: " + ec.message()));
    project = ".";
    // What a killed step left; files of live writers and newer ones are kept.
    if (rv.rank == 0)
      project::remove_stale_temp_files(opened->root, fs::file_time_type::clock::now());
  }

  train::TrainRequest request;
  // Working from the project folder: the run's defaults are relative to it (an empty base).
  if (project) request.project = fs::path();
  if (config_file) request.config_file = fs::path(*config_file);
  request.overrides = args.options;
  auto resolved = train::resolve_train_config(request);
  if (!resolved) return fail(resolved.error(), rv.rank);
  train::TrainConfig& config = resolved->config;
  // A checkpoint made before projects were relocatable names its shards by an absolute path,
  // possibly inside the project it was copied from: inside a project, its own shards are used.
  const bool own_data_dir = std::any_of(args.options.begin(), args.options.end(),
                                        [](const auto& kv) { return kv.first == "data_dir"; });
  if (project && resolved->resumed_from && !own_data_dir &&
      fs::path(config.data_dir).is_absolute() && inside_a_project(config.data_dir))
    config.data_dir = (fs::path(pipeline::kTokenizerFolder) / "shards").string();
  if (rv.rank == 0) print_event({{events::kEvent, events::kConfig}, {"overrides", resolved->echo}});

  fs::path tok = tokenizer_path ? fs::path(*tokenizer_path)
                 : project      ? fs::path(pipeline::kTokenizerModel)
                                : fs::path();
  std::optional<train::DataSplit> data;
  std::optional<train::TaskData> task;
  std::optional<Result<train::TextCodec>> codec;
  if (finetune) {
    if (tok.empty()) return fail(make_error("tokenizer", "pass --project=DIR or --tokenizer=FILE"));
    auto tokenizer = text::load_checked_tokenizer(tok);
    if (!tokenizer) return fail(tokenizer.error());
    if (config.examples_dir.empty())
      return fail(make_error("examples_dir", "pass --project=DIR or --examples_dir=FOLDER"));
    // Every example must fit the context: refused here, before anything is written.
    int n_ctx = config.model.n_ctx;
    if (!config.init_from.empty()) {
      auto ctx = pipeline::checkpoint_context(config.init_from);
      if (!ctx) return fail(ctx.error());
      n_ctx = *ctx;
    }
    std::string note;
    auto loaded =
        worker::load_task_data(config.examples_dir, *tokenizer, config.augment, n_ctx, note);
    if (!loaded) return fail(loaded.error());
    task = std::move(*loaded);
    if (!note.empty()) print_event({{events::kEvent, events::kWarning}, {"message", note}});
    std::vector<pipeline::TaskSplit> splits;
    for (const char* name : {"train", "val"}) {
      auto split = pipeline::read_task_split(config.examples_dir, name);
      if (!split) return fail(split.error());
      splits.push_back(std::move(*split));
    }
    const auto check = pipeline::check_context(*tokenizer, splits, n_ctx);
    json event = check.to_json();
    event[events::kEvent] = "context_check";
    print_event(event);
    if (!check.ok()) return fail(make_error(config.examples_dir, check.message()));
  } else {
    auto opened_data = open_data(config);
    if (!opened_data) return fail(opened_data.error(), rv.rank);
    data = std::move(*opened_data);
    codec = worker::load_codec(tok);
    if (!*codec && !tok.empty() && fs::exists(tok)) return fail(codec->error(), rv.rank);
    if (!*codec) tok.clear();
  }
  if (!resume && train::latest_checkpoint(config.out_dir))
    return fail(make_error(config.out_dir,
                           "this run folder already holds a trained run; pass --resume to "
                           "continue it or choose another folder. Nothing was changed."),
                rv.rank);

  install_signal_handlers();
  start_control_reader();
  // Events also go to the run folder, so the GUI can show a past run's curves (appended on
  // resume: the file is the run's whole history; a new run starts it afresh).
  std::error_code ec;
  fs::create_directories(config.out_dir, ec);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> history(
      rv.rank == 0
          ? std::fopen((fs::path(config.out_dir) / "events.jsonl").c_str(), resume ? "a" : "w")
          : nullptr,
      [](std::FILE* f) { return f ? std::fclose(f) : 0; });
  // In a project each step checkpoint is recorded at once, as "interrupted at step N": that is
  // how the run ended if it is killed before its "done".
  json run_config = train::to_json(config);
  auto record = [&](const fs::path& checkpoint, const pipeline::RunOutcome& outcome) {
    if (project && rv.rank == 0)
      report_record(pipeline::record_checkpoint(opened->root, config.run_id, checkpoint, run_config,
                                                outcome, tok, family));
  };
  auto sink = [&](const json& e) {
    const std::string type = e.value(events::kEvent, "");
    if (type == events::kStart && e.contains("config")) run_config = e["config"];
    if (type == events::kCheckpoint && e.value("kind", "") == "step")
      record(e.value("path", ""), {events::kInterrupted, e.value("step", int64_t(0)), config.steps,
                                   std::nullopt, std::nullopt});
    print_event(e);
    if (history) {
      const std::string line = e.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      std::fwrite(line.data(), 1, line.size(), history.get());
      std::fflush(history.get());
    }
  };
  auto outcome = finetune
                     ? train::run_finetuning(config, *task, sink, &worker::stop_requested(),
                                             worker::test_hooks_from_environment(), &g_pause, rv)
                     : train::run_training(config, *data, rv, sink, &worker::stop_requested(),
                                           *codec ? &**codec : nullptr,
                                           worker::test_hooks_from_environment(), &g_pause);
  if (!outcome) {
    std::fprintf(stderr, "tinyllm-train[rank %d]: %s\n", rv.rank,
                 outcome.error().to_string().c_str());
    return 1;
  }
  if (!outcome->checkpoint.empty())
    record(outcome->checkpoint,
           {outcome->reason, outcome->step, config.steps,
            outcome->best_val_loss < 1e29 ? std::optional(outcome->best_val_loss) : std::nullopt,
            outcome->best_val_accuracy >= 0 ? std::optional(outcome->best_val_accuracy)
                                            : std::nullopt});
  return 0;
}

int run_sample(Args& args) {
  const auto project = args.take("project");
  auto run_id = args.take("run_id");
  const auto checkpoint = args.take("checkpoint");
  train::SampleSettings s;
  std::string prompt;
  std::string tokenizer_path;
  int threads = 0, count = 1;
  settings::Table table("sample option");
  table.text("prompt", prompt, {}, "text to continue");
  table.integer("tokens", s.tokens, settings::Range::between(1, 1 << 20), "tokens to generate");
  table.number("temperature", s.temperature, settings::Range::between(0, 100), "0 is greedy");
  table.integer("top_k", s.top_k, settings::Range::between(1, 1 << 24).or_value(0, "all"),
                "sample among the k most likely tokens");
  table.integer("seed", s.seed, settings::Range::between(0, 18446744073709551615.0),
                "the samples are a function of the seed");
  table.integer("threads", threads, settings::Range::between(1, 4096).or_value(0, "all cores"),
                "CPU threads");
  table.integer("count", count, settings::Range::between(1, 10000), "number of samples");
  table.text("tokenizer", tokenizer_path, {}, "tokenizer.model for the prompt and the text");
  for (const auto& [key, value] : args.options)
    if (auto st = table.apply_override(key, value); !st)
      return fail(make_error("--" + st.error().where, st.error().message));
  fs::path dir;
  if (checkpoint) {
    dir = *checkpoint;
  } else if (project) {
    auto p = project::open_project(*project);
    if (!p) return fail(p.error());
    if (!run_id) run_id = pipeline::latest_run_id(*p);
    if (!run_id) return fail(make_error(*project, "no trained run yet: run `tinyllm train` first"));
    auto found =
        pipeline::best_or_latest_checkpoint(fs::path(*project) / pipeline::kRunsFolder / *run_id);
    if (!found) return fail(found.error());
    dir = *found;
  } else {
    return fail(make_error("sample", "pass --checkpoint=DIR or --project=DIR"));
  }
  if (threads > 0) at::set_num_threads(threads);

  auto info = train::read_checkpoint_info(dir);
  if (!info) return fail(info.error());
  auto model = train::Gpt2::create(info->model, torch::Device(train::resolve_device("auto")), 0);
  if (!model) return fail(model.error());
  if (auto st = train::load_checkpoint(dir, *model, nullptr); !st) return fail(st.error());
  // The tokenizer the checkpoint was trained with, as its project recorded it; a prompt is never
  // dropped silently: without a usable tokenizer it is an error.
  fs::path tok;
  if (!tokenizer_path.empty()) {
    tok = tokenizer_path;
  } else {
    // A recorded tokenizer that is missing, changed or damaged is an error even without a prompt:
    // raw ids in place of its text would be a quietly wrong answer.
    std::string why_none;
    auto recorded = pipeline::find_recorded_tokenizer(dir, &why_none);
    if (!recorded) return fail(recorded.error());
    if (*recorded)
      tok = **recorded;
    else if (!prompt.empty())
      return fail(make_error(dir.string(), why_none + "; pass --tokenizer FILE to choose one"));
  }
  auto codec = worker::load_codec(tok);
  // A tokenizer that is there but damaged is an error, and so is a prompt with no tokenizer:
  // raw ids are no answer to "sample".
  if (!codec && (!tokenizer_path.empty() || !prompt.empty() || (!tok.empty() && fs::exists(tok))))
    return fail(codec.error());
  std::vector<int32_t> ids;
  if (codec && !prompt.empty()) ids = codec->encode(prompt);
  if (ids.empty()) ids.push_back(codec ? codec->start_id : 0);
  for (int i = 0; i < count; ++i) {
    auto out = train::generate(*model, ids, s);
    json event{{events::kEvent, events::kSample},
               {"step", info->state.step},
               {"prompt", prompt},
               {"tokens", out},
               {"checkpoint", dir.string()}};
    if (codec) {
      auto text = codec->decode(out);
      if (!text)
        return fail(make_error(tok.string(),
                               "the checkpoint's ids do not fit this tokenizer's "
                               "vocabulary: it is not the tokenizer it trained with"));
      event["text"] = *text;
      if (codec->readable) event["readable"] = codec->readable(out);
    }
    print_event(event);
    ++s.seed;
  }
  print_event({{events::kEvent, events::kDone},
               {"reason", events::kCompleted},
               {"step", info->state.step}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // What a training host has (tinyllm device probe --training): one JSON line.
  if (argc == 2 && std::string(argv[1]) == "--version") {
    const bool cuda = torch::cuda::is_available();
    const nlohmann::json v = {{"workbench_version", tinyllm::kWorkbenchVersion},
                              {"libtorch_version", std::to_string(TORCH_VERSION_MAJOR) + "." +
                                                       std::to_string(TORCH_VERSION_MINOR) + "." +
                                                       std::to_string(TORCH_VERSION_PATCH)},
                              {"cuda", cuda},
                              {"gpus", cuda ? int(torch::cuda::device_count()) : 0}};
    std::printf("%s\n", v.dump().c_str());
    return 0;
  }
  auto args = parse_args(argc, argv);
  if (!args) return fail(args.error());
  if (args->mode == "settings") {  // the table docs/events.md holds (a test compares them)
    train::TrainConfig defaults;
    std::printf("%s", train::settings_table(defaults).markdown().c_str());
    return 0;
  }
  try {
    if (args->mode == "sample") return run_sample(*args);
    if (args->mode == "eval") return worker::run_eval(*args);
    return run_train(*args, args->mode == "finetune");
  } catch (const std::exception& e) {  // a libtorch error that escaped: report, never crash
    return fail(make_error("tinyllm-train", e.what()));
  }
}
