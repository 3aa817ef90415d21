// Safetensors files (Hugging Face's tensor format), read and written in plain C++ so that the
// trainer's checkpoints, the GGUF exporter and tools share one implementation.
//
// Byte layout:
//   1. u64 little-endian N: the size of the JSON header.
//   2. N bytes of JSON: {"<name>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
//      ..., "__metadata__": {"<key>": "<string>"}}; padded with spaces to a multiple of 8.
//   3. The data: each tensor's bytes at [b, e) relative to the end of the header, row-major,
//      little-endian, packed without gaps in header order.
// The reader checks the header size, the JSON, every dtype, that e - b equals the shape's byte
// size, that the ranges tile the data exactly, and that the file holds all of it; errors name the
// file, byte offset and tensor. Does not: memory-map, convert dtypes, or handle big-endian hosts.
//
// The header is JSON read with nlohmann_json: checkpoints live on the desktop (the trainer writes
// them, the GGUF exporter reads them), and the device reads only GGUF, so this library is not part
// of the edge runtime and needs no JSON parser of its own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/binary.h"
#include "base/result.h"

namespace tinyllm::safetensors {

enum class StDtype { F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL };

const char* to_string(StDtype dtype);
size_t dtype_size(StDtype dtype);

struct StTensor {
  std::string name;
  StDtype dtype = StDtype::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // data offsets, relative to the start of the data section
  uint64_t end = 0;
  uint64_t numel() const;
  // numel() * the dtype's size, or nullopt when that does not fit 64 bits (a hostile header).
  std::optional<uint64_t> byte_size() const;
};

// Collects tensors (by pointer: the data must outlive write()) and writes them atomically.
class SafetensorsWriter {
 public:
  void add(std::string name, StDtype dtype, std::vector<int64_t> shape, const void* data);
  void set_metadata(std::string key, std::string value);
  Status write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    StTensor info;
    const void* data = nullptr;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// An open safetensors file: the validated header; tensor data is read on demand.
class SafetensorsFile {
 public:
  static Result<SafetensorsFile> open(const std::filesystem::path& path);

  const std::vector<StTensor>& tensors() const { return tensors_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const StTensor* find(const std::string& name) const;
  // Reads a tensor's bytes into `dst`, which must hold exactly end - begin bytes.
  Status read(const StTensor& tensor, void* dst, size_t bytes) const;
  // Looks up `name`, checks dtype and shape, and reads it: the usual checkpoint-loading step.
  Status read_expected(const std::string& name, StDtype dtype, const std::vector<int64_t>& shape,
                       void* dst) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::optional<ByteReader> reader_;
  uint64_t data_start_ = 0;
  std::vector<StTensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace tinyllm::safetensors
