// The tokenizer step's bookkeeping: what tokenizer/ holds and what it was made from. The work
// itself (SentencePiece training, tinyllm_vocab_learning) is done by the caller, because this
// library is also linked by the libtorch worker, which must never link sentencepiece (DESIGN.md).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "project/project.h"

namespace tinyllm::pipeline {

inline constexpr const char* kTokenizerArtifact = "tokenizer";
inline constexpr const char* kTokenizerFolder = "tokenizer";
inline constexpr const char* kTokenizerModel = "tokenizer/tokenizer.model";

// Records the "tokenizer" artifact (made from "prepared") from build_tokenizer()'s summary and
// the settings used, and saves project.json.
Status record_tokenizer(project::Project& project, const nlohmann::json& settings,
                        const nlohmann::json& summary);

}  // namespace tinyllm::pipeline
