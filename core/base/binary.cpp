#include "base/binary.h"

#include <sys/types.h>
#include <cerrno>

namespace tinyllm {
namespace fs = std::filesystem;

std::string hex_offset(uint64_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "@0x%llx", static_cast<unsigned long long>(offset));
  return buf;
}

std::string at_offset(const std::string& where, uint64_t offset) {
  return where + " " + hex_offset(offset);
}

Result<UniqueFile> open_for_reading(const fs::path& path) {
  UniqueFile file(std::fopen(path.c_str(), "rb"));
  if (!file) return make_error(path.string(), std::string("cannot open: ") + std::strerror(errno));
  return file;
}

std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b) {
  uint64_t out = 0;
  if (__builtin_mul_overflow(a, b, &out)) return std::nullopt;
  return out;
}

std::optional<uint64_t> checked_add(uint64_t a, uint64_t b) {
  uint64_t out = 0;
  if (__builtin_add_overflow(a, b, &out)) return std::nullopt;
  return out;
}

ByteReader::ByteReader(std::string_view bytes, std::string where)
    : where_(std::move(where)), memory_(bytes), end_(bytes.size()) {}

Result<ByteReader> ByteReader::open(const fs::path& path) {
  TINYLLM_TRY_ASSIGN(file, open_for_reading(path));
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return make_error(path.string(), "cannot read the file's size: " + ec.message());
  ByteReader r;
  r.where_ = path.string();
  r.file_ = std::shared_ptr<std::FILE>(file.release(), FileCloser{});
  r.end_ = size;
  return r;
}

Error ByteReader::error_at(uint64_t offset, const std::string& message) const {
  return make_error(at_offset(where_, offset), message);
}

Status ByteReader::seek(uint64_t offset) {
  if (offset > end_)
    return error("cannot go to offset " + std::to_string(offset) + ": the data ends at " +
                 std::to_string(end_));
  pos_ = offset;
  return {};
}

Status ByteReader::skip(uint64_t count, std::string_view what) {
  if (count > remaining())
    return error("expected " + std::to_string(count) + " bytes for '" + std::string(what) + "', " +
                 std::to_string(remaining()) + " left");
  pos_ += count;
  return {};
}

Result<ByteReader> ByteReader::slice(uint64_t length, std::string_view what) {
  const uint64_t start = pos_;
  TINYLLM_TRY(skip(length, what));
  ByteReader sub = *this;
  sub.pos_ = start;
  sub.end_ = start + length;  // cannot overflow: skip checked it against end_
  return sub;
}

Status ByteReader::limit(uint64_t new_end) {
  if (new_end < pos_ || new_end > end_)
    return error("cannot limit the data to offset " + std::to_string(new_end) + " (now at " +
                 std::to_string(pos_) + ", data ends at " + std::to_string(end_) + ")");
  end_ = new_end;
  return {};
}

Status ByteReader::raw(void* dst, uint64_t count, std::string_view what) {
  if (count > remaining())
    return error("expected " + std::to_string(count) + " bytes for '" + std::string(what) + "', " +
                 std::to_string(remaining()) + " left");
  if (count == 0) return {};
  if (!file_) {
    std::memcpy(dst, memory_.data() + pos_, static_cast<size_t>(count));
  } else if (::fseeko(file_.get(), static_cast<off_t>(pos_), SEEK_SET) != 0 ||
             std::fread(dst, 1, static_cast<size_t>(count), file_.get()) != count) {
    // The size was checked, so the file shrank or the disk failed.
    return error("cannot read " + std::to_string(count) + " bytes for '" + std::string(what) +
                 "' (the file changed while reading, or a disk error)");
  }
  pos_ += count;
  return {};
}

Result<std::string> ByteReader::string(uint64_t length, std::string_view what) {
  if (length > remaining())
    return error("'" + std::string(what) + "' is " + std::to_string(length) + " bytes long, " +
                 std::to_string(remaining()) + " left");
  std::string out(static_cast<size_t>(length), '\0');
  TINYLLM_TRY(raw(out.data(), length, what));
  return out;
}

Result<std::string> ByteReader::string_u64(std::string_view what) {
  const uint64_t start = pos_;
  TINYLLM_TRY_ASSIGN(length, u64(what));
  auto text = string(length, what);
  if (!text) pos_ = start;
  return text;
}

Status ByteReader::expect_magic(std::string_view magic, std::string_view what_file) {
  const uint64_t start = pos_;
  std::string found(magic.size(), '\0');
  if (magic.size() > remaining() || !raw(found.data(), found.size(), "magic").ok() ||
      found != magic) {
    pos_ = start;
    return error("not a " + std::string(what_file) + " (no \"" + std::string(magic) +
                 "\" here: the file is damaged or of another kind)");
  }
  return {};
}

Result<ByteWriter> ByteWriter::create(const fs::path& path) {
  TINYLLM_TRY_ASSIGN(file, AtomicFile::create(path));
  return ByteWriter(std::move(file));
}

void ByteWriter::raw(const void* data, size_t count) {
  if (!status_.ok() || count == 0) return;
  constexpr size_t kFlushBytes = 1 << 16;
  if (file_ && count >= kFlushBytes) {  // large arrays go straight to the file
    flush();
    if (!status_.ok()) return;
    status_ = file_->write(data, count);
    flushed_ += count;
    return;
  }
  buffer_.append(static_cast<const char*>(data), count);
  if (file_ && buffer_.size() >= kFlushBytes) flush();
}

void ByteWriter::string_u64(std::string_view text) {
  u64(text.size());
  raw(text);
}

void ByteWriter::flush() {
  if (!file_ || buffer_.empty() || !status_.ok()) return;
  status_ = file_->write(buffer_);
  flushed_ += buffer_.size();
  buffer_.clear();
}

Status ByteWriter::commit() {
  if (!file_) return make_error("ByteWriter", "internal: commit() of an in-memory writer");
  flush();
  TINYLLM_TRY(status_);
  return file_->commit();
}

}  // namespace tinyllm
