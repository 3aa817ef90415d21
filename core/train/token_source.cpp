#include "train/token_source.h"

#include <algorithm>

#include "base/random.h"
#include "text/shard.h"

namespace tinyllm::train {
namespace fs = std::filesystem;
namespace {

class MemorySource : public TokenSource {
 public:
  MemorySource(std::vector<int32_t> tokens, int vocab)
      : tokens_(std::move(tokens)), vocab_(vocab) {}
  uint64_t size() const override { return tokens_.size(); }
  int vocab_size() const override { return vocab_; }
  Status read(uint64_t first, size_t count, int64_t* out) override {
    if (first + count > tokens_.size()) return make_error("memory tokens", "read past the end");
    for (size_t i = 0; i < count; ++i)
      out[i] = tokens_[first + i];
    return {};
  }
  std::string describe() const override {
    return std::to_string(tokens_.size()) + " tokens in memory";
  }

 private:
  std::vector<int32_t> tokens_;
  int vocab_;
};

class SliceSource : public TokenSource {
 public:
  SliceSource(std::shared_ptr<TokenSource> base, uint64_t first, uint64_t count)
      : base_(std::move(base)), first_(first), count_(count) {}
  uint64_t size() const override { return count_; }
  int vocab_size() const override { return base_->vocab_size(); }
  Status read(uint64_t first, size_t count, int64_t* out) override {
    if (first + count > count_) return make_error(describe(), "read past the end");
    return base_->read(first_ + first, count, out);
  }
  std::string describe() const override {
    return base_->describe() + " [" + std::to_string(first_) + ", +" + std::to_string(count_) + ")";
  }

 private:
  std::shared_ptr<TokenSource> base_;
  uint64_t first_, count_;
};

class ShardSource : public TokenSource {
 public:
  Status add(const fs::path& path) {
    TINYLLM_TRY_ASSIGN(reader, text::ShardReader::open(path));
    // One pass over the tokens before training: a damaged id would otherwise train silently
    // (or fail deep in libtorch with "index out of range in self").
    TINYLLM_TRY(reader.verify());
    if (!readers_.empty() && reader.info().vocab_size != readers_[0].info().vocab_size)
      return make_error(path.string(), "vocabulary size " +
                                           std::to_string(reader.info().vocab_size) +
                                           " differs from the first shard's " +
                                           std::to_string(readers_[0].info().vocab_size));
    starts_.push_back(total_);
    total_ += reader.info().token_count;
    names_ += (names_.empty() ? "" : ", ") + path.filename().string();
    readers_.push_back(std::move(reader));
    return {};
  }
  uint64_t size() const override { return total_; }
  int vocab_size() const override {
    return readers_.empty() ? 0 : int(readers_[0].info().vocab_size);
  }
  Status read(uint64_t first, size_t count, int64_t* out) override {
    while (count > 0) {
      size_t i = std::upper_bound(starts_.begin(), starts_.end(), first) - starts_.begin() - 1;
      const uint64_t local = first - starts_[i];
      const size_t n = size_t(std::min<uint64_t>(count, readers_[i].info().token_count - local));
      TINYLLM_TRY(readers_[i].read(local, n, buffer_));
      for (size_t j = 0; j < n; ++j)
        out[j] = buffer_[j];
      out += n;
      first += n;
      count -= n;
    }
    return {};
  }
  std::string describe() const override { return std::to_string(total_) + " tokens in " + names_; }

