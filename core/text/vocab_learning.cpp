// Training a vocabulary through libsentencepiece's SentencePieceTrainer, with the corpus streamed
// in through a SentenceIterator (the trainer samples it down with input_sentence_size) and the
// trainer's log captured from stderr and turned into progress.
#include <fcntl.h>
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <mutex>
#include <set>
#include <string_view>
#include <thread>
#include <unordered_map>

#include "text/vocab_learning.h"

#include "settings/settings.h"
#include "text/prompt_template.h"

namespace tinyllm::text {
namespace {

constexpr size_t kMaxSentenceBytes = 64 * 1024;  // longer documents are cut at line ends
constexpr size_t kMaxLogBytes = 256 * 1024;      // the tail of the trainer's log we keep

// Redirects fd 2 into a pipe while alive; a thread reads it line by line. libsentencepiece logs
// with std::cerr and has no public switch to silence it.
class StderrCapture {
 public:
  explicit StderrCapture(std::function<void(const std::string&)> on_line)
      : on_line_(std::move(on_line)) {
    int fds[2];
    std::cerr.flush();
    std::fflush(stderr);
    if (::pipe(fds) != 0) return;
    saved_ = ::dup(2);
    if (saved_ < 0 || ::dup2(fds[1], 2) < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      if (saved_ >= 0) ::close(saved_);
      saved_ = -1;
      return;
    }
    ::close(fds[1]);
    reader_ = std::thread([this, fd = fds[0]] { read_loop(fd); });
  }
  ~StderrCapture() { stop(); }

  void stop() {
    if (saved_ < 0) return;
    std::cerr.flush();
    std::fflush(stderr);
    ::dup2(saved_, 2);  // closes the pipe's last write end: the reader sees EOF
    ::close(saved_);
    saved_ = -1;
    reader_.join();
  }
  std::string log() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return log_;
  }

 private:
  void read_loop(int fd) {
    char buf[4096];
    std::string line;
    for (;;) {
      const ssize_t n = ::read(fd, buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] != '\n') {
          line.push_back(buf[i]);
          continue;
        }
        append(line);
        line.clear();
      }
    }
    if (!line.empty()) append(line);
    ::close(fd);
  }
  void append(const std::string& line) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      log_ += line;
      log_ += '\n';
      if (log_.size() > kMaxLogBytes) log_.erase(0, log_.size() - kMaxLogBytes / 2);
    }
    if (on_line_) on_line_(line);
  }

  std::function<void(const std::string&)> on_line_;
  int saved_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::string log_;
};

// Feeds documents to the trainer, cutting very long ones at line ends.
class DocumentIterator : public sentencepiece::SentenceIterator {
 public:
  explicit DocumentIterator(DocumentSource& docs) : docs_(docs) { Next(); }
  bool done() const override { return done_; }
  const std::string& value() const override { return value_; }
  sentencepiece::util::Status status() const override {
    if (error_.message.empty()) return sentencepiece::util::Status();
    return sentencepiece::util::Status(sentencepiece::util::StatusCode::kInternal,
                                       error_.to_string());
  }
  void Next() override {
    while (pending_.empty()) {
      auto more = docs_.next(pending_);
      if (!more || !*more) {
        if (!more) error_ = more.error();
        done_ = true;
        return;
      }
    }
    size_t cut = pending_.size();
    if (cut > kMaxSentenceBytes) {
      cut = pending_.rfind('\n', kMaxSentenceBytes - 1);
      cut = cut == std::string::npos || cut == 0 ? kMaxSentenceBytes : cut + 1;
      while (cut < pending_.size() && (static_cast<uint8_t>(pending_[cut]) & 0xC0) == 0x80)
        --cut;
    }
    value_.assign(pending_, 0, cut);
    pending_.erase(0, cut);
    ++count_;
    if (count_ % 4096 == 0 && on_count_) on_count_(count_);
  }
  const Error& error() const { return error_; }
  std::function<void(uint64_t)> on_count_;

 private:
  DocumentSource& docs_;
  std::string pending_, value_;
  bool done_ = false;
  uint64_t count_ = 0;
  Error error_;
};

// "... size=123 ..." -> 123, or -1.
long field_value(const std::string& line, const char* key) {
  const size_t at = line.find(key);
  if (at == std::string::npos) return -1;
  return std::strtol(line.c_str() + at + std::strlen(key), nullptr, 10);
}

