// GGUF reader (gguf.h): every field is checked before it is used, in the order ggml's
// gguf_init_from_file_impl checks them, and every Error names the byte offset.
#include <cstddef>
#include <cstring>
#include <limits>
#include <set>

#include "base/binary.h"
#include "gguf/gguf.h"
#include "gguf/keys.h"
#include "gguf/quant.h"

namespace tinyllm::gguf {

namespace {

constexpr uint64_t kMaxArrayItems = uint64_t(1) << 30;  // ggml's cap
constexpr uint64_t kMaxStringBytes = uint64_t(1) << 30;
// The fewest bytes a metadata entry (empty key, u8 value) and a tensor info (1-byte name,
// 1 dim) take: counts larger than the file could hold are rejected before anything grows.
constexpr uint64_t kMinEntryBytes = 8 + 1 + 4 + 1;
constexpr uint64_t kMinInfoBytes = 8 + 1 + 4 + 8 + 4 + 8;

bool valid_value_type(uint32_t id) {
  return id <= static_cast<uint32_t>(ValueType::f64);
}

// Bytes of one fixed-size item, 0 for strings.
uint64_t item_bytes(ValueType type) {
  switch (type) {
    case ValueType::u8:
    case ValueType::i8:
    case ValueType::boolean:
      return 1;
    case ValueType::u16:
    case ValueType::i16:
      return 2;
    case ValueType::u32:
    case ValueType::i32:
    case ValueType::f32:
      return 4;
    case ValueType::u64:
    case ValueType::i64:
    case ValueType::f64:
      return 8;
    case ValueType::string:
    case ValueType::array:
      return 0;
  }
  return 0;
}

Result<std::string> read_string(ByteReader& r, const std::string& what) {
  const uint64_t at = r.offset();
  TINYLLM_TRY_ASSIGN(length, r.u64(what + " length"));
  if (length > kMaxStringBytes)
    return r.error_at(at, what + ": length " + std::to_string(length) + " is over 1 GiB");
  if (length > r.remaining())
    return r.error_at(at, what + ": length " + std::to_string(length) + " runs past the end (" +
                              std::to_string(r.remaining()) + " bytes left)");
  return r.string(length, what);
}

// Reads `count` items of `type` into `value.items`.
Status read_items(ByteReader& r, ValueType type, uint64_t count, Value& value,
                  const std::string& what) {
  const uint64_t size = item_bytes(type);
  // Strings take at least their 8-byte length each.
  if (count > r.remaining() / (size ? size : 8))
    return r.error(what + ": " + std::to_string(count) + " items of " + to_string(type) +
                   " cannot fit in the " + std::to_string(r.remaining()) + " bytes left");
  auto read_number = [&](auto tag) -> Result<decltype(tag)> {
    return r.number<decltype(tag)>(what);
  };
  switch (type) {
    case ValueType::u8:
    case ValueType::u16:
    case ValueType::u32:
    case ValueType::u64:
    case ValueType::boolean: {
      std::vector<uint64_t> items;
      items.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        const uint64_t at = r.offset();
        uint64_t v = 0;
        if (size == 1) {
          TINYLLM_TRY_ASSIGN(x, read_number(uint8_t{}));
          v = x;
        } else if (size == 2) {
          TINYLLM_TRY_ASSIGN(x, read_number(uint16_t{}));
          v = x;
        } else if (size == 4) {
          TINYLLM_TRY_ASSIGN(x, read_number(uint32_t{}));
          v = x;
        } else {
          TINYLLM_TRY_ASSIGN(x, read_number(uint64_t{}));
          v = x;
        }
        if (type == ValueType::boolean && v > 1)
          return r.error_at(at, what + ": a bool must be 0 or 1, got " + std::to_string(v));
        items.push_back(v);
      }
      value.items = std::move(items);
      return {};
    }
    case ValueType::i8:
    case ValueType::i16:
    case ValueType::i32:
    case ValueType::i64: {
      std::vector<int64_t> items;
      items.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        if (size == 1) {
          TINYLLM_TRY_ASSIGN(x, read_number(int8_t{}));
          items.push_back(x);
        } else if (size == 2) {
          TINYLLM_TRY_ASSIGN(x, read_number(int16_t{}));
          items.push_back(x);
        } else if (size == 4) {
          TINYLLM_TRY_ASSIGN(x, read_number(int32_t{}));
          items.push_back(x);
        } else {
          TINYLLM_TRY_ASSIGN(x, read_number(int64_t{}));
          items.push_back(x);
        }
      }
      value.items = std::move(items);
      return {};
    }
    case ValueType::f32:
    case ValueType::f64: {
      std::vector<double> items;
      items.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        if (size == 4) {
          TINYLLM_TRY_ASSIGN(x, read_number(float{}));
          items.push_back(x);
        } else {
          TINYLLM_TRY_ASSIGN(x, read_number(double{}));
          items.push_back(x);
        }
      }
      value.items = std::move(items);
      return {};
    }
    case ValueType::string: {
      std::vector<std::string> items;
      items.reserve(count);
      for (uint64_t i = 0; i < count; ++i) {
        TINYLLM_TRY_ASSIGN(s, read_string(r, what));
        items.push_back(std::move(s));
      }
      value.items = std::move(items);
      return {};
    }
    case ValueType::array:
      break;
  }
  return r.error(what + ": nested arrays are not allowed");
}

