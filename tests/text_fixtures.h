// Text corpora for the tokenizer tests and benchmark: the shared datasets written as sensor text
// in the prompt template's shape, a synthetic stand-in when the datasets are missing, and a
// seeded fuzz corpus. No Qt, so bench/ can use it too.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "text/vocab_learning.h"

namespace tinyllm::test {

struct TaskText {
  std::string prompt, response, label;
};

struct SensorCorpus {
  std::vector<std::string> documents;  // pre-training documents (multi-line)
  std::vector<TaskText> tasks;         // prompt/response examples
  // Every document and task example's full text.
  std::vector<std::string> all_texts() const;
};

// <shared>/datasets, or empty when it is missing.
std::filesystem::path shared_datasets(const std::filesystem::path& shared_dir);

// Magic wand gestures: one document and one task example per recorded sample.
SensorCorpus magic_wand_corpus(const std::filesystem::path& samples_csv, size_t max_samples);
// UJIIndoorLoc fingerprints: the strongest access points of each row, zone as the label.
SensorCorpus uji_corpus(const std::filesystem::path& csv, size_t max_rows);
// Sensor-like text without the datasets.
SensorCorpus synthetic_corpus(uint32_t seed, size_t samples);

// Random strings: UTF-8 of every length (4-byte characters included), malformed bytes, control
// characters, long digit runs, empty lines, runs of spaces, "▁", template markers.
std::vector<std::string> fuzz_corpus(uint32_t seed, size_t count);

// Every line of every text (without the "\n").
std::vector<std::string> lines_of(const std::vector<std::string>& texts);

// True when `text` is valid UTF-8 and has no "▁" (U+2581): the texts that must round-trip.
bool round_trip_expected(const std::string& text);

// Documents held in memory, for training a tokenizer from fixtures (tests and bench).
class VectorDocuments : public text::DocumentSource {
 public:
  explicit VectorDocuments(std::vector<std::string> docs) : docs_(std::move(docs)) {}
  Status rewind() override {
    next_ = 0;
    return {};
  }
  Result<bool> next(std::string& doc) override {
    if (next_ >= docs_.size()) return false;
    doc = docs_[next_++];
    return true;
  }

 private:
  std::vector<std::string> docs_;
  size_t next_ = 0;
};

}  // namespace tinyllm::test
