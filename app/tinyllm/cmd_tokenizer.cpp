// tinyllm tokenizer train|encode|decode|stats
#include <cstdio>
#include <iostream>
#include <iterator>
#include <sstream>

#include "base/files.h"
#include "cli_args.h"
#include "cli_output.h"
#include "commands.h"
#include "pipeline/data_step.h"
#include "pipeline/tokenizer_step.h"
#include "project/project.h"
#include "text/tokenizer.h"
#include "text/vocab_learning.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kUsage = R"(usage: tinyllm tokenizer <action> [options]

  train --project P       train a SentencePiece vocabulary on the prepared text (train split) and
                          write tokenizer/: tokenizer.model, tokenizer.vocab, shards, tokenizer.json
  encode (--project P | --model F) [--text T | --file F] [--pieces]
                          the ids of a text (standard input when neither --text nor --file)
  decode (--project P | --model F) ID...
                          the text of ids
  stats --project P       tokens per task prompt (mean, p50, p95, max) and vocabulary use

train options:
  --type bpe|unigram      model type (default bpe)
  --vocab N               requested vocabulary size (default 2048; small corpora may stop short)
  --symbol S              an extra user-defined symbol (repeatable), e.g. --symbol mg
  --no-label-symbols      do not make class labels single tokens
  --settings JSON|@F      tokenizer settings; --set key=value for one, e.g. --set seed=7
  --quiet                 no progress on standard error
all: --json for machine output
)";

Result<text::VocabSettings> train_settings(const project::Project& p, const Args& args) {
  json j = text::to_json(text::VocabSettings{});
  if (auto saved = p.processing.find("tokenizer"); saved != p.processing.end()) j.update(*saved);
  if (auto s = args.get("settings")) {
    TINYLLM_TRY_ASSIGN(given, json_argument(*s, "settings"));
    if (!given.is_object()) return make_error("--settings", "expected a JSON object");
    j.update(given);
  }
  TINYLLM_TRY(apply_assignments(j, args.all("set")));
  if (auto t = args.get("type")) j["model_type"] = *t;
  if (args.get("vocab")) {
    TINYLLM_TRY_ASSIGN(vocab, args.number_or("vocab", 0));
    j["vocab_size"] = static_cast<int>(vocab);
  }
  for (const auto& s : args.all("symbol"))
    j["user_symbols"].push_back(s);
  if (args.flag("no-label-symbols")) j["label_symbols"] = false;
  return text::vocab_settings_from_json(j);
}

// Progress on stderr: one line per phase change or 10% step.
text::ProgressFn progress_printer(bool quiet) {
  if (quiet) return nullptr;
  auto last_phase = std::make_shared<std::string>();
  auto last_step = std::make_shared<int>(-1);
  return [=](const text::Progress& p) {
    const int step = static_cast<int>(p.fraction * 10);
    if (p.phase == *last_phase && step == *last_step) return;
    *last_phase = p.phase;
    *last_step = step;
    std::fprintf(stderr, "[%s %3.0f%%] %s\n", p.phase.c_str(), 100 * p.fraction, p.message.c_str());
  };
}

void print_token_stats(const json& stats) {
  std::vector<std::vector<std::string>> rows;
  for (const char* split : {"train", "val", "test"}) {
    const std::string key = std::string("task_") + split;
    if (!stats.contains(key)) continue;
    const json& s = stats[key];
    const json& p = s["prompt_tokens"];
    rows.push_back({split, std::to_string(p.value("count", 0ULL)),
                    format_number(p.value("mean", 0.0), 1), format_number(p.value("p50", 0.0), 0),
                    format_number(p.value("p95", 0.0), 0), format_number(p.value("max", 0.0), 0),
                    format_number(s["response_tokens"].value("mean", 0.0), 1),
                    format_number(s["example_tokens"].value("max", 0.0), 0),
                    format_number(s.value("bytes_per_token", 0.0), 2)});
  }
  if (!rows.empty()) {
    std::printf("tokens per task example:\n");
    print_table({"split", "examples", "prompt mean", "p50", "p95", "max", "response mean",
                 "example max", "bytes/token"},
                rows);
  }
  const json& v = stats["vocab"];
  std::printf("vocabulary: %d pieces, %llu used by the train shards (%.1f%%), %llu train tokens\n",
              v.value("size", 0), static_cast<unsigned long long>(v.value("used_in_train", 0ULL)),
              100 * v.value("used_share", 0.0),
              static_cast<unsigned long long>(v.value("train_tokens", 0ULL)));
}