Result<KeyValue> read_entry(ByteReader& r, uint64_t index) {
  KeyValue kv;
  kv.offset = r.offset();
  const std::string entry = "metadata entry " + std::to_string(index);
  TINYLLM_TRY_ASSIGN(key, read_string(r, entry + " key"));
  if (key.empty()) return r.error_at(kv.offset, entry + ": the key is empty");
  kv.key = std::move(key);
  const std::string what = "key '" + kv.key + "'";
  const uint64_t type_at = r.offset();
  TINYLLM_TRY_ASSIGN(type_id, r.u32(what + " value type"));
  if (!valid_value_type(type_id))
    return r.error_at(type_at, what + ": value type id " + std::to_string(type_id) +
                                   " is not a GGUF type (0..12)");
  kv.value.type = static_cast<ValueType>(type_id);
  uint64_t count = 1;
  if (kv.value.is_array()) {
    const uint64_t element_at = r.offset();
    TINYLLM_TRY_ASSIGN(element_id, r.u32(what + " array element type"));
    if (!valid_value_type(element_id))
      return r.error_at(element_at, what + ": array element type id " + std::to_string(element_id) +
                                        " is not a GGUF type");
    if (element_id == static_cast<uint32_t>(ValueType::array))
      return r.error_at(element_at, what + ": nested arrays are not allowed");
    kv.value.element_type = static_cast<ValueType>(element_id);
    const uint64_t count_at = r.offset();
    TINYLLM_TRY_ASSIGN(n, r.u64(what + " array length"));
    if (n > kMaxArrayItems)
      return r.error_at(
          count_at, what + ": array length " + std::to_string(n) + " is over the limit of 2^30");
    count = n;
  }
  TINYLLM_TRY(read_items(r, kv.value.item_type(), count, kv.value, what));
  return kv;
}

Result<TensorInfo> read_info(ByteReader& r, uint64_t index) {
  TensorInfo t;
  t.info_offset = r.offset();
  const std::string info = "tensor info " + std::to_string(index);
  TINYLLM_TRY_ASSIGN(name, read_string(r, info + " name"));
  if (name.empty() || name.size() > kMaxTensorName)
    return r.error_at(t.info_offset, info + ": a name needs 1.." + std::to_string(kMaxTensorName) +
                                         " bytes, this one has " + std::to_string(name.size()));
  t.name = std::move(name);
  const std::string what = "tensor '" + t.name + "'";
  const uint64_t dims_at = r.offset();
  TINYLLM_TRY_ASSIGN(n_dims, r.u32(what + " n_dims"));
  if (n_dims < 1 || n_dims > uint32_t(kMaxDims))
    return r.error_at(dims_at, what + ": n_dims " + std::to_string(n_dims) + ", expected 1..4");
  uint64_t elements = 1;
  for (uint32_t d = 0; d < n_dims; ++d) {
    const uint64_t at = r.offset();
    TINYLLM_TRY_ASSIGN(ne, r.u64(what + " ne"));
    if (ne > uint64_t(INT64_MAX))
      return r.error_at(at, what + ": dim " + std::to_string(d) + " is negative as int64");
    const auto product = checked_mul(elements, ne);
    if (!product || *product > uint64_t(INT64_MAX))
      return r.error_at(at, what + ": the element count overflows");
    elements = *product;
    t.ne.push_back(ne);
  }
  const uint64_t type_at = r.offset();
  TINYLLM_TRY_ASSIGN(type_id, r.u32(what + " type"));
  const auto traits = type_traits(type_id);
  if (!traits)
    return r.error_at(type_at, what + ": tensor type id " + std::to_string(type_id) +
                                   " is not one this reader knows");
  t.type = static_cast<TensorType>(type_id);
  if (t.ne[0] % traits->block_elements != 0)
    return r.error_at(dims_at, what + ": row length " + std::to_string(t.ne[0]) +
                                   " is not a multiple of " + to_string(t.type) + "'s block of " +
                                   std::to_string(traits->block_elements));
  // elements / block * block bytes cannot overflow by more than the element count did.
  const auto bytes = checked_mul(elements / traits->block_elements, traits->block_bytes);
  if (!bytes) return r.error_at(dims_at, what + ": the byte size overflows");
  t.bytes = *bytes;
  TINYLLM_TRY_ASSIGN(offset, r.u64(what + " offset"));
  t.offset = offset;
  return t;
}

