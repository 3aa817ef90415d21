// GGUF writer (gguf.h): ggml's gguf_write_out order, zero padding to 32 bytes before the data and
// after every tensor (the last one included, for readers that read the padded blob).
#include <algorithm>
#include <cmath>

#include "base/binary.h"
#include "gguf/gguf.h"
#include "gguf/quant.h"

namespace tinyllm::gguf {

namespace {

uint64_t pad_to(uint64_t offset, uint64_t alignment) {
  return (offset + alignment - 1) / alignment * alignment;
}

Value scalar(ValueType type, std::variant<std::vector<uint64_t>, std::vector<int64_t>,
                                          std::vector<double>, std::vector<std::string>>
                                 items) {
  Value v;
  v.type = type;
  v.items = std::move(items);
  return v;
}

template <class T, class Wide>
Value array_of(ValueType element, const std::vector<T>& values) {
  Value v;
  v.type = ValueType::array;
  v.element_type = element;
  v.items = std::vector<Wide>(values.begin(), values.end());
  return v;
}

// Which alternative of Value::items holds values of `type`.
size_t items_index(ValueType type) {
  switch (type) {
    case ValueType::u8:
    case ValueType::u16:
    case ValueType::u32:
    case ValueType::u64:
    case ValueType::boolean:
      return 0;
    case ValueType::i8:
    case ValueType::i16:
    case ValueType::i32:
    case ValueType::i64:
      return 1;
    case ValueType::f32:
    case ValueType::f64:
      return 2;
    case ValueType::string:
      return 3;
    case ValueType::array:
      break;
  }
  return 99;
}

void write_item(ByteWriter& w, ValueType type, const Value& v, size_t i) {
  switch (type) {
    case ValueType::u8:
      w.u8(static_cast<uint8_t>(std::get<0>(v.items)[i]));
      break;
    case ValueType::u16:
      w.u16(static_cast<uint16_t>(std::get<0>(v.items)[i]));
      break;
    case ValueType::u32:
      w.u32(static_cast<uint32_t>(std::get<0>(v.items)[i]));
      break;
    case ValueType::u64:
      w.u64(std::get<0>(v.items)[i]);
      break;
    case ValueType::boolean:
      w.u8(std::get<0>(v.items)[i] ? 1 : 0);
      break;
    case ValueType::i8:
      w.number(static_cast<int8_t>(std::get<1>(v.items)[i]));
      break;
    case ValueType::i16:
      w.number(static_cast<int16_t>(std::get<1>(v.items)[i]));
      break;
    case ValueType::i32:
      w.i32(static_cast<int32_t>(std::get<1>(v.items)[i]));
      break;
    case ValueType::i64:
      w.i64(std::get<1>(v.items)[i]);
      break;
    case ValueType::f32:
      w.f32(static_cast<float>(std::get<2>(v.items)[i]));
      break;
    case ValueType::f64:
      w.f64(std::get<2>(v.items)[i]);
      break;
    case ValueType::string:
      w.string_u64(std::get<3>(v.items)[i]);
      break;
    case ValueType::array:
      break;  // rejected before
  }
}

Status check_value(const KeyValue& kv) {
  const Value& v = kv.value;
  if (v.is_array() && v.element_type == ValueType::array)
    return make_error(kv.key, "nested arrays are not allowed in GGUF");
  if (items_index(v.item_type()) != v.items.index())
    return make_error(kv.key, std::string("the value's items do not hold ") +
                                  to_string(v.item_type()) + " values");
  if (v.is_array() && v.size() == 0)
    return make_error(kv.key, "empty arrays are not written (llama.cpp's writer refuses them)");
  if (!v.is_array() && v.size() != 1) return make_error(kv.key, "a scalar needs exactly one item");
  return {};
}

// The encoded size of a tensor of `type` and dims `ne`, or an error naming the tensor.
Result<uint64_t> encoded_size(const std::string& name, TensorType type,
                              const std::vector<uint64_t>& ne) {
  if (name.empty() || name.size() > kMaxTensorName)
    return make_error(name, "a tensor name must have 1.." + std::to_string(kMaxTensorName) +
                                " bytes, this one has " + std::to_string(name.size()));
  if (ne.empty() || ne.size() > size_t(kMaxDims))
    return make_error(name, "a tensor needs 1..4 dims, got " + std::to_string(ne.size()));
  const auto traits = type_traits(static_cast<uint32_t>(type));
  if (!traits) return make_error(name, "unknown tensor type");
  if (ne[0] % traits->block_elements != 0)
    return make_error(name, std::string("row length ") + std::to_string(ne[0]) +
                                " is not a multiple of " + to_string(type) + "'s block of " +
                                std::to_string(traits->block_elements));
  std::optional<uint64_t> bytes = ne[0] / traits->block_elements * traits->block_bytes;
  for (size_t i = 1; i < ne.size() && bytes; ++i)
    bytes = checked_mul(*bytes, ne[i]);
  if (!bytes) return make_error(name, "the tensor's size does not fit 64 bits");
  return *bytes;
}

}  // namespace

void Writer::set(std::string key, Value value) {
  for (auto& kv : metadata_) {
    if (kv.key == key) {
      kv.value = std::move(value);
      return;
    }
  }
  metadata_.push_back({std::move(key), std::move(value), 0});
}

void Writer::set_u32(std::string key, uint32_t value) {
  set(std::move(key), scalar(ValueType::u32, std::vector<uint64_t>{value}));
}
void Writer::set_i32(std::string key, int32_t value) {
  set(std::move(key), scalar(ValueType::i32, std::vector<int64_t>{value}));
}
void Writer::set_f32(std::string key, float value) {
  set(std::move(key), scalar(ValueType::f32, std::vector<double>{value}));
}
void Writer::set_f64(std::string key, double value) {
  set(std::move(key), scalar(ValueType::f64, std::vector<double>{value}));
}
void Writer::set_bool(std::string key, bool value) {
  set(std::move(key), scalar(ValueType::boolean, std::vector<uint64_t>{value ? 1u : 0u}));
}
void Writer::set_string(std::string key, std::string value) {
  set(std::move(key), scalar(ValueType::string, std::vector<std::string>{std::move(value)}));
}
void Writer::set_string_array(std::string key, std::vector<std::string> values) {
  Value v;
  v.type = ValueType::array;
  v.element_type = ValueType::string;
  v.items = std::move(values);
  set(std::move(key), std::move(v));
}
void Writer::set_i32_array(std::string key, const std::vector<int32_t>& values) {
  set(std::move(key), array_of<int32_t, int64_t>(ValueType::i32, values));
}
void Writer::set_f32_array(std::string key, const std::vector<float>& values) {
  set(std::move(key), array_of<float, double>(ValueType::f32, values));
}
void Writer::set_f64_array(std::string key, const std::vector<double>& values) {
  set(std::move(key), array_of<double, double>(ValueType::f64, values));
}
void Writer::set_u8_array(std::string key, const std::vector<uint8_t>& values) {
  set(std::move(key), array_of<uint8_t, uint64_t>(ValueType::u8, values));
}

Status Writer::add_tensor(std::string name, TensorType type, std::vector<uint64_t> ne,
                          const std::vector<float>& values) {
  TINYLLM_TRY_ASSIGN(bytes, encoded_size(name, type, ne));
  (void)bytes;
  uint64_t count = 1;
  for (uint64_t d : ne)
    count *= d;  // cannot overflow: the encoded size did not
  if (count != values.size())
    return make_error(name, "dims hold " + std::to_string(count) + " values, got " +
                                std::to_string(values.size()));
  if (type == TensorType::q8_0 || type == TensorType::q4_0)
    for (size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))  // a block scale cannot hold it (and the cast would be UB)
        return make_error(name, "value " + std::to_string(i) + " is " + std::to_string(values[i]) +
                                    ": cannot quantize");
  std::string encoded;
  switch (type) {
    case TensorType::f32:
      encoded.resize(values.size() * 4);
      for (size_t i = 0; i < values.size(); ++i)
        binary_detail::store_le(values[i], reinterpret_cast<uint8_t*>(&encoded[i * 4]));
      break;
    case TensorType::f16:
      quantize_f16(values.data(), values.size(), encoded);
      break;
    case TensorType::q8_0:
      quantize_q8_0(values.data(), values.size(), encoded);
      break;
    case TensorType::q4_0:
      quantize_q4_0(values.data(), values.size(), encoded);
      break;
    default:
      return make_error(name, std::string("the writer cannot encode ") + to_string(type));
  }
  return add_tensor_bytes(std::move(name), type, std::move(ne), std::move(encoded));
}

