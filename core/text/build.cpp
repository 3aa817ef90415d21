// The tokenizer step: train, write the model and vocab, encode the splits into shards with our
// own encoder, compute statistics, and put the folder in place in one rename.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <optional>
#include <set>

#include "base/files.h"
#include "text/corpus.h"
#include "text/shard.h"
#include "text/vocab_learning.h"

namespace tinyllm::text {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string hex64(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, v);
  return buf;
}

// Nearest-rank percentiles, as the data step's length_stats.
json length_stats(std::vector<double> v) {
  json j = {{"count", v.size()}, {"mean", 0}, {"p50", 0}, {"p95", 0}, {"max", 0}};
  if (v.empty()) return j;
  std::sort(v.begin(), v.end());
  double sum = 0;
  for (double x : v)
    sum += x;
  auto pct = [&](double p) {
    return v[std::min(v.size() - 1, size_t(p * double(v.size() - 1) + 0.5))];
  };
  j["mean"] = sum / double(v.size());
  j["p50"] = pct(0.5);
  j["p95"] = pct(0.95);
  j["max"] = v.back();
  return j;
}

std::vector<fs::path> existing(const fs::path& dir, std::initializer_list<const char*> names) {
  std::vector<fs::path> out;
  for (const char* n : names)
    if (fs::exists(dir / n)) out.push_back(dir / n);
  return out;
}

// Writes one split's documents into shards/<split>_NNN.bin, starting a new file after
// max_tokens_per_shard tokens (at a document boundary).
struct SplitWriter {
  const Tokenizer& tok;
  fs::path dir;
  std::string split;
  uint64_t max_tokens;
  std::vector<ShardWriter> done;
  std::optional<ShardWriter> current;
  uint64_t lossy_documents = 0;
  std::string first_lossy;

  Status write(const std::string& doc, std::vector<int32_t>& ids) {
    ids.clear();
    tok.encode(doc, ids);
    // The promise of the tokenizer: what is trained on decodes back to the prepared text.
    auto back = tok.decode(ids);
    if (!back || *back != doc) {
      if (lossy_documents++ == 0) first_lossy = doc.substr(0, 200);
    }
    if (current && current->info().token_count >= max_tokens) TINYLLM_TRY(finish());
    if (!current) {
      char name[64];
      std::snprintf(name, sizeof name, "%s_%03zu.bin", split.c_str(), done.size());
      TINYLLM_TRY_ASSIGN(w, ShardWriter::create(dir / name, uint32_t(tok.vocab_size()),
                                                tok.eos_id(), tok.fingerprint()));
      current.emplace(std::move(w));
    }
    return current->write_document(ids);
  }
  Status finish() {
    if (!current) return {};
    TINYLLM_TRY(current->commit());
    done.push_back(std::move(*current));
    current.reset();
    return {};
  }
  json summary() const {
    json list = json::array();
    for (size_t i = 0; i < done.size(); ++i) {
      char name[64];
      std::snprintf(name, sizeof name, "shards/%s_%03zu.bin", split.c_str(), i);
      const ShardInfo& s = done[i].info();
      list.push_back({{"path", name},
                      {"tokens", s.token_count},
                      {"documents", s.document_count},
                      {"checksum", hex64(s.checksum)}});
    }
    return list;
  }
};

// Tokens a class label costs as an answer (after "### Response:\n", before "\n### End").
size_t answer_tokens(const Tokenizer& tok, const std::string& label) {
  return tok.encode("\n" + label + "\n").size() - tok.encode("\n\n").size();
}

// A warning naming the class labels that are not single tokens, and why; empty when all are.
std::string label_token_warning(const Tokenizer& tok, const std::set<std::string>& labels,
                                const VocabSettings& settings) {
  std::vector<std::string> spelled;
  for (const auto& label : labels)
    if (answer_tokens(tok, label) != 1) spelled.push_back(label);
  if (spelled.empty()) return {};
  std::string why;
  if (!settings.label_symbols)
    why = "label_symbols is off";
  else if (labels.size() > kMaxLabelSymbols)
    why = "there are " + std::to_string(labels.size()) + " classes, more than the " +
          std::to_string(kMaxLabelSymbols) + " that are made single tokens";
  else
    why = "a label symbol needs a letter, at most 32 bytes and no comma or control character";
  constexpr size_t kNamed = 20;
  std::string names;
  for (size_t i = 0; i < spelled.size() && i < kNamed; ++i)
    names += (i ? ", " : "") + spelled[i];
  if (spelled.size() > kNamed)
    names += ", ... (" + std::to_string(spelled.size() - kNamed) + " more)";
  return std::to_string(spelled.size()) + " of " + std::to_string(labels.size()) +
         " class labels are not single tokens (" + why +
         "), so the model spells those answers in several tokens: " + names;
}

}  // namespace

