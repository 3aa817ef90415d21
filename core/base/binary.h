// Little-endian binary files, read with every access bounds-checked and written atomically.
//
// One reader and one writer for every binary format of the project (series stores, token shards,
// safetensors, SentencePiece models, GGUF), so that a damaged file is always a clear Error naming
// the file, the byte offset and the field, e.g.
//   "tok.bin @0x1a40: expected 8 bytes for 'n_tensors', 3 left"
// and never a crash, an exception or a huge allocation. Counts read from a file are checked
// against the bytes left before anything is allocated; size arithmetic is overflow-checked.
// Plain C++17 (the edge runtime links it); assumes nothing about the host's byte order.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "base/files.h"
#include "base/result.h"

namespace tinyllm {

// "@0x1a40": how byte offsets appear in errors.
std::string hex_offset(uint64_t offset);
// "path @0x1a40": the `where` of an Error about a byte in a file.
std::string at_offset(const std::string& where, uint64_t offset);

// Closes a FILE* when its owner goes away.
struct FileCloser {
  void operator()(std::FILE* file) const {
    if (file) std::fclose(file);
  }
};
using UniqueFile = std::unique_ptr<std::FILE, FileCloser>;

// Opens `path` for reading; the error names the path and the reason.
Result<UniqueFile> open_for_reading(const std::filesystem::path& path);

// a * b and a + b, or nullopt when the result does not fit 64 bits.
std::optional<uint64_t> checked_mul(uint64_t a, uint64_t b);
std::optional<uint64_t> checked_add(uint64_t a, uint64_t b);

namespace binary_detail {
constexpr bool kLittleEndianHost = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__;
template <class T>
constexpr bool kPlainNumber =
    std::is_arithmetic_v<T> && !std::is_same_v<T, bool> &&
    (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);
// The value of sizeof(T) little-endian bytes at `p`.
template <class T>
T load_le(const uint8_t* p) {
  static_assert(kPlainNumber<T>);
  T value;
  if constexpr (kLittleEndianHost) {
    std::memcpy(&value, p, sizeof(T));
  } else {
    uint8_t swapped[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i)
      swapped[i] = p[sizeof(T) - 1 - i];
    std::memcpy(&value, swapped, sizeof(T));
  }
  return value;
}
template <class T>
void store_le(T value, uint8_t* p) {
  static_assert(kPlainNumber<T>);
  std::memcpy(p, &value, sizeof(T));
  if constexpr (!kLittleEndianHost)
    for (size_t i = 0; i < sizeof(T) / 2; ++i)
      std::swap(p[i], p[sizeof(T) - 1 - i]);
}
}  // namespace binary_detail

// Reads little-endian values from bytes in memory or from a file, at a current offset. Every read
// checks that the bytes are there (before the reader's end) and fails with the offset otherwise;
// a failed read leaves the offset where it was. Copies share the file but not the offset (each
// read positions the file itself), so a copy is a cheap independent cursor.
class ByteReader {
 public:
  // Over `bytes` (not owned: they must outlive the reader). `where` names them in errors.
  ByteReader(std::string_view bytes, std::string where);
  // Over a whole file.
  static Result<ByteReader> open(const std::filesystem::path& path);

  const std::string& where() const { return where_; }
  uint64_t offset() const { return pos_; }
  uint64_t end() const { return end_; }
  uint64_t remaining() const { return end_ - pos_; }
  bool at_end() const { return pos_ >= end_; }

  // Moves to an absolute offset in [0, end()].
  Status seek(uint64_t offset);
  Status skip(uint64_t count, std::string_view what);
  // A reader over the next `length` bytes (offsets stay absolute); this one moves past them.
  Result<ByteReader> slice(uint64_t length, std::string_view what);
  // Limits this reader to [offset(), new_end): reads past it fail as if the data ended there.
  Status limit(uint64_t new_end);

  Result<uint8_t> u8(std::string_view what) { return number<uint8_t>(what); }
  Result<uint16_t> u16(std::string_view what) { return number<uint16_t>(what); }
  Result<uint32_t> u32(std::string_view what) { return number<uint32_t>(what); }
  Result<uint64_t> u64(std::string_view what) { return number<uint64_t>(what); }
  Result<int32_t> i32(std::string_view what) { return number<int32_t>(what); }
  Result<int64_t> i64(std::string_view what) { return number<int64_t>(what); }
  Result<float> f32(std::string_view what) { return number<float>(what); }
  Result<double> f64(std::string_view what) { return number<double>(what); }
  template <class T>
  Result<T> number(std::string_view what) {
    uint8_t bytes[sizeof(T)];
    TINYLLM_TRY(raw(bytes, sizeof(T), what));
    return binary_detail::load_le<T>(bytes);
  }

