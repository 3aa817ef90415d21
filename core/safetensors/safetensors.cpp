#include "safetensors/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/files.h"

namespace tinyllm::safetensors {
namespace {

constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;  // the format's own limit

struct DtypeName {
  StDtype dtype;
  const char* name;
  size_t size;
};
constexpr DtypeName kDtypes[] = {{StDtype::F64, "F64", 8}, {StDtype::F32, "F32", 4},
                                 {StDtype::F16, "F16", 2}, {StDtype::BF16, "BF16", 2},
                                 {StDtype::I64, "I64", 8}, {StDtype::I32, "I32", 4},
                                 {StDtype::I16, "I16", 2}, {StDtype::I8, "I8", 1},
                                 {StDtype::U8, "U8", 1},   {StDtype::BOOL, "BOOL", 1}};

std::string hex_offset(uint64_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, " @0x%llx", static_cast<unsigned long long>(offset));
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// A strict reader for the small JSON subset safetensors headers use: objects, strings, arrays of
// non-negative integers. Errors carry the byte offset in the file.
class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& file) : s_(text), file_(file) {}

  Status parse(std::vector<StTensor>& tensors, std::map<std::string, std::string>& metadata) {
    TINYLLM_TRY(expect('{'));
    if (peek() == '}') return finish();
    while (true) {
      std::string key;
      TINYLLM_TRY(string(key));
      TINYLLM_TRY(expect(':'));
      if (key == "__metadata__") {
        TINYLLM_TRY(parse_metadata(metadata));
      } else {
        StTensor t;
        t.name = key;
        TINYLLM_TRY(parse_tensor(t));
        tensors.push_back(std::move(t));
      }
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      TINYLLM_TRY(expect('}'));
      return finish();
    }
  }

 private:
  Error error(const std::string& what) const {
    return make_error(file_ + hex_offset(8 + pos_), "safetensors header: " + what);
  }
  void skip_ws() {
    while (pos_ < s_.size() &&
           (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t'))
      ++pos_;
  }
  char peek() {
    skip_ws();
    return pos_ < s_.size() ? s_[pos_] : '\0';
  }
  Status expect(char c) {
    if (peek() != c) return error(std::string("expected '") + c + "'");
    ++pos_;
    return {};
  }
  Status finish() {
    skip_ws();
    if (pos_ != s_.size()) return error("trailing bytes after the JSON object");
    return {};
  }
  Status string(std::string& out) {
    if (peek() != '"') return error("expected a string");
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c == '\\') {
        if (pos_ >= s_.size()) break;
        char e = s_[pos_++];
        switch (e) {
          case 'n':
            out += '\n';
            break;
          case 't':
            out += '\t';
            break;
          case 'r':
            out += '\r';
            break;
          case 'b':
            out += '\b';
            break;
          case 'f':
            out += '\f';
            break;
          case 'u': {
            if (pos_ + 4 > s_.size()) return error("bad \\u escape");
            unsigned cp = std::stoul(s_.substr(pos_, 4), nullptr, 16);
            pos_ += 4;
            if (cp < 0x80) {
              out += char(cp);
            } else if (cp < 0x800) {
              out += char(0xC0 | (cp >> 6));
              out += char(0x80 | (cp & 0x3F));
            } else {
              out += char(0xE0 | (cp >> 12));
              out += char(0x80 | ((cp >> 6) & 0x3F));
              out += char(0x80 | (cp & 0x3F));
            }
            break;
          }
          default:
            out += e;
        }
      } else {
        out += c;
      }
    }
    if (pos_ >= s_.size()) return error("unterminated string");
    ++pos_;
    return {};
  }
  Status integer(uint64_t& out) {
    if (peek() < '0' || peek() > '9') return error("expected a non-negative integer");
    out = 0;
    while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') {
      if (out > (UINT64_MAX - 9) / 10) return error("integer too large");
      out = out * 10 + uint64_t(s_[pos_++] - '0');
    }
    return {};
  }
  Status int_array(std::vector<uint64_t>& out) {
    TINYLLM_TRY(expect('['));
    if (peek() == ']') {
      ++pos_;
      return {};
    }
    while (true) {
      uint64_t v = 0;
      TINYLLM_TRY(integer(v));
      out.push_back(v);
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      return expect(']');
    }
  }
  Status parse_metadata(std::map<std::string, std::string>& metadata) {
    TINYLLM_TRY(expect('{'));
    if (peek() == '}') {
      ++pos_;
      return {};
    }
    while (true) {
      std::string key, value;
      TINYLLM_TRY(string(key));
      TINYLLM_TRY(expect(':'));
      TINYLLM_TRY(string(value));
      metadata[key] = value;
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      return expect('}');
    }
  }
  Status parse_tensor(StTensor& t) {
    TINYLLM_TRY(expect('{'));
    bool has_dtype = false, has_shape = false, has_offsets = false;
    while (true) {
      std::string key;
      TINYLLM_TRY(string(key));
      TINYLLM_TRY(expect(':'));
      if (key == "dtype") {
        std::string name;
        TINYLLM_TRY(string(name));
        auto it = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                               [&](const DtypeName& d) { return name == d.name; });
        if (it == std::end(kDtypes))
          return error("tensor '" + t.name + "': unknown dtype '" + name + "'");
        t.dtype = it->dtype;
        has_dtype = true;
      } else if (key == "shape") {
        std::vector<uint64_t> dims;
        TINYLLM_TRY(int_array(dims));
        for (uint64_t d : dims)
          t.shape.push_back(int64_t(d));
        has_shape = true;
      } else if (key == "data_offsets") {
        std::vector<uint64_t> offs;
        TINYLLM_TRY(int_array(offs));
        if (offs.size() != 2) return error("tensor '" + t.name + "': data_offsets needs 2 values");
        t.begin = offs[0];
        t.end = offs[1];
        has_offsets = true;
      } else {
        return error("tensor '" + t.name + "': unknown key '" + key + "'");
      }
      if (peek() == ',') {
        ++pos_;
        continue;
      }
      TINYLLM_TRY(expect('}'));
      break;
    }
    if (!has_dtype || !has_shape || !has_offsets)
      return error("tensor '" + t.name + "': needs dtype, shape and data_offsets");
    return {};
  }

  const std::string& s_;
  const std::string& file_;
  size_t pos_ = 0;
};

}  // namespace