uint64_t pad_to(uint64_t offset, uint64_t alignment) {
  return (offset + alignment - 1) / alignment * alignment;
}

}  // namespace

namespace {

// A buffer or mapping holds at most PTRDIFF_MAX bytes: 2 GiB in a 32-bit (armhf) runtime. Say so
// up front instead of failing in fopen, mmap or the allocator.
Status check_loadable_size(const std::filesystem::path& path) {
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  constexpr uintmax_t kMaxBytes = uintmax_t(std::numeric_limits<std::ptrdiff_t>::max());
  if (!ec && size > kMaxBytes)
    return make_error(path.string(), "the file is " + std::to_string(size) + " bytes; a " +
                                         std::to_string(sizeof(void*) * 8) +
                                         "-bit runtime loads at most " + std::to_string(kMaxBytes) +
                                         " bytes (use the 64-bit aarch64 runtime on a 64-bit OS, "
                                         "or a smaller type such as Q8_0 or Q4_0)");
  return {};
}

}  // namespace

Result<File> File::open(const std::filesystem::path& path) {
  TINYLLM_TRY(check_loadable_size(path));
  TINYLLM_TRY_ASSIGN(bytes, read_file(path));
  return parse(std::move(bytes), path.string());
}

Result<File> File::map(const std::filesystem::path& path) {
  TINYLLM_TRY(check_loadable_size(path));
  TINYLLM_TRY_ASSIGN(mapping, MappedFile::open(path));
  File f;
  f.where_ = path.string();
  f.mapping_ = std::make_shared<const MappedFile>(std::move(mapping));
  return parse_into(std::move(f));
}

Result<File> File::parse(std::string bytes, std::string where) {
  File f;
  f.where_ = std::move(where);
  f.owned_ = std::move(bytes);
  return parse_into(std::move(f));
}

Result<File> File::parse_into(File f) {
  ByteReader r(f.bytes(), f.where_);
  TINYLLM_TRY(r.expect_magic("GGUF", "GGUF file"));
  const uint64_t version_at = r.offset();
  TINYLLM_TRY_ASSIGN(version, r.u32("version"));
  if ((version & 0xFFFF) == 0 && version != 0)
    return r.error_at(version_at, "version " + std::to_string(version) +
                                      " looks byte-swapped: a big-endian file?");
  if (version < 2 || version > kVersion)
    return r.error_at(version_at,
                      "version " + std::to_string(version) + " is not supported (2 and 3 are)");
  f.version_ = version;
  const uint64_t tensors_at = r.offset();
  TINYLLM_TRY_ASSIGN(n_tensors, r.u64("tensor_count"));
  const uint64_t kv_at = r.offset();
  TINYLLM_TRY_ASSIGN(n_kv, r.u64("metadata_kv_count"));
  if (n_tensors > r.remaining() / kMinInfoBytes)
    return r.error_at(tensors_at, "tensor_count " + std::to_string(n_tensors) +
                                      " cannot fit in the " + std::to_string(r.remaining()) +
                                      " bytes left");
  if (n_kv > r.remaining() / kMinEntryBytes)
    return r.error_at(kv_at, "metadata_kv_count " + std::to_string(n_kv) + " cannot fit in the " +
                                 std::to_string(r.remaining()) + " bytes left");

  std::set<std::string> keys;
  for (uint64_t i = 0; i < n_kv; ++i) {
    TINYLLM_TRY_ASSIGN(kv, read_entry(r, i));
    if (!keys.insert(kv.key).second) return r.error_at(kv.offset, "duplicate key '" + kv.key + "'");
    if (kv.key == keys::kAlignment) {
      if (kv.value.type != ValueType::u32)
        return r.error_at(kv.offset, std::string("general.alignment must be u32, not ") +
                                         to_string(kv.value.type));
      const uint64_t a = std::get<0>(kv.value.items)[0];
      if (a == 0 || (a & (a - 1)) != 0)
        return r.error_at(kv.offset,
                          "general.alignment " + std::to_string(a) + " is not a power of two");
      f.alignment_ = a;
    }
    f.metadata_.push_back(std::move(kv));
  }

  std::set<std::string> names;
  for (uint64_t i = 0; i < n_tensors; ++i) {
    TINYLLM_TRY_ASSIGN(t, read_info(r, i));
    if (!names.insert(t.name).second)
      return r.error_at(t.info_offset, "duplicate tensor name '" + t.name + "'");
    f.tensors_.push_back(std::move(t));
  }

  f.data_offset_ = pad_to(r.offset(), f.alignment_);
  if (n_tensors > 0 && f.data_offset_ > f.bytes().size())
    return r.error("the data section would start at " + std::to_string(f.data_offset_) +
                   ", past the end of the file (" + std::to_string(f.bytes().size()) + " bytes)");
  // Tensors must follow each other in info order, each padded to the alignment (as ggml checks).
  uint64_t expected = 0;
  for (const auto& t : f.tensors_) {
    const uint64_t at = t.info_offset;  // the error points at the tensor's info
    if (t.offset % f.alignment_ != 0)
      return r.error_at(at, "tensor '" + t.name + "' offset " + std::to_string(t.offset) +
                                " is not a multiple of the alignment " +
                                std::to_string(f.alignment_));
    if (t.offset != expected)
      return r.error_at(at, "tensor '" + t.name + "' offset " + std::to_string(t.offset) +
                                ", expected " + std::to_string(expected));
    const auto end = checked_add(f.data_offset_ + t.offset, t.bytes);
    if (!end || *end > f.bytes().size())
      return r.error_at(at, "tensor '" + t.name + "' (" + std::to_string(t.bytes) +
                                " bytes at data offset " + std::to_string(t.offset) +
                                ") runs past the end of the file (" +
                                std::to_string(f.bytes().size()) + " bytes)");
    expected = pad_to(t.offset + t.bytes, f.alignment_);
  }
  return f;
}