Result<json> tokenizer_stats(const Tokenizer& tok, const fs::path& prepared_dir,
                             const fs::path& tokenizer_dir) {
  json stats = json::object();
  std::vector<int32_t> ids;
  for (const char* split : {"train", "val", "test"}) {
    const fs::path file = prepared_dir / ("task_" + std::string(split) + ".jsonl");
    if (!fs::exists(file)) continue;
    std::vector<double> prompt, response, example;
    double chars = 0, tokens = 0;
    TINYLLM_TRY(
        detail::for_each_jsonl(file, [&](const json& r, const std::string& where) -> Status {
          TINYLLM_TRY_ASSIGN(p, detail::string_field(r, "prompt", where));
          TINYLLM_TRY_ASSIGN(a, detail::string_field(r, "response", where));
          ids.clear();
          tok.encode(p, ids);
          prompt.push_back(double(ids.size()));
          ids.clear();
          tok.encode(a, ids);
          response.push_back(double(ids.size()));
          ids.clear();
          tok.encode(p + a, ids);
          example.push_back(double(ids.size()));
          chars += double(p.size() + a.size());
          tokens += double(ids.size());
          return {};
        }));
    stats["task_" + std::string(split)] = {{"prompt_tokens", length_stats(prompt)},
                                           {"response_tokens", length_stats(response)},
                                           {"example_tokens", length_stats(example)},
                                           {"bytes_per_token", tokens > 0 ? chars / tokens : 0.0}};
  }

  // Vocabulary use, over the train shards.
  std::vector<uint8_t> used(size_t(tok.vocab_size()), 0);
  uint64_t train_tokens = 0;
  std::vector<uint32_t> chunk;
  std::vector<fs::path> shards;
  if (fs::exists(tokenizer_dir / "shards"))
    for (const auto& e : fs::directory_iterator(tokenizer_dir / "shards"))
      if (e.path().filename().string().rfind("train_", 0) == 0) shards.push_back(e.path());
  std::sort(shards.begin(), shards.end());
  for (const auto& path : shards) {
    TINYLLM_TRY_ASSIGN(reader, ShardReader::open(path));
    if (reader.info().vocab_size != uint32_t(tok.vocab_size()))
      return make_error(path.string(), "shard was written for a vocabulary of " +
                                           std::to_string(reader.info().vocab_size) +
                                           " pieces, the tokenizer has " +
                                           std::to_string(tok.vocab_size()));
    for (uint64_t at = 0; at < reader.info().token_count;) {
      const size_t n = size_t(std::min<uint64_t>(1 << 20, reader.info().token_count - at));
      TINYLLM_TRY(reader.read(at, n, chunk));
      for (uint32_t id : chunk)
        if (id < used.size()) used[id] = 1;
      at += n;
    }
    train_tokens += reader.info().token_count;
  }
  const auto used_count = uint64_t(std::count(used.begin(), used.end(), 1));
  stats["vocab"] = {{"size", tok.vocab_size()},
                    {"used_in_train", used_count},
                    {"used_share", tok.vocab_size() ? double(used_count) / tok.vocab_size() : 0},
                    {"train_tokens", train_tokens}};
  return stats;
}

