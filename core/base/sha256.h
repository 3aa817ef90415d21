// SHA-256 (FIPS 180-4), streamed. Used for source and artifact checksums in project.json.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace tinyllm {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::string hex_digest();  // finishes the hash; call once

 private:
  void compress(const uint8_t* block);

  std::array<uint32_t, 8> state_;
  std::array<uint8_t, 64> block_{};
  size_t block_used_ = 0;
  uint64_t total_bytes_ = 0;
};

}  // namespace tinyllm
