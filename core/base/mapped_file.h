// A file mapped read-only into memory (POSIX mmap): its bytes are paged in from the page cache as
// they are first read, so loading costs no copy and pages never touched (most rows of a large
// token embedding) take no memory. Move-only; the mapping ends with the object.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string_view>

#include "base/result.h"

namespace tinyllm {

class MappedFile {
 public:
  // Errors name the path and the system's reason. An empty file maps to no bytes.
  static Result<MappedFile> open(const std::filesystem::path& path);
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  MappedFile() = default;
  void unmap();

  void* data_ = nullptr;
  size_t size_ = 0;
};

}  // namespace tinyllm
