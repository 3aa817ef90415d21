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

// Checks the recorded tokenizer's file: it is there, its bytes are the ones the step recorded
// (sha256), it parses as a SentencePiece model, and the token shards were made with it. The
// error names the file and says what is wrong; an error too when no tokenizer is recorded.
// Reads the model with our own parser (tinyllm_text), so the libtorch worker can call it.
Status check_tokenizer(const project::Project& project);

}  // namespace tinyllm::pipeline
