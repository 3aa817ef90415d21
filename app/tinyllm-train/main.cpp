// tinyllm-train: the libtorch worker that `tinyllm train`, `tinyllm sample` and the GUI start.
// It prints one JSON event per line on stdout (docs/events.md) and nothing else there; human
// diagnostics go to stderr. It never links sentencepiece (DESIGN.md): text goes through our own
// tokenizer in tinyllm_text.
//
//   tinyllm-train [train] [--config=FILE] [--project=DIR] [--key=value ...] [--resume]
//                 [--rank=R --world_size=N --dist_addr=HOST --dist_port=PORT]
//   tinyllm-train sample (--checkpoint=DIR | --project=DIR [--run_id=ID])
//                 [--prompt=TEXT] [--tokens=N] [--temperature=T] [--top_k=K] [--seed=S]
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "model/config_json.h"
#include "project/project.h"
#include "train/checkpoint.h"
#include "train/sample.h"
#include "train/train.h"
#include "worker_text.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tinyllm;

namespace {

std::atomic<bool> g_stop{false};
std::atomic<bool> g_pause{false};

// Control messages on stdin, one JSON object per line (docs/events.md):
// {"control": "pause" | "resume" | "stop"}. The GUI writes them through the tinyllm relay; the
// loop acts on them at the next step boundary. Pausing cooperatively (not SIGSTOP) keeps the
// other processes' collectives from timing out when training spans several.
constexpr const char* kControlKey = "control";
constexpr const char* kControlPause = "pause";
constexpr const char* kControlResume = "resume";
constexpr const char* kControlStop = "stop";

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
    g_stop.store(true);
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
  if (args.mode != "train" && args.mode != "sample")
    return make_error(args.mode, "unknown mode; use train or sample");
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

Result<json> read_json_file(const fs::path& path) {
  TINYLLM_TRY_ASSIGN(text, read_file(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error(path.string(), "not valid JSON");
  return j;
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

  // Settings, lowest priority first: defaults, the resumed checkpoint's, the file, --overrides.
  train::TrainConfig config;
  std::vector<std::pair<std::string, std::string>> overrides = args.options;
  for (const auto& [k, v] : overrides)
    if (k == "out_dir" || k == "run_id") {
      if (auto s = train::apply_override(config, k, v); !s) return fail(s.error(), rv.rank);
    }
  if (project && config.out_dir.empty())
    config.out_dir = (fs::path(*project) / "checkpoints" / config.run_id).string();
  const bool resume = std::any_of(overrides.begin(), overrides.end(), [](const auto& kv) {
    return kv.first == "resume" && kv.second == "true";
  });
  if (resume) {
    auto dir = train::latest_checkpoint(config.out_dir);
    if (!dir) return fail(dir.error(), rv.rank);
    auto saved = read_json_file(*dir / "train.json");
    if (!saved) return fail(saved.error(), rv.rank);
    if (auto s = train::apply_json(config, *saved, (*dir / "train.json").string()); !s)
      return fail(s.error(), rv.rank);
  }
  if (config_file) {
    auto j = read_json_file(*config_file);
    if (!j) return fail(j.error(), rv.rank);
    if (auto s = train::apply_json(config, *j, *config_file); !s) return fail(s.error(), rv.rank);
  }
  json echoed = json::array();
  const json defaults = train::to_json(train::TrainConfig{});
  for (const auto& [k, v] : overrides) {
    std::string was, now;
    if (auto s = train::apply_override(config, k, v, &was, &now); !s)
      return fail(s.error(), rv.rank);
    if (k == "out_dir" || k == "run_id") was = defaults[k].dump();  // applied early, above
    echoed.push_back({{"key", k}, {"was", was}, {"now", now}});
  }
  if (project && config.data_dir.empty())
    config.data_dir = (fs::path(*project) / "tokenizer" / "shards").string();
  if (config.out_dir.empty())
    return fail(make_error("out_dir", "pass --project=DIR or --out_dir=FOLDER"));
  if (auto s = train::finalize(config); !s) return fail(s.error(), rv.rank);
  if (rv.rank == 0) print_event({{"event", "config"}, {"overrides", echoed}});

  auto data = open_data(config);
  if (!data) return fail(data.error(), rv.rank);
  fs::path tok = tokenizer_path ? fs::path(*tokenizer_path)
                 : project      ? fs::path(*project) / "tokenizer" / "tokenizer.model"
                                : fs::path();
  auto codec = worker::load_codec(tok);
  if (!codec && !tok.empty() && fs::exists(tok)) return fail(codec.error(), rv.rank);

  install_signal_handlers();
  start_control_reader();
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
  auto outcome =
      train::run_training(config, *data, rv, sink, &g_stop, codec ? &*codec : nullptr, &g_pause);
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
  fs::path dir;
  if (auto c = args.take("checkpoint")) {
    dir = *c;
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
  train::SampleSettings s;
  std::string prompt = args.take("prompt").value_or("");
  int threads = 0, count = 1;
  for (auto [key, field] : {std::pair{"tokens", &s.tokens}, std::pair{"top_k", &s.top_k},
                            std::pair{"threads", &threads}, std::pair{"count", &count}})
    if (auto v = args.take(key)) {
      auto n = to_int(key, *v);
      if (!n) return fail(n.error());
      *field = *n;
    }
  if (auto v = args.take("temperature")) s.temperature = std::atof(v->c_str());
  if (auto v = args.take("seed")) s.seed = std::stoull(*v);
  const auto tokenizer_path = args.take("tokenizer");
  if (!args.options.empty())
    return fail(make_error("--" + args.options[0].first, "unknown option for sample"));
  if (threads > 0) at::set_num_threads(threads);

  auto info = train::read_checkpoint_info(dir);
  if (!info) return fail(info.error());
  auto model = train::Gpt2::create(info->model, torch::Device(train::resolve_device("auto")), 0);
  if (!model) return fail(model.error());
  if (auto st = train::load_checkpoint(dir, *model, nullptr); !st) return fail(st.error());
  fs::path tok = tokenizer_path ? fs::path(*tokenizer_path)
                 : project      ? fs::path(*project) / "tokenizer" / "tokenizer.model"
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
  try {
    return args->mode == "sample" ? run_sample(*args) : run_train(*args);
  } catch (const std::exception& e) {  // a libtorch error that escaped: report, never crash
    return fail(make_error("tinyllm-train", e.what()));
  }
}
