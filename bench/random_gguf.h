// A GPT-2 of a given config with seeded random weights, N(0, 0.02), exported as a GGUF of one
// type without a tokenizer or task: speed benchmarks at sizes no demo model has
// (make_random_gguf, bench_infer).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/random.h"
#include "gguf/export.h"
#include "model/config.h"
#include "model/names.h"

namespace tinyllm::bench {

// A seed per tensor name, so each tensor's values do not depend on the others.
inline uint64_t tensor_seed(const std::string& name) {
  uint64_t h = 0;
  for (const char c : name)
    h = splitmix64(h ^ uint8_t(c));
  return h;
}

inline Status write_random_gguf(const model::ModelConfig& config, gguf::TensorType type,
                                const std::filesystem::path& out) {
  gguf::Writer writer;
  TINYLLM_TRY(gguf::add_gpt2_model(
      writer, config,
      [&](const std::string& name) -> Result<std::vector<float>> {
        for (const auto& spec : model::gpt2_tensors(config))
          if (spec.name == name) {
            SplitMix64 random(tensor_seed(name));
            std::vector<float> values(size_t(spec.numel()));
            for (auto& v : values)
              v = float(0.02 * random.normal());
            return values;
          }
        return make_error(name, "no such tensor");
      },
      type));
  return writer.write(out);
}

}  // namespace tinyllm::bench