const char* to_string(StDtype dtype) {
  for (const auto& d : kDtypes)
    if (d.dtype == dtype) return d.name;
  return "?";
}

size_t dtype_size(StDtype dtype) {
  for (const auto& d : kDtypes)
    if (d.dtype == dtype) return d.size;
  return 0;
}

uint64_t StTensor::numel() const {
  uint64_t n = 1;
  for (int64_t d : shape)
    n *= uint64_t(d);
  return n;
}

void SafetensorsWriter::add(std::string name, StDtype dtype, std::vector<int64_t> shape,
                            const void* data) {
  Entry e;
  e.info.name = std::move(name);
  e.info.dtype = dtype;
  e.info.shape = std::move(shape);
  e.data = data;
  entries_.push_back(std::move(e));
}

void SafetensorsWriter::set_metadata(std::string key, std::string value) {
  metadata_[std::move(key)] = std::move(value);
}

Status SafetensorsWriter::write(const std::filesystem::path& path) const {
  std::string header = "{";
  if (!metadata_.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata_) {
      if (!first) header += ',';  // appends: GCC 12 misreports operator+ chains (-Wrestrict)
      header += json_string(k);
      header += ':';
      header += json_string(v);
      first = false;
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (const auto& e : entries_) {
    const uint64_t bytes = e.info.numel() * dtype_size(e.info.dtype);
    if (header.size() > 1) header += ',';
    header += json_string(e.info.name);
    header += ":{\"dtype\":\"";
    header += to_string(e.info.dtype);
    header += "\",\"shape\":[";
    for (size_t i = 0; i < e.info.shape.size(); ++i) {
      if (i) header += ',';
      header += std::to_string(e.info.shape[i]);
    }
    header += "],\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + bytes) + "]}";
    offset += bytes;
  }
  header += "}";
  while (header.size() % 8)
    header += ' ';  // aligns the data section, as HF's writer does

  TINYLLM_TRY_ASSIGN(file, AtomicFile::create(path));
  uint8_t size_bytes[8];
  for (int i = 0; i < 8; ++i)
    size_bytes[i] = uint8_t(uint64_t(header.size()) >> (8 * i));
  TINYLLM_TRY(file.write(size_bytes, 8));
  TINYLLM_TRY(file.write(header));
  for (const auto& e : entries_)
    TINYLLM_TRY(file.write(e.data, e.info.numel() * dtype_size(e.info.dtype)));
  return file.commit();
}

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile f;
  f.path_ = path;
  const std::string where = path.string();
  f.file_.reset(std::fopen(path.c_str(), "rb"));
  if (!f.file_) return make_error(where, std::string("cannot open: ") + std::strerror(errno));
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(path, ec);
  if (ec) return make_error(where, "cannot stat: " + ec.message());
  uint8_t size_bytes[8];
  if (file_size < 8 || std::fread(size_bytes, 1, 8, f.file_.get()) != 8)
    return make_error(where + hex_offset(0), "file is " + std::to_string(file_size) +
                                                 " bytes, too short for a safetensors header");
  uint64_t header_size = 0;
  for (int i = 0; i < 8; ++i)
    header_size |= uint64_t(size_bytes[i]) << (8 * i);
  if (header_size > kMaxHeaderBytes || header_size > file_size - 8)
    return make_error(where + hex_offset(0), "header size " + std::to_string(header_size) +
                                                 " does not fit the file (" +
                                                 std::to_string(file_size) +
                                                 " bytes): not a safetensors file or truncated");
  std::string header(header_size, '\0');
  if (std::fread(header.data(), 1, header_size, f.file_.get()) != header_size)
    return make_error(where + hex_offset(8), "cannot read the header");
  HeaderParser parser(header, where);
  TINYLLM_TRY(parser.parse(f.tensors_, f.metadata_));
  f.data_start_ = 8 + header_size;
  const uint64_t data_size = file_size - f.data_start_;

  // Ranges must match their shapes and tile the data section without gaps or overlaps.
  std::vector<const StTensor*> by_offset;
  for (const auto& t : f.tensors_) {
    const uint64_t expected = t.numel() * dtype_size(t.dtype);
    if (t.end < t.begin || t.end - t.begin != expected)
      return make_error(where, "tensor '" + t.name + "': data_offsets [" + std::to_string(t.begin) +
                                   ", " + std::to_string(t.end) + ") hold " +
                                   std::to_string(t.end - t.begin) + " bytes, expected " +
                                   std::to_string(expected) + " for its dtype and shape");
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const StTensor* a, const StTensor* b) { return a->begin < b->begin; });
  uint64_t cursor = 0;
  for (const StTensor* t : by_offset) {
    if (t->begin != cursor)
      return make_error(where + hex_offset(f.data_start_ + t->begin),
                        "tensor '" + t->name + "' starts at data offset " +
                            std::to_string(t->begin) + ", expected " + std::to_string(cursor));
    cursor = t->end;
  }
  if (cursor != data_size)
    return make_error(where, "the data section is " + std::to_string(data_size) +
                                 " bytes but the tensors need " + std::to_string(cursor) +
                                 (cursor > data_size ? " (file truncated)" : ""));
  return f;
}

const StTensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Status SafetensorsFile::read(const StTensor& t, void* dst, size_t bytes) const {
  const std::string where = path_.string() + hex_offset(data_start_ + t.begin);
  if (bytes != t.end - t.begin)
    return make_error(where, "tensor '" + t.name + "' has " + std::to_string(t.end - t.begin) +
                                 " bytes, the destination " + std::to_string(bytes));
  if (::fseeko(file_.get(), off_t(data_start_ + t.begin), SEEK_SET) != 0 ||
      std::fread(dst, 1, bytes, file_.get()) != bytes)
    return make_error(where, "cannot read tensor '" + t.name + "'");
  return {};
}

Status SafetensorsFile::read_expected(const std::string& name, StDtype dtype,
                                      const std::vector<int64_t>& shape, void* dst) const {
  const StTensor* t = find(name);
  if (!t) return make_error(path_.string(), "tensor '" + name + "' is missing");
  auto shape_text = [](const std::vector<int64_t>& s) {
    std::string out = "[";
    for (size_t i = 0; i < s.size(); ++i)
      out += (i ? ", " : "") + std::to_string(s[i]);
    return out + "]";
  };
  if (t->dtype != dtype || t->shape != shape)
    return make_error(path_.string(), "tensor '" + name + "' is " + to_string(t->dtype) + " " +
                                          shape_text(t->shape) + ", expected " + to_string(dtype) +
                                          " " + shape_text(shape));
  return read(*t, dst, size_t(t->end - t->begin));
}

}  // namespace tinyllm::safetensors
