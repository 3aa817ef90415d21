// make_random_gguf PRESET TYPE OUT.gguf: a GPT-2 of a named preset (core/model's presets) with
// seeded random weights, exported as a GGUF of TYPE (f32, f16, q8_0, q4_0) without a tokenizer
// or task: input for `tinyllm-run bench` at sizes no demo model has.
#include <cstdio>

#include "random_gguf.h"

int main(int argc, char** argv) {
  using namespace tinyllm;
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_random_gguf PRESET TYPE OUT.gguf\n");
    return 2;
  }
  auto config = model::preset(argv[1]);
  if (!config) {
    std::fprintf(stderr, "%s\n", config.error().to_string().c_str());
    return 1;
  }
  const auto type = gguf::tensor_type_from_string(argv[2]);
  if (!type) {
    std::fprintf(stderr, "unknown type %s (f32, f16, q8_0, q4_0)\n", argv[2]);
    return 1;
  }
  if (auto st = bench::write_random_gguf(*config, *type, argv[3]); !st) {
    std::fprintf(stderr, "%s\n", st.error().to_string().c_str());
    return 1;
  }
  std::printf("%s: preset %s, %s\n", argv[3], argv[1], gguf::to_string(*type));
  return 0;
}
