// Where training tokens come from, and which window of them each sequence of a batch is.
//
// A TokenSource is one long stream of token ids (shards concatenated, a slice of one, or tokens
// in memory for tests). The batch order is a pure function of (seed, sequence index): sequence k
// is window perm_e(k mod W) of epoch e = k / W, where the W windows are non-overlapping runs of
// seq_len + 1 tokens (stride seq_len). So resuming needs no data-loader state, and any split of a
// step's sequences over processes and micro-batches reads exactly the same tokens.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"

namespace tinyllm::train {

class TokenSource {
 public:
  virtual ~TokenSource() = default;
  virtual uint64_t size() const = 0;
  // The vocabulary the tokens come from (every id is below it); 0 when unknown.
  virtual int vocab_size() const = 0;
  // Reads tokens [first, first + count) into out.
  virtual Status read(uint64_t first, size_t count, int64_t* out) = 0;
  virtual std::string describe() const = 0;
};

std::shared_ptr<TokenSource> memory_source(std::vector<int32_t> tokens, int vocab_size);
// A learnable pseudo-text stream for tests and benchmarks: no tokenizer needed.
std::shared_ptr<TokenSource> synthetic_source(uint64_t tokens, int vocab_size, uint64_t seed);
// Tokens [first, first + count) of `base`.
std::shared_ptr<TokenSource> slice_source(std::shared_ptr<TokenSource> base, uint64_t first,
                                          uint64_t count);
// Token shards (core/text/shard.h) read as one stream, in the given order. All must share a
// vocabulary. Each shard is verified first (checksum, every id below the vocabulary size), so a
// damaged shard is an error naming its path and byte offset, not silently wrong training. Fails
// when tinyllm_text is not part of the build.
Result<std::shared_ptr<TokenSource>> shard_source(const std::vector<std::filesystem::path>& files);

// Training and validation streams of a tokenizer's shard folder (core/text/vocab_learning.h):
// train_NNN.bin are training, val_NNN.bin validation, each in name order. Without a validation
// shard, the last `val_fraction` of the training tokens is held out.
struct DataSplit {
  std::shared_ptr<TokenSource> train;
  std::shared_ptr<TokenSource> val;
};
Result<DataSplit> open_data_folder(const std::filesystem::path& folder, double val_fraction);
// Splits one source into train (head) and val (tail).
DataSplit split_tail(std::shared_ptr<TokenSource> all, double val_fraction);

// Maps a global sequence index to its tokens.
class SequenceSampler {
 public:
  // Fails when the source has fewer than seq_len + 1 tokens.
  static Result<SequenceSampler> create(std::shared_ptr<TokenSource> source, int seq_len,
                                        uint64_t seed, bool shuffle);
  // Writes seq_len + 1 tokens of sequence k: inputs are [0, seq_len), targets [1, seq_len].
  Status read(uint64_t k, int64_t* out);
  uint64_t windows() const { return windows_; }
  int seq_len() const { return seq_len_; }

 private:
  std::shared_ptr<TokenSource> source_;
  int seq_len_ = 0;
  uint64_t seed_ = 0;
  bool shuffle_ = true;
  uint64_t windows_ = 0;
  uint64_t epoch_ = UINT64_MAX;  // the epoch `perm_` belongs to
  std::vector<uint64_t> perm_;
};

}  // namespace tinyllm::train