  // `count` raw bytes.
  Status raw(void* dst, uint64_t count, std::string_view what);
  // A string of `length` bytes (checked against the bytes left before allocating).
  Result<std::string> string(uint64_t length, std::string_view what);
  // A u64 length, then that many bytes (GGUF's string).
  Result<std::string> string_u64(std::string_view what);
  // Fails with "not a <what_file> (no "MAGIC" at the start)" unless the next bytes are `magic`.
  Status expect_magic(std::string_view magic, std::string_view what_file);

  // `count` little-endian values into `out` (resized); the count is checked against the bytes
  // left before `out` grows, so a damaged count cannot allocate more than the file holds.
  template <class T>
  Status array(std::vector<T>& out, uint64_t count, std::string_view what) {
    static_assert(binary_detail::kPlainNumber<T>);
    if (count > remaining() / sizeof(T))
      return error("expected " + std::to_string(count) + " values of " + std::to_string(sizeof(T)) +
                   " bytes for '" + std::string(what) + "', " + std::to_string(remaining()) +
                   " bytes left");
    out.resize(static_cast<size_t>(count));
    if (count == 0) return {};
    TINYLLM_TRY(raw(out.data(), count * sizeof(T), what));
    if constexpr (!binary_detail::kLittleEndianHost && sizeof(T) > 1)
      for (auto& v : out)
        v = binary_detail::load_le<T>(reinterpret_cast<const uint8_t*>(&v));
    return {};
  }

  // An Error at the current offset or at `offset`.
  Error error(const std::string& message) const { return error_at(pos_, message); }
  Error error_at(uint64_t offset, const std::string& message) const;

 private:
  ByteReader() = default;

  std::string where_;
  std::string_view memory_;          // the bytes, when reading from memory
  std::shared_ptr<std::FILE> file_;  // the file, when reading from one
  uint64_t pos_ = 0;                 // absolute offset of the next read
  uint64_t end_ = 0;                 // reads stop here
};

// Appends little-endian values to a buffer, and either hands the bytes over (in memory) or streams
// them into a file atomically (through AtomicFile: nothing is visible until commit()). Writes to a
// file never fail one by one: the first error is kept and returned by commit(), so a format's
// writer reads as a list of fields.
class ByteWriter {
 public:
  // In memory: take the bytes with bytes() or take().
  ByteWriter() = default;
  // Into `path`, atomically.
  static Result<ByteWriter> create(const std::filesystem::path& path);

  // Bytes written so far (the offset the next value lands at).
  uint64_t offset() const { return flushed_ + buffer_.size(); }

  void u8(uint8_t v) { number(v); }
  void u16(uint16_t v) { number(v); }
  void u32(uint32_t v) { number(v); }
  void u64(uint64_t v) { number(v); }
  void i32(int32_t v) { number(v); }
  void i64(int64_t v) { number(v); }
  void f32(float v) { number(v); }
  void f64(double v) { number(v); }
  template <class T>
  void number(T value) {
    uint8_t bytes[sizeof(T)];
    binary_detail::store_le(value, bytes);
    raw(bytes, sizeof(T));
  }
  void raw(const void* data, size_t count);
  void raw(std::string_view bytes) { raw(bytes.data(), bytes.size()); }
  // A u64 length, then the bytes (GGUF's string).
  void string_u64(std::string_view text);
  template <class T>
  void array(const T* values, size_t count) {
    static_assert(binary_detail::kPlainNumber<T>);
    if constexpr (binary_detail::kLittleEndianHost) {
      raw(values, count * sizeof(T));
    } else {
      for (size_t i = 0; i < count; ++i)
        number(values[i]);
    }
  }
  template <class T>
  void array(const std::vector<T>& values) {
    array(values.data(), values.size());
  }

  // In memory: the bytes written.
  const std::string& bytes() const { return buffer_; }
  std::string take() { return std::move(buffer_); }
  // Into a file: writes what is buffered, syncs and renames the file into place; or the first
  // error of any write.
  Status commit();

 private:
  explicit ByteWriter(AtomicFile file) : file_(std::move(file)) {}
  void flush();

  std::optional<AtomicFile> file_;
  std::string buffer_;
  uint64_t flushed_ = 0;
  Status status_;
};

}  // namespace tinyllm
