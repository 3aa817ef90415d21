// Token shards: the token ids of many documents in one file, written by the tokenizer step and
// read by the trainer (which must not link libsentencepiece, so this is part of tinyllm_text).
//
// Byte layout, all integers little-endian:
//   1. Header, 32 bytes:
//        0  char[8] magic "TLLMTOK1"
//        8  u32     version (1)
//       12  u32     bytes per token: 2 (uint16) when the vocabulary has at most 65536 ids, else 4
//       16  u32     vocabulary size; every token is below it
//       20  i32     document separator id (-1: none); it precedes every document, the first too
//       24  u64     tokenizer fingerprint (FNV-1a 64 of the .model file's bytes)
//   2. Tokens: token_count values of the width given in the header.
//   3. Trailer, 32 bytes:
//        0  u64     token_count (separators included)
//        8  u64     document_count
//       16  u64     checksum: FNV-1a 64 of the token bytes (section 2)
//       24  char[8] magic "TLLMEND1"
// The counts sit in a trailer so that a shard streams to disk in one pass (through AtomicFile:
// nothing is visible until it is complete). A reader checks both magics, the version and that
// the file size is exactly 32 + token_count * width + 32, so a truncated file is always caught.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/binary.h"
#include "base/result.h"

namespace tinyllm::text {

inline constexpr char kShardMagic[8] = {'T', 'L', 'L', 'M', 'T', 'O', 'K', '1'};
inline constexpr char kShardEndMagic[8] = {'T', 'L', 'L', 'M', 'E', 'N', 'D', '1'};
inline constexpr uint32_t kShardVersion = 1;
inline constexpr size_t kShardHeaderSize = 32;
inline constexpr size_t kShardTrailerSize = 32;

struct ShardInfo {
  uint32_t token_bytes = 2;
  uint32_t vocab_size = 0;
  int32_t separator_id = -1;
  uint64_t tokenizer_fingerprint = 0;
  uint64_t token_count = 0;
  uint64_t document_count = 0;
  uint64_t checksum = 0;
};

// Streams documents into a shard file. Memory use is a fixed 64 KiB buffer.
class ShardWriter {
 public:
  static Result<ShardWriter> create(const std::filesystem::path& path, uint32_t vocab_size,
                                    int32_t separator_id, uint64_t tokenizer_fingerprint);
  // Writes the separator (if any) and then the document's ids; an id outside the vocabulary
  // is an error and leaves nothing written.
  Status write_document(const int32_t* ids, size_t count);
  Status write_document(const std::vector<int32_t>& ids) {
    return write_document(ids.data(), ids.size());
  }
  // Writes the trailer and renames the file into place.
  Status commit();
  const ShardInfo& info() const { return info_; }

 private:
  ShardWriter(ByteWriter file, std::filesystem::path path, ShardInfo info)
      : file_(std::move(file)), path_(std::move(path)), info_(info) {}
  void flush();

  ByteWriter file_;
  std::filesystem::path path_;
  ShardInfo info_;
  std::vector<uint8_t> buffer_;
};

// Reads a shard: open() validates the header, trailer and size; tokens are read in ranges so
// that a large shard never has to be in memory at once.
class ShardReader {
 public:
  static Result<ShardReader> open(const std::filesystem::path& path);
  const ShardInfo& info() const { return info_; }
  // Reads tokens [first, first + count) into `out` (resized to count).
  Status read(uint64_t first, size_t count, std::vector<uint32_t>& out);
  // Streams through all tokens once: every id must be below the vocabulary size (the error gives
  // the offset of the first that is not) and the checksum must match the trailer's. The trainer
  // runs this on every shard before it starts, so a damaged shard never trains silently.
  Status verify();

 private:
  ShardReader() = default;
  std::filesystem::path path_;
  std::optional<ByteReader> reader_;  // limited to the token section
  ShardInfo info_;
  std::vector<uint16_t> buffer16_;
};

}  // namespace tinyllm::text
