// The little JSON tinyllm-run needs without a JSON library: reading the string and number
// fields of one flat JSON object (a line of task_*.jsonl), and writing escaped strings.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace tinyllm::run {

// Top-level fields of one JSON object: strings unescaped, other scalars as their literal text;
// nested arrays and objects are skipped whole (kept as their text). Errors name the column.
Result<std::map<std::string, std::string>> parse_flat_object(std::string_view line);

// `text` as a JSON string literal, quotes included.
std::string json_string(std::string_view text);
// A number with enough digits to round-trip a double; non-finite values become null.
std::string json_number(double value);

}  // namespace tinyllm::run
