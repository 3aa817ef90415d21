// Internal: reading the prepared corpus (JSON Lines written by the data step).
//   pretrain_*.jsonl  {"text": document, ...}
//   task_*.jsonl      {"prompt": ..., "response": ..., "label": ..., ...}
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tinyllm::text::detail {

// Calls `fn` for each non-empty line of a JSON Lines file, parsed; errors name file:line.
Status for_each_jsonl(
    const std::filesystem::path& path,
    const std::function<Status(const nlohmann::json& record, const std::string& where)>& fn);

// A record's full text: "text", or "prompt" + "response".
Result<std::string> record_text(const nlohmann::json& record, const std::string& where);

// A string field, or an error naming it.
Result<std::string> string_field(const nlohmann::json& record, const char* field,
                                 const std::string& where);

}  // namespace tinyllm::text::detail
