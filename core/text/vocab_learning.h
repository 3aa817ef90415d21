// tinyllm_vocab_learning: the tokenizer step of the workbench (step 2, before pre-training).
//
// Does: train a SentencePiece vocabulary with libsentencepiece's trainer from the prepared corpus
// (BPE by default, or unigram; byte fallback, identity normalization, split digits, the prompt
// template's markers and the class labels as user-defined symbols, newline as a symbol of its
// own); write tokenizer.model, a readable tokenizer.vocab, train/val token shards and a
// tokenizer.json summary; compute token statistics.
// Does not: encode (tinyllm_text does, with our own encoder, so the shards and the device use the
// same code), know about project.json (the CLI records the artifact), or link libtorch: it links
// libsentencepiece, whose bundled protobuf clashes with libtorch's (docs/architecture.md), so only
// the CLI, the GUI and tests link this library.
//
// Documents are multi-line. "\n" is a user-defined symbol, and the trainer gets whole documents
// as its "sentences" (it treats user-defined symbols as boundaries), so that each line's first
// word is learned without the "▁" that only the document's first word gets. Then
// decode(encode(doc)) == doc holds for every document (see docs/tokenizer.md).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "settings/settings.h"
#include "text/tokenizer.h"

namespace tinyllm::text {

// Class labels become single-token symbols only for an answer set of at most this many: more
// labels look like free text, and the tokenizer step then warns that answers are spelled out.
inline constexpr size_t kMaxLabelSymbols = 64;

struct VocabSettings {
  std::string model_type = "bpe";  // "bpe" or "unigram"
  // Requested vocabulary size. 2048 keeps the embedding of a ~1-5M-parameter model small
  // (2048 x 192 = 0.4M weights) and is more than sensor text needs: 256 byte pieces, the
  // alphabet and the template's words fill most of it. The trainer may stop short when the corpus
  // has no more merges; the actual size is in the summary.
  int vocab_size = 2048;
  bool label_symbols = true;  // class labels (with a letter, <= 32 bytes, <= 64 of them) as symbols
  std::vector<std::string> user_symbols;      // more user-defined symbols, e.g. units
  uint64_t max_training_bytes = 32ull << 20;  // documents are sampled down to about this
  // Share of the corpus's characters that get a piece of their own; the rarest rest are spelled
  // with byte pieces. SentencePiece's default; sensor text's small alphabet is fully covered.
  double character_coverage = 0.9995;
  uint32_t seed = 1;                            // sampling seed, for reproducible vocabularies
  int threads = 0;                              // trainer threads, 0: all cores
  uint64_t max_tokens_per_shard = 64ull << 20;  // a new shard file starts after this many
};

// The table of tokenizer settings bound to `settings` (ranges, choices, help); must not
// outlive it. Reading JSON goes through it: unknown keys and out-of-range values name the key.
settings::Table settings_table(VocabSettings& settings);
Result<VocabSettings> vocab_settings_from_json(const nlohmann::json& json);
nlohmann::json to_json(const VocabSettings& settings);

// The prompt template's markers (text/prompt_template.h), always user-defined symbols: "\n",
// "###▁Instruction:", "###▁Input:", "###▁Response:", "###▁End" (spaces written as "▁", as the
// encoder sees them).
std::vector<std::string> template_symbols();
// A user-visible symbol in the form the vocabulary stores it (' ' -> "▁").
std::string escape_symbol(const std::string& symbol);

struct Progress {
  std::string phase;    // "count", "train", "encode", "stats"
  double fraction = 0;  // of this phase, 0..1
  std::string message;  // one human line
};
using ProgressFn = std::function<void(const Progress&)>;

// Documents for training, read twice (to count, then to sample).
class DocumentSource {
 public:
  virtual ~DocumentSource() = default;
  virtual Status rewind() = 0;
  // Sets `doc` to the next document; false at the end.
  virtual Result<bool> next(std::string& doc) = 0;
  // What the documents are, for errors: the files they come from.
  virtual std::string name() const { return "the training corpus"; }
};

// Documents in JSON Lines files: "text", or "prompt" + "response" (a task example's full text).
class JsonlDocuments : public DocumentSource {
 public:
  explicit JsonlDocuments(std::vector<std::filesystem::path> files);
  ~JsonlDocuments() override;
  Status rewind() override;
  Result<bool> next(std::string& doc) override;
  std::string name() const override;

 private:
  struct State;
  std::vector<std::filesystem::path> files_;
  std::unique_ptr<State> state_;
};

struct LearnedVocab {
  std::string model_bytes;            // the serialized .model
  uint64_t documents = 0, bytes = 0;  // in the corpus
  uint64_t sampled_documents = 0;     // the trainer's input_sentence_size
  std::vector<std::string> user_symbols;
  std::string log;  // libsentencepiece's log output
};

// Trains a vocabulary with libsentencepiece. `labels` are candidates for label symbols.
Result<LearnedVocab> learn_sentencepiece(DocumentSource& docs, const VocabSettings& settings,
                                         const std::vector<std::string>& labels,
                                         const ProgressFn& progress);

// tokenizer.vocab: "piece<TAB>score<TAB>type" per id, control characters escaped (\n, \t, \xNN).
std::string vocab_text(const Tokenizer& tokenizer);

// The whole step: trains from <prepared>/pretrain_train.jsonl + task_train.jsonl, writes
// <out>/tokenizer.model, tokenizer.vocab, shards/{train,val}_NNN.bin and tokenizer.json (which
// it returns). Train shards hold the train split only, val shards the val split; test examples
// are never used. The folder is replaced as a whole, so a failure leaves the old one in place.
Result<nlohmann::json> build_tokenizer(const std::filesystem::path& prepared_dir,
                                       const std::filesystem::path& out_dir,
                                       const VocabSettings& settings, const ProgressFn& progress);

// Tokens per task prompt / response / example (count, mean, p50, p95, max) for each split, and
// the share of the vocabulary the train shards use.
Result<nlohmann::json> tokenizer_stats(const Tokenizer& tokenizer,
                                       const std::filesystem::path& prepared_dir,
                                       const std::filesystem::path& tokenizer_dir);

}  // namespace tinyllm::text
