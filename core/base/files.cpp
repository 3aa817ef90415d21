#include "base/files.h"

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <random>

#include "base/sha256.h"

namespace tinyllm {
namespace fs = std::filesystem;

namespace {
std::string errno_text() {
  return std::strerror(errno);
}

fs::path temp_path_for(const fs::path& target) {
  std::random_device rd;
  // Appends rather than operator+ chains: GCC 12 reports a false -Wrestrict on those (PR105651).
  std::string name = ".";
  name += target.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  name += '-';
  name += std::to_string(rd());
  return target.parent_path() / name;
}
}  // namespace

std::optional<long> temp_file_owner(std::string_view name) {
  if (name.size() < 2 || name[0] != '.') return std::nullopt;
  for (std::string_view marker : {".tmp-", ".new-", ".old-"}) {
    const size_t at = name.rfind(marker);
    if (at == std::string_view::npos || at == 0) continue;
    std::string_view rest = name.substr(at + marker.size());
    const size_t dash = rest.find('-');
    const std::string_view pid = rest.substr(0, dash);
    const std::string_view suffix = dash == std::string_view::npos ? "" : rest.substr(dash + 1);
    auto all_digits = [](std::string_view s) {
      return !s.empty() && s.size() <= 19 &&
             std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
    };
    if (!all_digits(pid) || (dash != std::string_view::npos && !all_digits(suffix))) continue;
    return std::stol(std::string(pid));
  }
  return std::nullopt;
}

Result<AtomicFile> AtomicFile::create(const fs::path& target) {
  AtomicFile f;
  f.target_ = target;
  std::error_code ec;
  if (!target.parent_path().empty()) fs::create_directories(target.parent_path(), ec);
  if (ec) return make_error(target.parent_path().string(), "cannot create folder: " + ec.message());
  f.temp_ = temp_path_for(target);
  f.file_ = std::fopen(f.temp_.c_str(), "wb");
  if (!f.file_) return make_error(f.temp_.string(), "cannot create file: " + errno_text());
  return f;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : target_(std::move(other.target_)),
      temp_(std::move(other.temp_)),
      file_(std::exchange(other.file_, nullptr)),
      written_(other.written_) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    target_ = std::move(other.target_);
    temp_ = std::move(other.temp_);
    file_ = std::exchange(other.file_, nullptr);
    written_ = other.written_;
  }
  return *this;
}

AtomicFile::~AtomicFile() {
  discard();
}

void AtomicFile::discard() {
  if (file_) {
    std::fclose(file_);
    file_ = nullptr;
    std::error_code ec;
    fs::remove(temp_, ec);
  }
}

Status AtomicFile::write(std::string_view bytes) {
  return write(bytes.data(), bytes.size());
}

Status AtomicFile::write(const void* data, size_t size) {
  if (!file_) return make_error(target_.string(), "write after commit");
  if (size && std::fwrite(data, 1, size, file_) != size)
    return make_error(temp_.string(), "write failed: " + errno_text());
  written_ += size;
  return {};
}

Status AtomicFile::commit() {
  if (!file_) return make_error(target_.string(), "commit of a closed file");
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) {
    auto err = make_error(temp_.string(), "flush failed: " + errno_text());
    discard();
    return err;
  }
  std::fclose(file_);
  file_ = nullptr;
  if (std::rename(temp_.c_str(), target_.c_str()) != 0) {
    auto err = make_error(target_.string(), "cannot replace file: " + errno_text());
    std::error_code ec;
    fs::remove(temp_, ec);
    return err;
  }
  // Make the rename itself durable.
  int dir = ::open(target_.parent_path().empty() ? "." : target_.parent_path().c_str(), O_RDONLY);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  return {};
}

Status write_file_atomic(const fs::path& target, std::string_view bytes) {
  TINYLLM_TRY_ASSIGN(file, AtomicFile::create(target));
  TINYLLM_TRY(file.write(bytes));
  return file.commit();
}

Result<std::string> read_file(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return make_error(path.string(), "cannot open: " + errno_text());
  std::string out;
  std::array<char, 1 << 16> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0)
    out.append(buf.data(), n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return make_error(path.string(), "read failed");
  return out;
}

Result<std::string> sha256_file(const fs::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return make_error(path.string(), "cannot open: " + errno_text());
  Sha256 hash;
  std::array<char, 1 << 16> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0)
    hash.update(buf.data(), n);
  bool failed = std::ferror(f);
  std::fclose(f);
  if (failed) return make_error(path.string(), "read failed");
  return hash.hex_digest();
}

std::string sha256_hex(std::string_view bytes) {
  Sha256 hash;
  hash.update(bytes.data(), bytes.size());
  return hash.hex_digest();
}

std::string utc_now_iso8601() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

}  // namespace tinyllm
