// make_random_gguf PRESET TYPE OUT.gguf: a GPT-2 of a named preset (core/model's presets) with
// seeded random weights, exported as a GGUF of TYPE (f32, f16, q8_0, q4_0) without a tokenizer
// or task: input for `tinyllm-run bench` at sizes no demo model has.
#include <cstdio>
#include <string>

#include "base/random.h"
#include "gguf/export.h"
#include "model/config.h"
#include "model/names.h"

namespace {

// A seed per tensor name, so each tensor's values do not depend on the others.
uint64_t name_seed(const std::string& name) {
  uint64_t h = 0;
  for (const char c : name)
    h = tinyllm::splitmix64(h ^ uint8_t(c));
  return h;
}

}  // namespace

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
  gguf::Writer writer;
  auto st = gguf::add_gpt2_model(
      writer, *config,
      [&](const std::string& name) -> Result<std::vector<float>> {
        for (const auto& spec : model::gpt2_tensors(*config))
          if (spec.name == name) {
            SplitMix64 random(name_seed(name));
            std::vector<float> values(size_t(spec.numel()));
            for (auto& v : values)
              v = float(0.02 * random.normal());
            return values;
          }
        return make_error(name, "no such tensor");
      },
      *type);
  if (st) st = writer.write(argv[3]);
  if (!st) {
    std::fprintf(stderr, "%s\n", st.error().to_string().c_str());
    return 1;
  }
  std::printf("%s: preset %s, %s\n", argv[3], argv[1], gguf::to_string(*type));
  return 0;
}