bool is_label_symbol(const std::string& label) {
  if (label.empty() || label.size() > 32) return false;
  bool letter = false;
  for (unsigned char c : label) {
    if (c < 0x20 || c == 0x7f || c == ',') return false;  // "," separates the trainer's list
    if (std::isalpha(c) || c >= 0x80) letter = true;
  }
  return letter;  // digits-only labels would capture numbers in the sensor text
}

// Whether a BPE trainer finds a pair of characters to merge in `doc`: two characters in a row
// within one word. Words are split before each space (which becomes a "▁" that starts the next
// word; the first word gets one too), around each digit (split_digits) and at user-defined
// symbols (`symbols`, as they appear in the text). libsentencepiece 0.1.97's BPE trainer crashes
// (SIGSEGV) on a corpus without a single such pair, so that corpus is refused before it.
bool has_mergeable_pair(std::string_view doc, const std::vector<std::string>& symbols) {
  size_t run = 1;  // the dummy prefix "▁"
  for (size_t i = 0; i < doc.size();) {
    const auto c = static_cast<unsigned char>(doc[i]);
    if ((c & 0xC0) == 0x80) {  // a UTF-8 continuation byte: part of the character before
      ++i;
      continue;
    }
    const auto symbol = std::find_if(symbols.begin(), symbols.end(), [&](const std::string& s) {
      return !s.empty() && doc.compare(i, s.size(), s) == 0;
    });
    if (symbol != symbols.end()) {
      run = 0;
      i += symbol->size();
      continue;
    }
    if (c == ' ')
      run = 1;
    else if (std::isdigit(c))
      run = 0;
    else if (++run >= 2)
      return true;
    ++i;
  }
  return false;
}

// "./src/trainer_interface.cc(580) [expression] Message." -> "Message."
std::string without_check_location(const std::string& message) {
  const size_t bracket = message.find("] ");
  const bool located = message.find(".cc(") != std::string::npos && bracket != std::string::npos;
  if (!located) return message;
  std::string rest = message.substr(bracket + 2);
  while (!rest.empty() && std::isspace(static_cast<unsigned char>(rest.back())))
    rest.pop_back();
  return rest;
}

// libsentencepiece's failed checks, said in terms of our settings and the corpus.
Error trainer_error(const std::string& message, const VocabSettings& settings,
                    const std::string& corpus) {
  const std::string detail = " (SentencePiece: " + message + ")";
  const char* kTooSmall = "Vocabulary size is smaller than required_chars. ";
  if (const size_t at = message.find(kTooSmall); at != std::string::npos) {
    const char* numbers = message.c_str() + at + std::strlen(kTooSmall);
    long given = 0, needed = 0;
    char coverage[32];
    std::snprintf(coverage, sizeof coverage, "%g", settings.character_coverage);
    if (std::sscanf(numbers, "%ld vs %ld", &given, &needed) == 2)
      return make_error("tokenizer setting vocab_size",
                        std::to_string(given) + " is too small for " + corpus +
                            ": the vocabulary needs at least " + std::to_string(needed) +
                            " pieces (256 byte pieces, 4 special pieces, the template's and the "
                            "labels' symbols and one per character the text uses); set "
                            "vocab_size to " +
                            std::to_string(needed) + " or more, or lower character_coverage (now " +
                            coverage + ")");
  }
  const std::string said = without_check_location(message);
  return make_error(corpus, "SentencePiece could not learn a " + settings.model_type +
                                " vocabulary from this text" +
                                (said.empty() || said == message ? "" : ": " + said) + detail);
}

}  // namespace

std::vector<std::string> template_symbols() {
  std::vector<std::string> out = {"\n"};
  for (std::string_view marker : prompt::kMarkers)
    out.push_back(escape_symbol(std::string(marker)));
  return out;
}

std::string escape_symbol(const std::string& symbol) {
  std::string out;
  for (char c : symbol) {
    if (c == ' ')
      out += "\xE2\x96\x81";
    else
      out += c;
  }
  return out;
}

