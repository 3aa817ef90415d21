// tinyllm_gguf: GGUF v3 files (llama.cpp's model format) written and read in plain C++17, so
// that the desktop exporter and the edge runtime share one implementation.
//
// Byte layout (all little-endian, packed; ../shared/reference/gguf-gpt2.md §1):
//   1. magic "GGUF", u32 version (3), u64 tensor_count, u64 kv_count.
//   2. kv_count metadata entries: string key, u32 value type, value. A string is a u64 length
//      and that many UTF-8 bytes (no NUL); an array is u32 element type, u64 count, elements.
//   3. tensor_count tensor infos: string name (at most 63 bytes), u32 n_dims (1..4),
//      u64 ne[n_dims] (ne[0] is the contiguous dimension), u32 ggml type, u64 offset.
//   4. zero padding to the alignment (general.alignment, default 32): the data section starts.
//   5. each tensor's bytes at data start + offset, in info order, each padded to the alignment.
//
// Does: build files (Writer: typed metadata, tensors quantized from float), read them with every
// field checked (File: bounds, counts, type ids, duplicate keys/names, alignment, offsets and
// sizes; an Error names the byte offset), typed metadata accessors, dequantization to float.
// Does not: know GPT-2 (core/gguf/export.h maps a checkpoint onto a file), memory-map, or nest
// arrays (ggml rejects those too). Quantizers: quant.h. Key and tensor names: keys.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/mapped_file.h"
#include "base/result.h"

namespace tinyllm::gguf {

inline constexpr uint32_t kVersion = 3;
inline constexpr uint64_t kDefaultAlignment = 32;
inline constexpr size_t kMaxTensorName = 63;  // ggml's GGML_MAX_NAME (64) less the NUL
inline constexpr int kMaxDims = 4;

enum class ValueType : uint32_t {
  u8 = 0,
  i8 = 1,
  u16 = 2,
  i16 = 3,
  u32 = 4,
  i32 = 5,
  f32 = 6,
  boolean = 7,
  string = 8,
  array = 9,
  u64 = 10,
  i64 = 11,
  f64 = 12,
};
const char* to_string(ValueType type);

// ggml tensor types the reader knows the size of (ids as in ggml.h). The writer produces F32,
// F16, Q8_0 and Q4_0; dequantize() handles those four.
enum class TensorType : uint32_t {
  f32 = 0,
  f16 = 1,
  q4_0 = 2,
  q4_1 = 3,
  q5_0 = 6,
  q8_0 = 8,
  q4_k = 12,
  q5_k = 13,
  q6_k = 14,
  bf16 = 30,
};
const char* to_string(TensorType type);  // "F32", "Q8_0", ...
// The type named "f32", "f16", "q8_0" or "q4_0" (case-insensitive), or nullopt.
std::optional<TensorType> tensor_type_from_string(std::string_view name);

struct TypeTraits {
  uint32_t block_elements = 0;  // values per block (1 for F32/F16)
  uint32_t block_bytes = 0;     // bytes per block
};
// The traits of a known type id, or nullopt.
std::optional<TypeTraits> type_traits(uint32_t type_id);

// A metadata value: a scalar or an array of one element type, held in the widest C++ type of its
// kind. `type` is the GGUF type of a scalar, or `array` with `element_type` set.
struct Value {
  ValueType type = ValueType::u32;
  ValueType element_type = ValueType::u8;  // arrays only
  // One entry for a scalar. Unsigned ints (and bool as 0/1) in `uints`, signed in `ints`,
  // floats in `floats`, strings in `strings`.
  std::variant<std::vector<uint64_t>, std::vector<int64_t>, std::vector<double>,
               std::vector<std::string>>
      items;

  bool is_array() const { return type == ValueType::array; }
  ValueType item_type() const { return is_array() ? element_type : type; }
  size_t size() const;
};

struct KeyValue {
  std::string key;
  Value value;
  uint64_t offset = 0;  // where the entry starts in the file (reader only)
};

struct TensorInfo {
  std::string name;
  TensorType type = TensorType::f32;
  std::vector<uint64_t> ne;  // ggml order: ne[0] is the contiguous (row) dimension
  uint64_t offset = 0;       // relative to the data section
  uint64_t bytes = 0;        // size of the data, without padding
  uint64_t info_offset = 0;  // where the info starts in the file (reader only)
  uint64_t elements() const;
};

// A GGUF file read whole into memory and checked; nothing half-valid is ever returned.
class File {
 public:
  // Reads the whole file into memory.
  static Result<File> open(const std::filesystem::path& path);
  // Maps the file read-only (base/mapped_file.h) and checks it as open() does; tensor_data()
  // then points into the mapping, which lives as long as the File (moves keep it).
  static Result<File> map(const std::filesystem::path& path);
  // From bytes in memory; `where` names them in errors.
  static Result<File> parse(std::string bytes, std::string where);

