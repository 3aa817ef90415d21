// tinyllm-train: the libtorch worker that `tinyllm train`, `tinyllm sample` and the GUI start.
// It prints one JSON event per line on stdout (docs/events.md) and nothing else there; human
// diagnostics go to stderr. It never links sentencepiece (DESIGN.md): text goes through our own
// tokenizer in tinyllm_text.
//
//   tinyllm-train [train] [--config=FILE] [--project=DIR] [--key=value ...] [--resume]
//                 [--rank=R --world_size=N --dist_addr=HOST --dist_port=PORT]
//   tinyllm-train sample (--checkpoint=DIR | --project=DIR [--run_id=ID])
//                 [--prompt=TEXT] [--tokens=N] [--temperature=T] [--top_k=K] [--seed=S]
//   tinyllm-train settings      the training settings as a Markdown table (docs/events.md)
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "model/config_json.h"
#include "project/project.h"
#include "settings/settings.h"
#include "train/checkpoint.h"
#include "train/sample.h"
#include "train/train.h"
#include "worker_text.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tinyllm;

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_stop_signal(int) {
  g_stop.store(true);
}

void install_signal_handlers() {
  struct sigaction sa = {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

void print_event(const json& event) {
  const std::string line = event.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

int fail(const Error& error, int rank = 0) {
  if (rank == 0)
    print_event({{"event", "error"}, {"where", error.where}, {"message", error.message}});
  std::fprintf(stderr, "tinyllm-train[rank %d]: %s\n", rank, error.to_string().c_str());
  return 1;
}

// --key=value arguments in order; a bare --flag means "true".
struct Args {
  std::string mode = "train";
  std::vector<std::pair<std::string, std::string>> options;
  std::optional<std::string> take(const std::string& key) {
    std::optional<std::string> value;
    for (auto it = options.begin(); it != options.end();) {
      if (it->first == key) {
        value = it->second;
        it = options.erase(it);
      } else {
        ++it;
      }
    }
    return value;
  }
};

Result<Args> parse_args(int argc, char** argv) {
  Args args;
  int i = 1;
  if (i < argc && argv[i][0] != '-') args.mode = argv[i++];
  if (args.mode != "train" && args.mode != "sample" && args.mode != "settings")
    return make_error(args.mode, "unknown mode; use train, sample or settings");
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return make_error(a, "expected --key=value");
    a = a.substr(2);
    const size_t eq = a.find('=');
    if (eq == std::string::npos)
      args.options.emplace_back(a, "true");
    else
      args.options.emplace_back(a.substr(0, eq), a.substr(eq + 1));
  }
  return args;
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

// Records the run's latest checkpoint in project.json.
void register_checkpoint(const fs::path& project_root, const train::TrainConfig& c,
                         const fs::path& checkpoint) {
  auto p = project::open_project(project_root);
  if (!p) return;
  auto sha = sha256_file(checkpoint / "model.safetensors");
  if (!sha) return;
  project::Artifact a;
  a.id = "checkpoint-" + c.run_id;
  a.kind = "checkpoint";
  a.path = fs::relative(checkpoint, project_root).string();
  a.sha256 = *sha;
  a.created = utc_now_iso8601();
  if (p->find_artifact("tokenizer")) a.inputs.push_back("tokenizer");
  a.settings = train::to_json(c);
  p->put_artifact(a);
  if (auto s = project::save_project(*p); !s)
    std::fprintf(stderr, "tinyllm-train: %s\n", s.error().to_string().c_str());
}

int run_train(Args& args) {
  train::Rendezvous rv;
  for (auto [key, field] : {std::pair{"rank", &rv.rank}, std::pair{"world_size", &rv.world_size},
                            std::pair{"dist_port", &rv.port}})
    if (auto v = args.take(key)) {
      auto n = to_int(key, *v);
      if (!n) return fail(n.error());
      *field = *n;
    }
  if (auto v = args.take("dist_addr")) rv.addr = *v;
  const auto project = args.take("project");
  const auto config_file = args.take("config");
  const auto tokenizer_path = args.take("tokenizer");

  train::TrainRequest request;
  if (project) request.project = fs::path(*project);
  if (config_file) request.config_file = fs::path(*config_file);
  request.overrides = args.options;
  auto resolved = train::resolve_train_config(request);
  if (!resolved) return fail(resolved.error(), rv.rank);
  train::TrainConfig& config = resolved->config;
  if (rv.rank == 0) print_event({{"event", "config"}, {"overrides", resolved->echo}});

  auto data = open_data(config);
  if (!data) return fail(data.error(), rv.rank);
  fs::path tok = tokenizer_path ? fs::path(*tokenizer_path)
                 : project      ? fs::path(*project) / "tokenizer" / "tokenizer.model"
                                : fs::path();
  auto codec = worker::load_codec(tok);
  if (!codec && !tok.empty() && fs::exists(tok)) return fail(codec.error(), rv.rank);

  install_signal_handlers();
  // Events also go to the run folder, so the GUI can show a past run's curves (appended on
  // resume: the file is the run's whole history).
  std::error_code ec;
  fs::create_directories(config.out_dir, ec);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> history(
      rv.rank == 0 ? std::fopen((fs::path(config.out_dir) / "events.jsonl").c_str(), "a") : nullptr,
      [](std::FILE* f) { return f ? std::fclose(f) : 0; });
  auto sink = [&history](const json& e) {
    print_event(e);
    if (history) {
      const std::string line = e.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      std::fwrite(line.data(), 1, line.size(), history.get());
      std::fflush(history.get());
    }
  };
  auto outcome = train::run_training(config, *data, rv, sink, &g_stop, codec ? &*codec : nullptr);
  if (!outcome) {
    std::fprintf(stderr, "tinyllm-train[rank %d]: %s\n", rv.rank,
                 outcome.error().to_string().c_str());
    return 1;
  }
  if (project && rv.rank == 0 && !outcome->checkpoint.empty())
    register_checkpoint(*project, config, outcome->checkpoint);
  return 0;
}

int run_sample(Args& args) {
  const auto project = args.take("project");
  const auto run_id = args.take("run_id").value_or("run1");
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
    const fs::path run = fs::path(*project) / "checkpoints" / run_id;
    if (fs::exists(run / "best" / "model.safetensors")) {
      dir = run / "best";
    } else {
      auto latest = train::latest_checkpoint(run);
      if (!latest) return fail(latest.error());
      dir = *latest;
    }
  } else {
    return fail(make_error("sample", "pass --checkpoint=DIR or --project=DIR"));
  }
  if (threads > 0) at::set_num_threads(threads);

  auto info = train::read_checkpoint_info(dir);
  if (!info) return fail(info.error());
  auto model = train::Gpt2::create(info->model, torch::Device(train::resolve_device("auto")), 0);
  if (!model) return fail(model.error());
  if (auto st = train::load_checkpoint(dir, *model, nullptr); !st) return fail(st.error());
  fs::path tok = !tokenizer_path.empty() ? fs::path(tokenizer_path)
                 : project               ? fs::path(*project) / "tokenizer" / "tokenizer.model"
                                         : fs::path();
  auto codec = worker::load_codec(tok);
  std::vector<int32_t> ids;
  if (codec && !prompt.empty()) ids = codec->encode(prompt);
  if (ids.empty()) ids.push_back(codec ? codec->start_id : 0);
  for (int i = 0; i < count; ++i) {
    auto out = train::generate(*model, ids, s);
    json event{{"event", "sample"},
               {"step", info->state.step},
               {"prompt", prompt},
               {"tokens", out},
               {"checkpoint", dir.string()}};
    if (codec)
      if (auto text = codec->decode(out)) event["text"] = *text;
    print_event(event);
    ++s.seed;
  }
  print_event({{"event", "done"}, {"reason", "completed"}, {"step", info->state.step}});
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto args = parse_args(argc, argv);
  if (!args) return fail(args.error());
  if (args->mode == "settings") {  // the table docs/events.md holds (a test compares them)
    train::TrainConfig defaults;
    std::printf("%s", train::settings_table(defaults).markdown().c_str());
    return 0;
  }
  try {
    return args->mode == "sample" ? run_sample(*args) : run_train(*args);
  } catch (const std::exception& e) {  // a libtorch error that escaped: report, never crash
    return fail(make_error("tinyllm-train", e.what()));
  }
}