settings::Table settings_table(VocabSettings& s) {
  using settings::Range;
  settings::Table t("tokenizer setting");
  t.text("model_type", s.model_type, {"bpe", "unigram"}, "SentencePiece model type");
  t.integer("vocab_size", s.vocab_size, Range::between(300, 1 << 20),
            "requested vocabulary size (at least 256 byte pieces, specials, symbols and the "
            "alphabet); small corpora may stop short");
  t.flag("label_symbols", s.label_symbols,
         "class labels (with a letter, up to 32 bytes) become single tokens");
  t.text_list("user_symbols", s.user_symbols, "more user-defined symbols, e.g. units");
  t.integer("max_training_bytes", s.max_training_bytes, Range::between(1 << 10, 1e12),
            "documents are sampled down to about this many bytes for training");
  t.number("character_coverage", s.character_coverage, Range::between(0.98, 1),
           "share of characters with a piece of their own; the rest are spelled in bytes");
  t.integer("seed", s.seed, Range::between(0, 4294967295.0), "sampling seed");
  t.integer("threads", s.threads, Range::between(1, 4096).or_value(0, "all cores"),
            "trainer threads");
  t.integer("max_tokens_per_shard", s.max_tokens_per_shard, Range::between(1, 1e12),
            "a new shard file starts after this many tokens");
  return t;
}

Result<VocabSettings> vocab_settings_from_json(const nlohmann::json& j) {
  VocabSettings s;
  auto table = settings_table(s);
  TINYLLM_TRY(table.apply_json(j, "tokenizer settings"));
  for (const auto& u : s.user_symbols)
    if (u.empty() || u.find(',') != std::string::npos)
      return make_error("tokenizer settings: user_symbols",
                        "symbol '" + u + "' is empty or has a comma");
  return s;
}

nlohmann::json to_json(const VocabSettings& s) {
  VocabSettings copy = s;  // the table binds mutable fields
  return settings_table(copy).to_json();
}

