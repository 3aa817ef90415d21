// The worker's text handling for samples, through our own tokenizer (tinyllm_text): the worker
// links libtorch, so it cannot use libsentencepiece.
#pragma once

#include <filesystem>

#include "base/result.h"
#include "train/train.h"

namespace tinyllm::worker {

// Loads the SentencePiece .model at `path` with our decoder, checked against the shards made with
// it (text::load_checked_tokenizer). An error when the path is empty, missing or damaged, or this
// build has no tinyllm_text.
Result<train::TextCodec> load_codec(const std::filesystem::path& path);

}  // namespace tinyllm::worker