Status Writer::add_tensor_bytes(std::string name, TensorType type, std::vector<uint64_t> ne,
                                std::string bytes) {
  TINYLLM_TRY_ASSIGN(size, encoded_size(name, type, ne));
  if (size != bytes.size())
    return make_error(name, "expected " + std::to_string(size) + " bytes of " + to_string(type) +
                                ", got " + std::to_string(bytes.size()));
  for (const auto& t : tensors_)
    if (t.name == name) return make_error(name, "a tensor of that name was already added");
  TensorInfo info;
  info.name = std::move(name);
  info.type = type;
  info.ne = std::move(ne);
  info.bytes = size;
  tensors_.push_back(std::move(info));
  data_.push_back(std::move(bytes));
  return {};
}

Result<std::string> Writer::bytes() const {
  ByteWriter w;
  w.raw("GGUF");
  w.u32(kVersion);
  w.u64(tensors_.size());
  w.u64(metadata_.size());
  for (const auto& kv : metadata_) {
    TINYLLM_TRY(check_value(kv));
    w.string_u64(kv.key);
    w.u32(static_cast<uint32_t>(kv.value.type));
    if (kv.value.is_array()) {
      w.u32(static_cast<uint32_t>(kv.value.element_type));
      w.u64(kv.value.size());
    }
    for (size_t i = 0; i < kv.value.size(); ++i)
      write_item(w, kv.value.item_type(), kv.value, i);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors_) {
    w.string_u64(t.name);
    w.u32(static_cast<uint32_t>(t.ne.size()));
    for (uint64_t d : t.ne)
      w.u64(d);
    w.u32(static_cast<uint32_t>(t.type));
    w.u64(offset);
    offset += pad_to(t.bytes, kDefaultAlignment);
  }
  const std::string zeros(kDefaultAlignment, '\0');
  auto pad = [&] { w.raw(zeros.data(), pad_to(w.offset(), kDefaultAlignment) - w.offset()); };
  pad();
  for (const auto& d : data_) {
    w.raw(d);
    pad();
  }
  return w.take();
}

Status Writer::write(const std::filesystem::path& path) const {
  TINYLLM_TRY_ASSIGN(data, bytes());
  return write_file_atomic(path, data);
}

}  // namespace tinyllm::gguf