Result<LearnedVocab> learn_sentencepiece(DocumentSource& docs, const VocabSettings& settings,
                                         const std::vector<std::string>& labels,
                                         const ProgressFn& progress) {
  // Called from this thread and from the log reader's, so one at a time.
  std::mutex report_mutex;
  auto report = [&](const char* phase, double fraction, const std::string& message) {
    std::lock_guard<std::mutex> lock(report_mutex);
    if (progress) progress({phase, std::min(1.0, std::max(0.0, fraction)), message});
  };
  LearnedVocab out;

  // User-defined symbols: template markers, labels that qualify, the user's own.
  std::set<std::string> seen;
  auto add_symbol = [&](const std::string& s) {
    if (seen.insert(s).second) out.user_symbols.push_back(s);
  };
  for (const auto& s : template_symbols())
    add_symbol(s);
  if (settings.label_symbols) {
    std::vector<std::string> picked;
    for (const auto& l : labels)
      if (is_label_symbol(l)) picked.push_back(escape_symbol(l));
    if (picked.size() <= kMaxLabelSymbols)  // a classification answer set, not free text
      for (const auto& l : picked)
        add_symbol(l);
  }
  for (const auto& s : settings.user_symbols)
    add_symbol(escape_symbol(s));
  std::string symbols;
  for (const auto& s : out.user_symbols) {
    if (s.find(',') != std::string::npos)
      return make_error("tokenizer",
                        "user symbol '" + s + "' has a comma, which the trainer cannot take");
    symbols += (symbols.empty() ? "" : ",") + s;
  }

  // The symbols as they appear in the text ("▁" is a space there).
  std::vector<std::string> symbols_in_text;
  for (const auto& symbol : out.user_symbols) {
    std::string plain;
    for (size_t i = 0; i < symbol.size(); ++i) {
      if (symbol.compare(i, 3, "\xE2\x96\x81") == 0) {
        plain += ' ';
        i += 2;
      } else {
        plain += symbol[i];
      }
    }
    symbols_in_text.push_back(std::move(plain));
  }

  // Pass 1: how much text there is, to sample it down to max_training_bytes; and whether the
  // trainer can learn from it at all (it fails on no text, and BPE crashes on nothing to merge).
  TINYLLM_TRY(docs.rewind());
  std::string doc;
  size_t longest = 0;
  uint64_t with_text = 0;
  bool mergeable = settings.model_type != "bpe";
  for (;;) {
    TINYLLM_TRY_ASSIGN(more, docs.next(doc));
    if (!more) break;
    ++out.documents;
    out.bytes += doc.size();
    longest = std::max(longest, doc.size());
    if (!doc.empty()) ++with_text;
    if (!mergeable) mergeable = has_mergeable_pair(doc, symbols_in_text);
  }
  if (out.documents == 0) return make_error(docs.name(), "the training corpus is empty");
  if (with_text == 0)
    return make_error(docs.name(), "no text to learn a vocabulary from: all " +
                                       std::to_string(out.documents) + " documents are empty");
  if (!mergeable)
    return make_error(docs.name(),
                      "the text has no two letters in a row (only digits, spaces and the "
                      "template's symbols), so a BPE vocabulary has nothing to learn: add text, "
                      "or set the tokenizer setting model_type to unigram");
  const double mean_bytes = double(out.bytes) / double(out.documents);
  out.sampled_documents =
      out.bytes <= settings.max_training_bytes
          ? out.documents
          : std::max<uint64_t>(1, uint64_t(double(settings.max_training_bytes) / mean_bytes));
  report("count", 1.0,
         std::to_string(out.documents) + " documents, " + std::to_string(out.bytes) +
             " bytes; training on " + std::to_string(out.sampled_documents) + " of them");

  const int threads = settings.threads > 0
                          ? settings.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  const std::unordered_map<std::string, std::string> kwargs = {
      {"model_type", settings.model_type},
      {"vocab_size", std::to_string(settings.vocab_size)},
      {"hard_vocab_limit", "false"},  // a small corpus may not fill the vocabulary
      {"byte_fallback", "true"},
      {"normalization_rule_name", "identity"},
      {"remove_extra_whitespaces", "false"},
      {"add_dummy_prefix", "true"},
      {"split_digits", "true"},
      {"character_coverage", std::to_string(settings.character_coverage)},
      {"user_defined_symbols", symbols},
      {"unk_id", "0"},
      {"bos_id", "1"},
      {"eos_id", "2"},
      {"pad_id", "3"},
      // 0 takes every document; the trainer refuses a sample of 1..100 documents, so a sample
      // is never smaller than 101.
      {"input_sentence_size", out.sampled_documents < out.documents
                                  ? std::to_string(std::max<uint64_t>(out.sampled_documents, 101))
                                  : std::string("0")},
      {"shuffle_input_sentence", "true"},
      {"max_sentence_length", std::to_string(std::min(kMaxSentenceBytes, longest + 1) + 16)},
      {"num_threads", std::to_string(threads)},
  };

  // Pass 2: the trainer pulls documents through the iterator and samples them.
  TINYLLM_TRY(docs.rewind());
  DocumentIterator it(docs);
  it.on_count_ = [&](uint64_t n) {
    report("train", 0.1 * double(n) / double(out.documents),
           "reading documents: " + std::to_string(n));
  };
  long first_em_size = -1;
  const double target = settings.vocab_size;
  StderrCapture capture([&](const std::string& line) {
    if (line.find("Added: freq=") != std::string::npos) {  // BPE, one line per new piece
      const long size = field_value(line, "size=");
      if (size > 0 && size % 32 == 0)
        report("train", 0.1 + 0.9 * double(size) / target,
               "merges: " + std::to_string(size) + " pieces");
    } else if (line.find("EM sub_iter=") != std::string::npos) {  // unigram, shrinking
      const long size = field_value(line, " size=");
      if (size <= 0) return;
      if (first_em_size < 0) first_em_size = size;
      const double done = first_em_size > target && size > 0
                              ? std::log(double(first_em_size) / double(size)) /
                                    std::log(double(first_em_size) / target)
                              : 0.0;
      report("train", 0.1 + 0.9 * done, "EM: " + std::to_string(size) + " pieces");
    } else if (line.find("Normalizing sentences") != std::string::npos) {
      report("train", 0.1, "normalizing the sampled documents");
    }
  });
  sentencepiece::SetRandomGeneratorSeed(settings.seed);
  const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs, &it, &out.model_bytes);
  capture.stop();
  out.log = capture.log();
  if (!it.error().message.empty()) return it.error();
  if (!status.ok()) return trainer_error(std::string(status.message()), settings, docs.name());
  report("train", 1.0, "vocabulary trained");
  return out;
}

std::string vocab_text(const Tokenizer& tokenizer) {
  std::string out;
  char buf[64];
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    for (unsigned char c : tokenizer.piece(id)) {
      if (c == '\n') {
        out += "\\n";
      } else if (c == '\t') {
        out += "\\t";
      } else if (c == '\\') {
        out += "\\\\";
      } else if (c < 0x20 || c == 0x7f) {
        std::snprintf(buf, sizeof buf, "\\x%02X", c);
        out += buf;
      } else {
        out += static_cast<char>(c);
      }
    }
    std::snprintf(buf, sizeof buf, "\t%g\t", static_cast<double>(tokenizer.score(id)));
    out += buf;
    out += to_string(tokenizer.type(id));
    out += '\n';
  }
  return out;
}

}  // namespace tinyllm::text