  const std::string& where() const { return where_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t data_offset() const { return data_offset_; }
  uint64_t file_size() const { return bytes().size(); }

  const std::vector<KeyValue>& metadata() const { return metadata_; }
  const KeyValue* find(std::string_view key) const;
  // Typed accessors: an Error names the key when it is missing or has another type.
  Result<uint32_t> get_u32(std::string_view key) const;
  Result<int32_t> get_i32(std::string_view key) const;
  Result<float> get_f32(std::string_view key) const;
  Result<double> get_f64(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::string> get_string(std::string_view key) const;
  Result<std::vector<std::string>> get_string_array(std::string_view key) const;
  Result<std::vector<int32_t>> get_i32_array(std::string_view key) const;
  Result<std::vector<float>> get_f32_array(std::string_view key) const;
  Result<std::vector<double>> get_f64_array(std::string_view key) const;
  Result<std::vector<uint8_t>> get_u8_array(std::string_view key) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  // The tensor's bytes (without padding), inside this File.
  std::string_view tensor_data(const TensorInfo& tensor) const;
  // The tensor as floats (F32, F16, Q8_0, Q4_0), row-major in ggml order.
  Result<std::vector<float>> dequantize(const TensorInfo& tensor) const;

 private:
  File() = default;
  Result<const Value*> typed(std::string_view key, ValueType type, bool array) const;
  // Checks and indexes bytes() (owned_ or the mapping, set before).
  static Result<File> parse_into(File f);
  std::string_view bytes() const { return mapping_ ? mapping_->bytes() : std::string_view(owned_); }

  std::string where_;
  std::string owned_;                          // the bytes, when read or given
  std::shared_ptr<const MappedFile> mapping_;  // or the mapped file
  uint32_t version_ = 0;
  uint64_t alignment_ = kDefaultAlignment;
  uint64_t data_offset_ = 0;
  std::vector<KeyValue> metadata_;
  std::vector<TensorInfo> tensors_;
};

// Collects metadata and tensors, then writes a file per the layout above (atomically). Keys keep
// the order they were first set in; setting a key again replaces its value.
class Writer {
 public:
  void set(std::string key, Value value);
  void set_u32(std::string key, uint32_t value);
  void set_i32(std::string key, int32_t value);
  void set_f32(std::string key, float value);
  void set_f64(std::string key, double value);
  void set_bool(std::string key, bool value);
  void set_string(std::string key, std::string value);
  void set_string_array(std::string key, std::vector<std::string> values);
  void set_i32_array(std::string key, const std::vector<int32_t>& values);
  void set_f32_array(std::string key, const std::vector<float>& values);
  void set_f64_array(std::string key, const std::vector<double>& values);
  void set_u8_array(std::string key, const std::vector<uint8_t>& values);

  // Adds a tensor from floats (row-major, ggml order), converting them to `type`. Fails on a
  // duplicate or too long name, bad dims, a row length not a multiple of the type's block, or a
  // value count that does not match the dims.
  Status add_tensor(std::string name, TensorType type, std::vector<uint64_t> ne,
                    const std::vector<float>& values);
  // Adds a tensor whose bytes are already in `type`'s encoding (checked against the dims).
  Status add_tensor_bytes(std::string name, TensorType type, std::vector<uint64_t> ne,
                          std::string bytes);

  // The file's bytes; fails only on an empty array or a value that does not match its type.
  Result<std::string> bytes() const;
  // Writes bytes() to `path` atomically.
  Status write(const std::filesystem::path& path) const;

  const std::vector<TensorInfo>& tensors() const { return tensors_; }

 private:
  std::vector<KeyValue> metadata_;
  std::vector<TensorInfo> tensors_;
  std::vector<std::string> data_;  // per tensor, its encoded bytes
};

}  // namespace tinyllm::gguf
