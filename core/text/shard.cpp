#include "text/shard.h"

#include <algorithm>

#include "text/tokenizer.h"

namespace tinyllm::text {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;

}  // namespace

Result<ShardWriter> ShardWriter::create(const std::filesystem::path& path, uint32_t vocab_size,
                                        int32_t separator_id, uint64_t tokenizer_fingerprint) {
  if (vocab_size == 0) return make_error(path.string(), "shard: vocabulary size 0");
  if (separator_id >= 0 && static_cast<uint32_t>(separator_id) >= vocab_size)
    return make_error(path.string(), "shard: separator id " + std::to_string(separator_id) +
                                         " is outside the vocabulary");
  TINYLLM_TRY_ASSIGN(file, ByteWriter::create(path));
  ShardInfo info;
  info.token_bytes = vocab_size <= 65536 ? 2 : 4;
  info.vocab_size = vocab_size;
  info.separator_id = separator_id < 0 ? -1 : separator_id;
  info.tokenizer_fingerprint = tokenizer_fingerprint;
  info.checksum = fnv1a64(nullptr, 0);
  file.raw(kShardMagic, 8);
  file.u32(kShardVersion);
  file.u32(info.token_bytes);
  file.u32(info.vocab_size);
  file.i32(info.separator_id);
  file.u64(info.tokenizer_fingerprint);
  ShardWriter writer(std::move(file), path, info);
  writer.buffer_.reserve(kBufferBytes);
  return writer;
}

Status ShardWriter::write_document(const int32_t* ids, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (ids[i] < 0 || static_cast<uint32_t>(ids[i]) >= info_.vocab_size)
      return make_error(path_.string(), "shard: token id " + std::to_string(ids[i]) +
                                            " in document " + std::to_string(info_.document_count) +
                                            " is outside the vocabulary (" +
                                            std::to_string(info_.vocab_size) + ")");
  auto put = [&](uint32_t id) {
    if (buffer_.size() + 4 > kBufferBytes) flush();
    for (uint32_t b = 0; b < info_.token_bytes; ++b)
      buffer_.push_back(static_cast<uint8_t>(id >> (8 * b)));
  };
  if (info_.separator_id >= 0) put(static_cast<uint32_t>(info_.separator_id));
  for (size_t i = 0; i < count; ++i)
    put(static_cast<uint32_t>(ids[i]));
  info_.token_count += count + (info_.separator_id >= 0 ? 1 : 0);
  ++info_.document_count;
  return {};
}

void ShardWriter::flush() {
  if (buffer_.empty()) return;
  info_.checksum = fnv1a64(buffer_.data(), buffer_.size(), info_.checksum);
  file_.raw(buffer_.data(), buffer_.size());
  buffer_.clear();
}

Status ShardWriter::commit() {
  flush();
  file_.u64(info_.token_count);
  file_.u64(info_.document_count);
  file_.u64(info_.checksum);
  file_.raw(kShardEndMagic, 8);
  return file_.commit();
}

