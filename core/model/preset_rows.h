// The presets as plain rows, generated at configure time from resources/presets/*.json (the one
// place presets are defined; core/model/CMakeLists.txt turns them into presets_table.cpp), so
// the runtime part of tinyllm_model needs no JSON library.
#pragma once

#include <cstddef>

namespace tinyllm::model::generated {

struct PresetRow {
  const char* name;
  const char* description;
  int n_layer, n_head, n_embd, n_ff, n_ctx, n_vocab;
  float norm_eps;
};

extern const PresetRow kPresetRows[];
extern const size_t kPresetRowCount;

}  // namespace tinyllm::model::generated
