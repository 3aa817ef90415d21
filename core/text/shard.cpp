#include "text/shard.h"

#include <sys/types.h>
#include <cerrno>
#include <cstring>

#include "text/tokenizer.h"

namespace tinyllm::text {
namespace {

constexpr size_t kBufferBytes = 64 * 1024;

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void put_u64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i)
    p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= uint32_t(p[i]) << (8 * i);
  return v;
}
uint64_t get_u64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i)
    v |= uint64_t(p[i]) << (8 * i);
  return v;
}

// fseeko takes a 64-bit offset even on 32-bit targets (armhf).
bool seek(std::FILE* file, uint64_t offset) {
  return ::fseeko(file, static_cast<off_t>(offset), SEEK_SET) == 0;
}

std::string at(const std::filesystem::path& path, uint64_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, " @0x%llx", static_cast<unsigned long long>(offset));
  return path.string() + buf;
}

}  // namespace

Result<ShardWriter> ShardWriter::create(const std::filesystem::path& path, uint32_t vocab_size,
                                        int32_t separator_id, uint64_t tokenizer_fingerprint) {
  if (vocab_size == 0) return make_error(path.string(), "shard: vocabulary size 0");
  if (separator_id >= 0 && static_cast<uint32_t>(separator_id) >= vocab_size)
    return make_error(path.string(), "shard: separator id " + std::to_string(separator_id) +
                                         " is outside the vocabulary");
  TINYLLM_TRY_ASSIGN(file, AtomicFile::create(path));
  ShardInfo info;
  info.token_bytes = vocab_size <= 65536 ? 2 : 4;
  info.vocab_size = vocab_size;
  info.separator_id = separator_id < 0 ? -1 : separator_id;
  info.tokenizer_fingerprint = tokenizer_fingerprint;
  info.checksum = fnv1a64(nullptr, 0);
  uint8_t header[kShardHeaderSize] = {};
  std::memcpy(header, kShardMagic, 8);
  put_u32(header + 8, kShardVersion);
  put_u32(header + 12, info.token_bytes);
  put_u32(header + 16, info.vocab_size);
  put_u32(header + 20, static_cast<uint32_t>(info.separator_id));
  put_u64(header + 24, info.tokenizer_fingerprint);
  TINYLLM_TRY(file.write(header, sizeof header));
  ShardWriter writer(std::move(file), info);
  writer.buffer_.reserve(kBufferBytes);
  return writer;
}

Status ShardWriter::write_document(const int32_t* ids, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (ids[i] < 0 || static_cast<uint32_t>(ids[i]) >= info_.vocab_size)
      return make_error(file_.target().string(),
                        "shard: token id " + std::to_string(ids[i]) + " in document " +
                            std::to_string(info_.document_count) + " is outside the vocabulary (" +
                            std::to_string(info_.vocab_size) + ")");
  auto put = [&](uint32_t id) -> Status {
    if (buffer_.size() + 4 > kBufferBytes) TINYLLM_TRY(flush());
    for (uint32_t b = 0; b < info_.token_bytes; ++b)
      buffer_.push_back(static_cast<uint8_t>(id >> (8 * b)));
    return {};
  };
  if (info_.separator_id >= 0) TINYLLM_TRY(put(static_cast<uint32_t>(info_.separator_id)));
  for (size_t i = 0; i < count; ++i)
    TINYLLM_TRY(put(static_cast<uint32_t>(ids[i])));
  info_.token_count += count + (info_.separator_id >= 0 ? 1 : 0);
  ++info_.document_count;
  return {};
}

Status ShardWriter::flush() {
  if (buffer_.empty()) return {};
  info_.checksum = fnv1a64(buffer_.data(), buffer_.size(), info_.checksum);
  TINYLLM_TRY(file_.write(buffer_.data(), buffer_.size()));
  buffer_.clear();
  return {};
}

Status ShardWriter::commit() {
  TINYLLM_TRY(flush());
  uint8_t trailer[kShardTrailerSize] = {};
  put_u64(trailer + 0, info_.token_count);
  put_u64(trailer + 8, info_.document_count);
  put_u64(trailer + 16, info_.checksum);
  std::memcpy(trailer + 24, kShardEndMagic, 8);
  TINYLLM_TRY(file_.write(trailer, sizeof trailer));
  return file_.commit();
}