Result<json> build_tokenizer(const fs::path& prepared_dir, const fs::path& out_dir,
                             const VocabSettings& settings, const ProgressFn& progress) {
  const auto train_files = existing(prepared_dir, {"pretrain_train.jsonl", "task_train.jsonl"});
  const auto val_files = existing(prepared_dir, {"pretrain_val.jsonl", "task_val.jsonl"});
  if (train_files.empty())
    return make_error(prepared_dir.string(),
                      "no prepared training text (pretrain_train.jsonl, task_train.jsonl): "
                      "run `tinyllm data prepare` first");

  // Class labels: candidates for single-token answers.
  std::set<std::string> labels;
  if (fs::exists(prepared_dir / "task_train.jsonl"))
    TINYLLM_TRY(detail::for_each_jsonl(
        prepared_dir / "task_train.jsonl", [&](const json& r, const std::string&) -> Status {
          const auto it = r.find("label");
          if (it != r.end() && it->is_string() && !it->get<std::string>().empty())
            labels.insert(it->get<std::string>());
          return {};
        }));

  JsonlDocuments train_docs(train_files);
  TINYLLM_TRY_ASSIGN(
      trained, learn_sentencepiece(train_docs, settings, {labels.begin(), labels.end()}, progress));
  TINYLLM_TRY_ASSIGN(tok, Tokenizer::from_bytes(trained.model_bytes, "trained tokenizer.model"));

  // Everything goes into a staging folder next to the target, renamed into place at the end.
  std::error_code ec;
  const fs::path staging = out_dir.parent_path() / ("." + out_dir.filename().string() + ".new-" +
                                                    std::to_string(::getpid()));
  fs::remove_all(staging, ec);
  fs::create_directories(staging / "shards", ec);
  if (ec) return make_error(staging.string(), "cannot create folder: " + ec.message());
  struct Cleanup {
    fs::path dir;
    ~Cleanup() {
      std::error_code e;
      if (!dir.empty()) fs::remove_all(dir, e);
    }
  } cleanup{staging};

  TINYLLM_TRY(write_file_atomic(staging / "tokenizer.model", trained.model_bytes));
  TINYLLM_TRY(write_file_atomic(staging / "tokenizer.vocab", vocab_text(tok)));

  uint64_t total_bytes = 0, done_bytes = 0;
  for (const auto& f : train_files)
    total_bytes += fs::file_size(f, ec);
  for (const auto& f : val_files)
    total_bytes += fs::file_size(f, ec);
  json shards = json::object();
  uint64_t lossy = 0;
  std::string first_lossy;
  std::vector<int32_t> ids;
  for (const char* split : {"train", "val"}) {
    SplitWriter writer{tok, staging / "shards", split, settings.max_tokens_per_shard, {}, {}, 0,
                       {}};
    JsonlDocuments docs(split == std::string("train") ? train_files : val_files);
    TINYLLM_TRY(docs.rewind());
    std::string doc;
    uint64_t count = 0;
    for (;;) {
      TINYLLM_TRY_ASSIGN(more, docs.next(doc));
      if (!more) break;
      TINYLLM_TRY(writer.write(doc, ids));
      done_bytes += doc.size() + 32;  // roughly the JSON around it
      if (++count % 1024 == 0 && progress)
        progress({"encode",
                  total_bytes ? std::min(1.0, double(done_bytes) / double(total_bytes)) : 1,
                  std::string("encoding ") + split + ": " + std::to_string(count) + " documents"});
    }
    TINYLLM_TRY(writer.finish());
    shards[split] = writer.summary();
    lossy += writer.lossy_documents;
    if (first_lossy.empty()) first_lossy = writer.first_lossy;
  }
  if (progress) progress({"encode", 1.0, "shards written"});

  TINYLLM_TRY_ASSIGN(stats, tokenizer_stats(tok, prepared_dir, staging));
  if (progress) progress({"stats", 1.0, "statistics computed"});

  json summary = {{"format", 1},
                  {"model", "tokenizer.model"},
                  {"vocab", "tokenizer.vocab"},
                  {"model_sha256", sha256_hex(trained.model_bytes)},
                  {"fingerprint", hex64(tok.fingerprint())},
                  {"created", utc_now_iso8601()},
                  {"settings", to_json(settings)},
                  {"model_type", to_string(tok.settings().type)},
                  {"vocab_size", tok.vocab_size()},
                  {"special",
                   {{"unk", tok.unk_id()},
                    {"bos", tok.bos_id()},
                    {"eos", tok.eos_id()},
                    {"pad", tok.pad_id()}}},
                  {"separator_id", tok.eos_id()},
                  {"user_symbols", trained.user_symbols},
                  {"corpus",
                   {{"documents", trained.documents},
                    {"bytes", trained.bytes},
                    {"sampled_documents", trained.sampled_documents}}},
                  {"shards", shards},
                  {"lossy_documents", lossy},
                  {"stats", stats},
                  {"warnings", json::array()}};
  if (auto w = label_token_warning(tok, labels, settings); !w.empty())
    summary["warnings"].push_back(w);
  if (lossy) summary["first_lossy_document"] = first_lossy;
  TINYLLM_TRY(write_file_atomic(staging / "tokenizer.json", summary.dump(2) + "\n"));

  // Swap the folders: the old one survives until the new one is in place.
  const fs::path backup = out_dir.parent_path() / ("." + out_dir.filename().string() + ".old-" +
                                                   std::to_string(::getpid()));
  fs::remove_all(backup, ec);
  const bool had_old = fs::exists(out_dir);
  if (had_old) {
    fs::rename(out_dir, backup, ec);
    if (ec)
      return make_error(out_dir.string(), "cannot move the old tokenizer aside: " + ec.message());
  }
  fs::rename(staging, out_dir, ec);
  if (ec) {
    std::error_code ignore;
    if (had_old) fs::rename(backup, out_dir, ignore);
    return make_error(out_dir.string(), "cannot put the new tokenizer in place: " + ec.message());
  }
  cleanup.dir.clear();
  fs::remove_all(backup, ec);
  return summary;
}

}  // namespace tinyllm::text