const KeyValue* File::find(std::string_view key) const {
  for (const auto& kv : metadata_)
    if (kv.key == key) return &kv;
  return nullptr;
}

Result<const Value*> File::typed(std::string_view key, ValueType type, bool array) const {
  const KeyValue* kv = find(key);
  if (!kv) return make_error(where_, "no key '" + std::string(key) + "'");
  const Value& v = kv->value;
  if (v.is_array() != array || v.item_type() != type)
    return make_error(at_offset(where_, kv->offset),
                      "key '" + std::string(key) + "' is " +
                          (v.is_array() ? std::string("array of ") : std::string()) +
                          to_string(v.item_type()) + ", expected " + (array ? "array of " : "") +
                          to_string(type));
  return &v;
}

Result<uint32_t> File::get_u32(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::u32, false));
  return static_cast<uint32_t>(std::get<0>(v->items)[0]);
}
Result<int32_t> File::get_i32(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::i32, false));
  return static_cast<int32_t>(std::get<1>(v->items)[0]);
}
Result<float> File::get_f32(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::f32, false));
  return static_cast<float>(std::get<2>(v->items)[0]);
}
Result<double> File::get_f64(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::f64, false));
  return std::get<2>(v->items)[0];
}
Result<bool> File::get_bool(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::boolean, false));
  return std::get<0>(v->items)[0] != 0;
}
Result<std::string> File::get_string(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::string, false));
  return std::get<3>(v->items)[0];
}
Result<std::vector<std::string>> File::get_string_array(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::string, true));
  return std::get<3>(v->items);
}
Result<std::vector<int32_t>> File::get_i32_array(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::i32, true));
  const auto& items = std::get<1>(v->items);
  return std::vector<int32_t>(items.begin(), items.end());
}
Result<std::vector<float>> File::get_f32_array(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::f32, true));
  const auto& items = std::get<2>(v->items);
  return std::vector<float>(items.begin(), items.end());
}
Result<std::vector<double>> File::get_f64_array(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::f64, true));
  return std::get<2>(v->items);
}
Result<std::vector<uint8_t>> File::get_u8_array(std::string_view key) const {
  TINYLLM_TRY_ASSIGN(v, typed(key, ValueType::u8, true));
  const auto& items = std::get<0>(v->items);
  return std::vector<uint8_t>(items.begin(), items.end());
}

const TensorInfo* File::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

std::string_view File::tensor_data(const TensorInfo& tensor) const {
  return bytes().substr(data_offset_ + tensor.offset, tensor.bytes);
}

Result<std::vector<float>> File::dequantize(const TensorInfo& tensor) const {
  const std::string_view data = tensor_data(tensor);
  const auto* bytes = reinterpret_cast<const uint8_t*>(data.data());
  const size_t count = static_cast<size_t>(tensor.elements());
  std::vector<float> out(count);
  switch (tensor.type) {
    case TensorType::f32:
      for (size_t i = 0; i < count; ++i)
        out[i] = binary_detail::load_le<float>(bytes + 4 * i);
      break;
    case TensorType::f16:
      dequantize_f16(bytes, count, out.data());
      break;
    case TensorType::q8_0:
      dequantize_q8_0(bytes, count, out.data());
      break;
    case TensorType::q4_0:
      dequantize_q4_0(bytes, count, out.data());
      break;
    default:
      return make_error(
          at_offset(where_, tensor.info_offset),
          "tensor '" + tensor.name + "': cannot dequantize " + to_string(tensor.type));
  }
  return out;
}

}  // namespace tinyllm::gguf