Result<ShardReader> ShardReader::open(const std::filesystem::path& path) {
  ShardReader r;
  r.path_ = path;
  r.file_.reset(std::fopen(path.c_str(), "rb"));
  if (!r.file_)
    return make_error(path.string(), std::string("cannot open shard: ") + std::strerror(errno));
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(path.string(), "cannot read the shard's size: " + ec.message());
  if (size < kShardHeaderSize + kShardTrailerSize)
    return make_error(at(path, 0), "shard is " + std::to_string(size) +
                                       " bytes, shorter than its " +
                                       std::to_string(kShardHeaderSize + kShardTrailerSize) +
                                       "-byte header and trailer (truncated?)");
  uint8_t header[kShardHeaderSize], trailer[kShardTrailerSize];
  if (std::fread(header, 1, sizeof header, r.file_.get()) != sizeof header)
    return make_error(at(path, 0), "cannot read the shard header");
  if (std::memcmp(header, kShardMagic, 8) != 0)
    return make_error(at(path, 0), "not a token shard (magic is not TLLMTOK1)");
  const uint32_t version = get_u32(header + 8);
  if (version != kShardVersion)
    return make_error(at(path, 8), "shard version " + std::to_string(version) + ", expected " +
                                       std::to_string(kShardVersion) +
                                       " (re-run `tinyllm tokenizer train` to rewrite it)");
  ShardInfo& info = r.info_;
  info.token_bytes = get_u32(header + 12);
  if (info.token_bytes != 2 && info.token_bytes != 4)
    return make_error(at(path, 12),
                      "bytes per token " + std::to_string(info.token_bytes) + ", expected 2 or 4");
  info.vocab_size = get_u32(header + 16);
  info.separator_id = static_cast<int32_t>(get_u32(header + 20));
  info.tokenizer_fingerprint = get_u64(header + 24);
  if (!seek(r.file_.get(), size - kShardTrailerSize) ||
      std::fread(trailer, 1, sizeof trailer, r.file_.get()) != sizeof trailer)
    return make_error(at(path, size - kShardTrailerSize), "cannot read the shard trailer");
  if (std::memcmp(trailer + 24, kShardEndMagic, 8) != 0)
    return make_error(at(path, size - 8),
                      "shard trailer magic missing (truncated or still being written?)");
  info.token_count = get_u64(trailer + 0);
  info.document_count = get_u64(trailer + 8);
  info.checksum = get_u64(trailer + 16);
  const uint64_t expected = kShardHeaderSize + kShardTrailerSize;
  if (info.token_count > (size - expected) / info.token_bytes ||
      expected + info.token_count * info.token_bytes != size)
    return make_error(at(path, size - kShardTrailerSize),
                      "trailer says " + std::to_string(info.token_count) + " tokens of " +
                          std::to_string(info.token_bytes) + " bytes, but the file is " +
                          std::to_string(size) + " bytes");
  return r;
}

Status ShardReader::read(uint64_t first, size_t count, std::vector<uint32_t>& out) {
  if (first > info_.token_count || count > info_.token_count - first)
    return make_error(path_.string(), "shard: tokens [" + std::to_string(first) + ", " +
                                          std::to_string(first + count) + ") are past the end (" +
                                          std::to_string(info_.token_count) + " tokens)");
  const uint64_t offset = kShardHeaderSize + first * info_.token_bytes;
  buffer_.resize(count * info_.token_bytes);
  if (!seek(file_.get(), offset) ||
      std::fread(buffer_.data(), 1, buffer_.size(), file_.get()) != buffer_.size())
    return make_error(at(path_, offset), "cannot read " + std::to_string(count) + " tokens");
  out.resize(count);
  const uint8_t* p = buffer_.data();
  if (info_.token_bytes == 2) {
    for (size_t i = 0; i < count; ++i)
      out[i] = uint32_t(p[2 * i]) | uint32_t(p[2 * i + 1]) << 8;
  } else {
    for (size_t i = 0; i < count; ++i)
      out[i] = get_u32(p + 4 * i);
  }
  return {};
}

Status ShardReader::verify_checksum() {
  uint64_t hash = fnv1a64(nullptr, 0);
  uint64_t left = info_.token_count * info_.token_bytes;
  if (!seek(file_.get(), kShardHeaderSize))
    return make_error(path_.string(), "cannot seek in the shard");
  buffer_.resize(kBufferBytes);
  while (left > 0) {
    const size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, buffer_.size()));
    if (std::fread(buffer_.data(), 1, chunk, file_.get()) != chunk)
      return make_error(path_.string(), "cannot read the shard's tokens");
    hash = fnv1a64(buffer_.data(), chunk, hash);
    left -= chunk;
  }
  if (hash != info_.checksum)
    return make_error(path_.string(), "shard checksum mismatch: the tokens are corrupt");
  return {};
}

}  // namespace tinyllm::text