 private:
  std::vector<text::ShardReader> readers_;
  std::vector<uint64_t> starts_;
  uint64_t total_ = 0;
  std::string names_;
  std::vector<uint32_t> buffer_;
};

}  // namespace

std::shared_ptr<TokenSource> memory_source(std::vector<int32_t> tokens, int vocab_size) {
  return std::make_shared<MemorySource>(std::move(tokens), vocab_size);
}

std::shared_ptr<TokenSource> slice_source(std::shared_ptr<TokenSource> base, uint64_t first,
                                          uint64_t count) {
  return std::make_shared<SliceSource>(std::move(base), first, count);
}

Result<std::shared_ptr<TokenSource>> shard_source(const std::vector<fs::path>& files) {
  auto source = std::make_shared<ShardSource>();
  for (const auto& f : files)
    TINYLLM_TRY(source->add(f));
  return std::shared_ptr<TokenSource>(source);
}

std::shared_ptr<TokenSource> synthetic_source(uint64_t tokens, int vocab_size, uint64_t seed) {
  // Documents of 64 tokens: a random start, then a fixed affine walk with occasional noise.
  // A model can learn the walk (loss well below ln(vocab)) but not the starts or the noise.
  std::vector<int32_t> t(tokens);
  uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
  auto next = [&state] {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return uint32_t(state >> 33);
  };
  const uint32_t V = uint32_t(vocab_size);
  for (uint64_t i = 0; i < tokens; ++i) {
    if (i % 64 == 0) {
      t[i] = int32_t(next() % V);
    } else {
      uint32_t v = (uint32_t(t[i - 1]) * 5 + 3) % V;
      if (next() % 8 == 0) v = (v + 1 + next() % 3) % V;
      t[i] = int32_t(v);
    }
  }
  return memory_source(std::move(t), vocab_size);
}

DataSplit split_tail(std::shared_ptr<TokenSource> all, double val_fraction) {
  const uint64_t n = all->size();
  const uint64_t val = uint64_t(double(n) * std::clamp(val_fraction, 0.0, 0.9));
  return {slice_source(all, 0, n - val), slice_source(all, n - val, val)};
}

Result<DataSplit> open_data_folder(const fs::path& folder, double val_fraction) {
  std::error_code ec;
  if (!fs::is_directory(folder, ec))
    return make_error(folder.string(),
                      "no token shards here; run the tokenizer step first (tinyllm tokenizer)");
  std::vector<fs::path> train, val;
  for (const auto& entry : fs::directory_iterator(folder, ec)) {
    const std::string name = entry.path().filename().string();
    if (!entry.is_regular_file() || entry.path().extension() != ".bin") continue;
    if (name.rfind("train_", 0) == 0) train.push_back(entry.path());
    if (name.rfind("val_", 0) == 0) val.push_back(entry.path());
  }
  std::sort(train.begin(), train.end());
  std::sort(val.begin(), val.end());
  if (train.empty())
    return make_error(folder.string(), "no training shards (train_*.bin) in this folder");
  TINYLLM_TRY_ASSIGN(train_source, shard_source(train));
  if (val.empty()) return split_tail(train_source, val_fraction);
  TINYLLM_TRY_ASSIGN(val_source, shard_source(val));
  if (val_source->vocab_size() != train_source->vocab_size())
    return make_error(val.front().string(), "vocabulary size " +
                                                std::to_string(val_source->vocab_size()) +
                                                " differs from the training shards' " +
                                                std::to_string(train_source->vocab_size()) +
                                                " (re-run `tinyllm tokenizer train`)");
  return DataSplit{train_source, val_source};
}

Result<SequenceSampler> SequenceSampler::create(std::shared_ptr<TokenSource> source, int seq_len,
                                                uint64_t seed, bool shuffle) {
  if (seq_len <= 0 || source->size() < uint64_t(seq_len) + 1)
    return make_error(source->describe(),
                      "needs at least seq_len + 1 = " + std::to_string(seq_len + 1) + " tokens");
  SequenceSampler s;
  s.source_ = std::move(source);
  s.seq_len_ = seq_len;
  s.seed_ = seed;
  s.shuffle_ = shuffle;
  s.windows_ = (s.source_->size() - 1) / uint64_t(seq_len);
  return s;
}

Status SequenceSampler::read(uint64_t k, int64_t* out) {
  const uint64_t epoch = k / windows_;
  uint64_t window = k % windows_;
  if (shuffle_) {
    if (epoch != epoch_) {
      // Fisher-Yates with splitmix64, so the order is the same on every platform and library.
      perm_.resize(windows_);
      for (uint64_t i = 0; i < windows_; ++i)
        perm_[i] = i;
      SplitMix64 rng(seed_ * kSplitMixGamma + epoch + 1);
      for (uint64_t i = windows_ - 1; i > 0; --i)
        std::swap(perm_[i], perm_[rng.below(i + 1)]);
      epoch_ = epoch;
    }
    window = perm_[window];
  }
  return source_->read(window * uint64_t(seq_len_), size_t(seq_len_) + 1, out);
}

}  // namespace tinyllm::train
