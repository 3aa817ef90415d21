// Names and sizes of GGUF value and tensor types (gguf.h).
#include <cctype>

#include "gguf/gguf.h"

namespace tinyllm::gguf {

const char* to_string(ValueType type) {
  switch (type) {
    case ValueType::u8:
      return "u8";
    case ValueType::i8:
      return "i8";
    case ValueType::u16:
      return "u16";
    case ValueType::i16:
      return "i16";
    case ValueType::u32:
      return "u32";
    case ValueType::i32:
      return "i32";
    case ValueType::f32:
      return "f32";
    case ValueType::boolean:
      return "bool";
    case ValueType::string:
      return "string";
    case ValueType::array:
      return "array";
    case ValueType::u64:
      return "u64";
    case ValueType::i64:
      return "i64";
    case ValueType::f64:
      return "f64";
  }
  return "?";
}

const char* to_string(TensorType type) {
  switch (type) {
    case TensorType::f32:
      return "F32";
    case TensorType::f16:
      return "F16";
    case TensorType::q4_0:
      return "Q4_0";
    case TensorType::q4_1:
      return "Q4_1";
    case TensorType::q5_0:
      return "Q5_0";
    case TensorType::q8_0:
      return "Q8_0";
    case TensorType::q4_k:
      return "Q4_K";
    case TensorType::q5_k:
      return "Q5_K";
    case TensorType::q6_k:
      return "Q6_K";
    case TensorType::bf16:
      return "BF16";
  }
  return "?";
}

std::optional<TensorType> tensor_type_from_string(std::string_view name) {
  std::string lower;
  for (char c : name)
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "f32") return TensorType::f32;
  if (lower == "f16") return TensorType::f16;
  if (lower == "q8_0") return TensorType::q8_0;
  if (lower == "q4_0") return TensorType::q4_0;
  return std::nullopt;
}

std::optional<TypeTraits> type_traits(uint32_t type_id) {
  // ggml's type_traits (the spec's table, §1).
  switch (static_cast<TensorType>(type_id)) {
    case TensorType::f32:
      return TypeTraits{1, 4};
    case TensorType::f16:
      return TypeTraits{1, 2};
    case TensorType::bf16:
      return TypeTraits{1, 2};
    case TensorType::q4_0:
      return TypeTraits{32, 18};
    case TensorType::q4_1:
      return TypeTraits{32, 20};
    case TensorType::q5_0:
      return TypeTraits{32, 22};
    case TensorType::q8_0:
      return TypeTraits{32, 34};
    case TensorType::q4_k:
      return TypeTraits{256, 144};
    case TensorType::q5_k:
      return TypeTraits{256, 176};
    case TensorType::q6_k:
      return TypeTraits{256, 210};
  }
  return std::nullopt;
}

size_t Value::size() const {
  return std::visit([](const auto& v) { return v.size(); }, items);
}

uint64_t TensorInfo::elements() const {
  uint64_t n = 1;
  for (uint64_t d : ne)
    n *= d;
  return n;
}

}  // namespace tinyllm::gguf