int train(const Args& args) {
  auto project = project::open_project(args.get_or("project", "."));
  if (!project) return fail(project.error());
  auto settings = train_settings(*project, args);
  if (!settings) return fail(settings.error());
  pipeline::remove_stale_temp_files(*project);
  auto summary = text::build_tokenizer(project->path("data/prepared"),
                                       project->path(pipeline::kTokenizerFolder), *settings,
                                       progress_printer(args.flag("quiet")));
  if (!summary) return fail(summary.error());
  if (auto saved = pipeline::record_tokenizer(*project, text::to_json(*settings), *summary); !saved)
    return fail(saved.error());

  if (args.flag("json")) {
    print_json(*summary);
    return 0;
  }
  const json& s = *summary;
  std::printf("trained a %s tokenizer: %d pieces (%d requested) in %s\n",
              s.value("model_type", "").c_str(), s.value("vocab_size", 0), settings->vocab_size,
              project->path("tokenizer").string().c_str());
  std::printf("corpus: %llu documents, %llu bytes (trainer sampled %llu)\n",
              static_cast<unsigned long long>(s["corpus"].value("documents", 0ULL)),
              static_cast<unsigned long long>(s["corpus"].value("bytes", 0ULL)),
              static_cast<unsigned long long>(s["corpus"].value("sampled_documents", 0ULL)));
  std::vector<std::vector<std::string>> rows;
  for (const char* split : {"train", "val"})
    for (const auto& sh : s["shards"][split])
      rows.push_back({split, sh.value("path", ""), std::to_string(sh.value("documents", 0ULL)),
                      std::to_string(sh.value("tokens", 0ULL))});
  print_table({"split", "shard", "documents", "tokens"}, rows);
  if (s.value("lossy_documents", 0ULL) > 0)
    std::printf(
        "warning: %llu documents do not decode back exactly (invalid UTF-8 or '\xE2\x96\x81')\n",
        static_cast<unsigned long long>(s.value("lossy_documents", 0ULL)));
  for (const auto& w : s.value("warnings", json::array()))
    std::printf("warning: %s\n", w.get<std::string>().c_str());
  print_token_stats(s["stats"]);
  return 0;
}

Result<text::Tokenizer> load_tokenizer(const Args& args) {
  if (auto model = args.get("model")) return text::Tokenizer::load(*model);
  auto project = project::open_project(args.get_or("project", "."));
  if (!project) return project.error();
  const fs::path model = project->path(pipeline::kTokenizerModel);
  if (!fs::exists(model))
    return make_error(model.string(), "no tokenizer yet: run `tinyllm tokenizer train` first");
  return text::Tokenizer::load(model);
}

int encode(const Args& args) {
  auto tok = load_tokenizer(args);
  if (!tok) return fail(tok.error());
  std::string input;
  if (auto t = args.get("text")) {
    input = *t;
  } else if (auto f = args.get("file")) {
    auto bytes = read_file(*f);
    if (!bytes) return fail(bytes.error());
    input = std::move(*bytes);
  } else {
    input.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  }
  const auto ids = tok->encode(input);
  if (args.flag("json")) {
    json pieces = json::array();
    for (int32_t id : ids)
      pieces.push_back(tok->piece(id));
    print_json({{"ids", ids}, {"pieces", pieces}, {"tokens", ids.size()}, {"bytes", input.size()}});
    return 0;
  }
  if (args.flag("pieces")) {
    std::vector<std::vector<std::string>> rows;
    for (int32_t id : ids)
      rows.push_back({std::to_string(id), json(tok->piece(id)).dump()});
    print_table({"id", "piece"}, rows);
    return 0;
  }
  std::string line;
  for (int32_t id : ids)
    line += (line.empty() ? "" : " ") + std::to_string(id);
  std::printf("%s\n", line.c_str());
  return 0;
}

int decode(const Args& args) {
  auto tok = load_tokenizer(args);
  if (!tok) return fail(tok.error());
  std::vector<int32_t> ids;
  for (const auto& p : args.positionals()) {
    std::istringstream in(p);  // "1 2 3" as one argument works too
    long long id = 0;
    while (in >> id)
      ids.push_back(static_cast<int32_t>(id));
    if (!in.eof()) return fail(make_error("decode", "'" + p + "' is not a list of ids"));
  }
  auto text = tok->decode(ids);
  if (!text) return fail(text.error());
  if (args.flag("json")) {
    print_json({{"text", *text}});
    return 0;
  }
  std::fwrite(text->data(), 1, text->size(), stdout);
  std::printf("\n");
  return 0;
}

int stats(const Args& args) {
  auto project = project::open_project(args.get_or("project", "."));
  if (!project) return fail(project.error());
  auto tok = load_tokenizer(args);
  if (!tok) return fail(tok.error());
  auto s = text::tokenizer_stats(*tok, project->path("data/prepared"), project->path("tokenizer"));
  if (!s) return fail(s.error());
  if (args.flag("json")) {
    print_json(*s);
    return 0;
  }
  std::printf("%s tokenizer, %d pieces\n", text::to_string(tok->settings().type),
              tok->vocab_size());
  print_token_stats(*s);
  return 0;
}

}  // namespace

int run_tokenizer_command(const std::vector<std::string>& argv) {
  if (argv.empty() || wants_help(argv)) {
    std::printf("%s", kUsage);
    return argv.empty() ? 2 : 0;
  }
  auto args = Args::parse({argv.begin() + 1, argv.end()},
                          {{"project", "model", "text", "file", "type", "vocab", "settings"},
                           {"json", "pieces", "quiet", "no-label-symbols"},
                           {"set", "symbol"}});
  if (!args) return fail(args.error());
  if (argv[0] == "train") return train(*args);
  if (argv[0] == "encode") return encode(*args);
  if (argv[0] == "decode") return decode(*args);
  if (argv[0] == "stats") return stats(*args);
  std::fprintf(stderr, "tinyllm tokenizer: unknown action '%s'\n\n%s", argv[0].c_str(), kUsage);
  return 2;
}

}  // namespace tinyllm::cli
