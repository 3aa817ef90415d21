#include "base/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <utility>

namespace tinyllm {
namespace {

// Closes the descriptor on every path out of open(): the mapping keeps its own reference.
class Descriptor {
 public:
  explicit Descriptor(int fd) : fd_(fd) {}
  ~Descriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  Descriptor(const Descriptor&) = delete;
  Descriptor& operator=(const Descriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Result<MappedFile> MappedFile::open(const std::filesystem::path& path) {
  const Descriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0)
    return make_error(path.string(), std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0)
    return make_error(path.string(), std::string("cannot stat: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return make_error(path.string(), "not a regular file");
  // A 32-bit process cannot map more than its address space: say so instead of failing in mmap.
  if (uintmax_t(st.st_size) > uintmax_t(std::numeric_limits<std::ptrdiff_t>::max()))
    return make_error(path.string(),
                      "the file is " + std::to_string(st.st_size) + " bytes, more than a " +
                          std::to_string(sizeof(void*) * 8) + "-bit process can map");
  MappedFile file;
  file.size_ = size_t(st.st_size);
  if (file.size_ == 0) return file;  // mmap refuses a length of 0
  void* data = ::mmap(nullptr, file.size_, PROT_READ, MAP_PRIVATE, fd.get(), 0);
  if (data == MAP_FAILED)
    return make_error(path.string(), std::string("cannot map: ") + std::strerror(errno));
  file.data_ = data;
  return file;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

MappedFile::~MappedFile() {
  unmap();
}

void MappedFile::unmap() {
  if (data_) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace tinyllm
