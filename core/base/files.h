// Files written so that nothing is lost: every write goes to a temporary file in the same folder,
// is flushed to disk, and only then renamed over the target. A crash or a full disk leaves either
// the old file or the new one, never half of either.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tinyllm {

// Streams data into `target` atomically. Nothing is visible at `target` until commit() succeeds;
// destroying an uncommitted AtomicFile removes the temporary file.
class AtomicFile {
 public:
  static Result<AtomicFile> create(const std::filesystem::path& target);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  Status write(std::string_view bytes);
  Status write(const void* data, size_t size);
  uint64_t bytes_written() const { return written_; }
  // Flushes, fsyncs and renames over the target; the object is closed afterwards.
  Status commit();
  const std::filesystem::path& target() const { return target_; }

 private:
  AtomicFile() = default;
  void discard();

  std::filesystem::path target_;
  std::filesystem::path temp_;
  std::FILE* file_ = nullptr;
  uint64_t written_ = 0;
};

// The process id in the name of a temporary file or folder that an atomic write makes next to
// its target (".NAME.tmp-PID-N"; checkpoints and tokenizers use ".NAME.tmp-PID", ".new-PID",
// ".old-PID"), or nothing when `name` is not one of ours. Used to clean up after a crash.
std::optional<long> temp_file_owner(std::string_view name);

// Writes a whole file atomically.
Status write_file_atomic(const std::filesystem::path& target, std::string_view bytes);

// Reads a whole file; the error names the path and the reason.
Result<std::string> read_file(const std::filesystem::path& path);

// Hex SHA-256 of a file's bytes, streamed.
Result<std::string> sha256_file(const std::filesystem::path& path);
std::string sha256_hex(std::string_view bytes);

// Current UTC time as ISO 8601, e.g. "2026-11-29T03:41:03Z".
std::string utc_now_iso8601();

}  // namespace tinyllm
