#include "safetensors/safetensors.h"

#include <algorithm>
#include <cstdint>

#include <nlohmann/json.hpp>

#include "base/binary.h"

namespace tinyllm::safetensors {
namespace {
using nlohmann::json;
using ordered_json = nlohmann::ordered_json;

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

// The header's byte offset of a tensor's key, for errors: the first place its quoted name
// appears (a metadata value with the same text could come first; the name still says which).
uint64_t key_offset(const std::string& header, const std::string& name) {
  const size_t at = header.find(json(name).dump(-1, ' ', false, json::error_handler_t::replace));
  return 8 + (at == std::string::npos ? 0 : at);
}

// nlohmann's message without its "[json.exception.parse_error.101] " prefix.
std::string plain_message(const json::exception& e) {
  std::string text = e.what();
  if (!text.empty() && text[0] == '[') {
    const size_t end = text.find("] ");
    if (end != std::string::npos) text.erase(0, end + 2);
  }
  return text;
}

Status parse_tensor(const std::string& name, const json& value, StTensor& t, const Error& at) {
  auto fail = [&](const std::string& what) {
    return make_error(at.where, "safetensors header: tensor '" + name + "': " + what);
  };
  if (!value.is_object()) return fail("expected an object");
  t.name = name;
  for (const auto& [key, field] : value.items()) {
    if (key == "dtype") {
      if (!field.is_string()) return fail("dtype is not a string");
      const std::string dtype = field.get<std::string>();
      auto it = std::find_if(std::begin(kDtypes), std::end(kDtypes),
                             [&](const DtypeName& d) { return dtype == d.name; });
      if (it == std::end(kDtypes)) return fail("unknown dtype '" + dtype + "'");
      t.dtype = it->dtype;
    } else if (key == "shape" || key == "data_offsets") {
      if (!field.is_array()) return fail(key + " is not an array");
      std::vector<uint64_t> numbers;
      for (const auto& n : field) {
        if (!n.is_number_unsigned()) return fail(key + " holds a value that is not a size");
        numbers.push_back(n.get<uint64_t>());
      }
      if (key == "shape") {
        for (uint64_t d : numbers) {
          if (d > uint64_t(INT64_MAX)) return fail("shape dimension " + std::to_string(d));
          t.shape.push_back(int64_t(d));
        }
      } else {
        if (numbers.size() != 2) return fail("data_offsets needs 2 values");
        t.begin = numbers[0];
        t.end = numbers[1];
      }
    } else {
      return fail("unknown key '" + key + "'");
    }
  }
  if (!value.contains("dtype") || !value.contains("shape") || !value.contains("data_offsets"))
    return fail("needs dtype, shape and data_offsets");
  return {};
}

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

std::optional<uint64_t> StTensor::byte_size() const {
  std::optional<uint64_t> n = dtype_size(dtype);
  for (int64_t d : shape)
    if (n) n = checked_mul(*n, uint64_t(d));
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
  // Keys in data order (ordered_json), so the header reads like the file.
  ordered_json header = ordered_json::object();
  if (!metadata_.empty()) header["__metadata__"] = metadata_;
  uint64_t offset = 0;
  for (const auto& e : entries_) {
    const uint64_t bytes = e.info.numel() * dtype_size(e.info.dtype);
    header[e.info.name] = {{"dtype", to_string(e.info.dtype)},
                           {"shape", e.info.shape},
                           {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string text = header.dump(-1, ' ', false, json::error_handler_t::replace);
  while (text.size() % 8)
    text += ' ';  // aligns the data section, as HF's writer does

  TINYLLM_TRY_ASSIGN(file, ByteWriter::create(path));
  file.u64(text.size());
  file.raw(text);
  for (const auto& e : entries_)
    file.raw(e.data, e.info.numel() * dtype_size(e.info.dtype));
  return file.commit();
}

Result<SafetensorsFile> SafetensorsFile::open(const std::filesystem::path& path) {
  SafetensorsFile f;
  f.path_ = path;
  const std::string where = path.string();
  TINYLLM_TRY_ASSIGN(reader, ByteReader::open(path));
  const uint64_t file_size = reader.end();
  if (file_size < 8)
    return reader.error_at(
        0, "file is " + std::to_string(file_size) + " bytes, too short for a safetensors header");
  TINYLLM_TRY_ASSIGN(header_size, reader.u64("header size"));
  if (header_size > kMaxHeaderBytes || header_size > file_size - 8)
    return reader.error_at(0, "header size " + std::to_string(header_size) +
                                  " does not fit the file (" + std::to_string(file_size) +
                                  " bytes): not a safetensors file or truncated");
  TINYLLM_TRY_ASSIGN(header, reader.string(header_size, "header"));
  json parsed;
  try {
    parsed = json::parse(header);
  } catch (const json::parse_error& e) {
    // e.byte counts from 1 within the header, which starts at file offset 8.
    return reader.error_at(8 + (e.byte > 0 ? e.byte - 1 : 0),
                           "safetensors header is not valid JSON: " + plain_message(e));
  }
  if (!parsed.is_object()) return reader.error_at(8, "safetensors header: expected a JSON object");
  for (const auto& [key, value] : parsed.items()) {
    const Error at = reader.error_at(key_offset(header, key), "");
    if (key == "__metadata__") {
      if (!value.is_object())
        return make_error(at.where, "safetensors header: __metadata__ is not an object");
      for (const auto& [k, v] : value.items()) {
        if (!v.is_string())
          return make_error(at.where, "safetensors header: metadata '" + k + "' is not a string");
        f.metadata_[k] = v.get<std::string>();
      }
      continue;
    }
    StTensor t;
    TINYLLM_TRY(parse_tensor(key, value, t, at));
    f.tensors_.push_back(std::move(t));
  }
  f.data_start_ = 8 + header_size;
  const uint64_t data_size = file_size - f.data_start_;

  // Ranges must match their shapes and tile the data section without gaps or overlaps.
  std::vector<const StTensor*> by_offset;
  for (const auto& t : f.tensors_) {
    const auto expected = t.byte_size();
    if (!expected)
      return reader.error_at(key_offset(header, t.name),
                             "tensor '" + t.name + "': its shape's size does not fit 64 bits");
    if (t.end < t.begin || t.end - t.begin != *expected)
      return reader.error_at(key_offset(header, t.name),
                             "tensor '" + t.name + "': data_offsets [" + std::to_string(t.begin) +
                                 ", " + std::to_string(t.end) + ") hold " +
                                 std::to_string(t.end - t.begin) + " bytes, expected " +
                                 std::to_string(*expected) + " for its dtype and shape");
    by_offset.push_back(&t);
  }
  std::sort(by_offset.begin(), by_offset.end(),
            [](const StTensor* a, const StTensor* b) { return a->begin < b->begin; });
  uint64_t cursor = 0;
  for (const StTensor* t : by_offset) {
    if (t->begin != cursor)
      return reader.error_at(key_offset(header, t->name),
                             "tensor '" + t->name + "' starts at data offset " +
                                 std::to_string(t->begin) + ", expected " + std::to_string(cursor));
    cursor = t->end;
  }
  if (cursor != data_size)
    return reader.error_at(f.data_start_, "the data section is " + std::to_string(data_size) +
                                              " bytes but the tensors need " +
                                              std::to_string(cursor) +
                                              (cursor > data_size ? " (file truncated)" : ""));
  f.reader_ = std::move(reader);
  return f;
}

const StTensor* SafetensorsFile::find(const std::string& name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

Status SafetensorsFile::read(const StTensor& t, void* dst, size_t bytes) const {
  ByteReader r = *reader_;  // a cursor of its own: read() stays const
  if (bytes != t.end - t.begin)
    return r.error_at(data_start_ + t.begin,
                      "tensor '" + t.name + "' has " + std::to_string(t.end - t.begin) +
                          " bytes, the destination " + std::to_string(bytes));
  TINYLLM_TRY(r.seek(data_start_ + t.begin));
  return r.raw(dst, bytes, t.name);
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