Result<ShardReader> ShardReader::open(const std::filesystem::path& path) {
  TINYLLM_TRY_ASSIGN(reader, ByteReader::open(path));
  const uint64_t size = reader.end();
  if (size < kShardHeaderSize + kShardTrailerSize)
    return reader.error_at(0, "shard is " + std::to_string(size) + " bytes, shorter than its " +
                                  std::to_string(kShardHeaderSize + kShardTrailerSize) +
                                  "-byte header and trailer (truncated?)");
  TINYLLM_TRY(reader.expect_magic(std::string_view(kShardMagic, 8), "token shard"));
  TINYLLM_TRY_ASSIGN(version, reader.u32("version"));
  if (version != kShardVersion)
    return reader.error_at(8, "shard version " + std::to_string(version) + ", expected " +
                                  std::to_string(kShardVersion) +
                                  " (re-run `tinyllm tokenizer train` to rewrite it)");
  ShardInfo info;
  TINYLLM_TRY_ASSIGN(token_bytes, reader.u32("bytes per token"));
  info.token_bytes = token_bytes;
  if (info.token_bytes != 2 && info.token_bytes != 4)
    return reader.error_at(
        12, "bytes per token " + std::to_string(info.token_bytes) + ", expected 2 or 4");
  TINYLLM_TRY_ASSIGN(vocab_size, reader.u32("vocabulary size"));
  TINYLLM_TRY_ASSIGN(separator_id, reader.i32("separator id"));
  TINYLLM_TRY_ASSIGN(fingerprint, reader.u64("tokenizer fingerprint"));
  info.vocab_size = vocab_size;
  info.separator_id = separator_id;
  info.tokenizer_fingerprint = fingerprint;
  if (info.vocab_size == 0 || info.separator_id < -1 ||
      (info.separator_id >= 0 && uint32_t(info.separator_id) >= info.vocab_size))
    return reader.error_at(16, "vocabulary size " + std::to_string(info.vocab_size) +
                                   " and separator id " + std::to_string(info.separator_id) +
                                   " are impossible: the header is damaged");
  TINYLLM_TRY(reader.seek(size - kShardTrailerSize));
  TINYLLM_TRY_ASSIGN(token_count, reader.u64("token count"));
  TINYLLM_TRY_ASSIGN(document_count, reader.u64("document count"));
  TINYLLM_TRY_ASSIGN(checksum, reader.u64("checksum"));
  if (!reader.expect_magic(std::string_view(kShardEndMagic, 8), "token shard").ok())
    return reader.error_at(size - 8,
                           "shard trailer magic missing (truncated or still being written?)");
  info.token_count = token_count;
  info.document_count = document_count;
  info.checksum = checksum;
  const uint64_t token_space = size - kShardHeaderSize - kShardTrailerSize;
  if (info.token_count > token_space / info.token_bytes ||
      info.token_count * info.token_bytes != token_space)
    return reader.error_at(size - kShardTrailerSize,
                           "trailer says " + std::to_string(info.token_count) + " tokens of " +
                               std::to_string(info.token_bytes) + " bytes, but the file is " +
                               std::to_string(size) + " bytes");
  TINYLLM_TRY(reader.seek(kShardHeaderSize));
  TINYLLM_TRY(reader.limit(size - kShardTrailerSize));
  ShardReader r;
  r.path_ = path;
  r.reader_ = std::move(reader);
  r.info_ = info;
  return r;
}

Status ShardReader::read(uint64_t first, size_t count, std::vector<uint32_t>& out) {
  if (first > info_.token_count || count > info_.token_count - first)
    return make_error(path_.string(), "shard: tokens [" + std::to_string(first) + ", " +
                                          std::to_string(first + count) + ") are past the end (" +
                                          std::to_string(info_.token_count) + " tokens)");
  TINYLLM_TRY(reader_->seek(kShardHeaderSize + first * info_.token_bytes));
  if (info_.token_bytes == 2) {
    TINYLLM_TRY(reader_->array(buffer16_, count, "tokens"));
    out.assign(buffer16_.begin(), buffer16_.end());
  } else {
    TINYLLM_TRY(reader_->array(out, count, "tokens"));
  }
  return {};
}

Status ShardReader::verify() {
  uint64_t hash = fnv1a64(nullptr, 0);
  TINYLLM_TRY(reader_->seek(kShardHeaderSize));
  const uint64_t chunk_tokens = kBufferBytes / info_.token_bytes;
  for (uint64_t first = 0; first < info_.token_count; first += chunk_tokens) {
    const uint64_t n = std::min<uint64_t>(chunk_tokens, info_.token_count - first);
    const uint64_t at = reader_->offset();
    TINYLLM_TRY_ASSIGN(bytes, reader_->string(n * info_.token_bytes, "tokens"));
    hash = fnv1a64(bytes.data(), bytes.size(), hash);
    const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
    for (uint64_t i = 0; i < n; ++i) {
      const uint32_t id = info_.token_bytes == 2 ? binary_detail::load_le<uint16_t>(p + 2 * i)
                                                 : binary_detail::load_le<uint32_t>(p + 4 * i);
      if (id >= info_.vocab_size)
        return reader_->error_at(at + i * info_.token_bytes,
                                 "token " + std::to_string(first + i) + " has id " +
                                     std::to_string(id) + ", outside the vocabulary of " +
                                     std::to_string(info_.vocab_size) +
                                     ": the shard is damaged (re-run `tinyllm tokenizer train`)");
    }
  }
  if (hash != info_.checksum)
    return reader_->error_at(kShardHeaderSize,
                             "the token data does not match the shard's checksum: the shard is "
                             "damaged (re-run `tinyllm tokenizer train`)");
  return {};
}

}  // namespace tinyllm::text
