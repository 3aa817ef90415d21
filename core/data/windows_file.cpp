#include "data/windows_file.h"

#include "base/binary.h"
#include "base/files.h"

namespace tinyllm::data {
namespace {

template <class T>
void append(std::string& out, T value) {
  uint8_t bytes[sizeof(T)];
  binary_detail::store_le(value, bytes);
  out.append(reinterpret_cast<const char*>(bytes), sizeof(T));
}

}  // namespace

void WindowsFileWriter::add(const float* values, uint32_t rows) {
  append(records_, rows);
  for (size_t k = 0; k < size_t(rows) * channels_; ++k)
    append(records_, values[k]);
  ++count_;
}

Status WindowsFileWriter::write(const std::filesystem::path& path) const {
  std::string header(kWindowsMagic, 8);
  append(header, channels_);
  append(header, count_);
  TINYLLM_TRY_ASSIGN(file, AtomicFile::create(path));
  TINYLLM_TRY(file.write(header));
  TINYLLM_TRY(file.write(records_));
  return file.commit();
}

}  // namespace tinyllm::data
