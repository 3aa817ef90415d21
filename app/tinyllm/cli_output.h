// Output helpers shared by the subcommands: aligned text tables, JSON printing, and the
// "--set a.b=value" syntax for partial JSON settings.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"
#include "data/importer.h"

namespace tinyllm::cli {

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows);
void print_json(const nlohmann::json& value);

// Applies "key.sub=value" assignments onto `target`; the value is parsed as JSON when it is
// valid JSON (numbers, true, "text", [..]) and taken as a string otherwise.
Status apply_assignments(nlohmann::json& target, const std::vector<std::string>& assignments);
// Reads JSON given inline or as @file.
Result<nlohmann::json> json_argument(const std::string& text, const std::string& option);

std::string format_number(double value, int decimals = 1);

// The registry every command uses: built-in plugins plus the user's plugin folder.
Result<std::unique_ptr<data::PluginRegistry>> make_registry();

}  // namespace tinyllm::cli
