#include "cli_output.h"

#include <algorithm>
#include <cstdio>

#include "base/files.h"
#include "builtin.h"

namespace tinyllm::cli {
using nlohmann::json;

void print_table(const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c)
    width[c] = header[c].size();
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], row[c].size());
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < width.size(); ++c) {
      std::string cell = c < cells.size() ? cells[c] : "";
      out += cell +
             std::string(
                 width[c] - std::min(width[c], cell.size()) + (c + 1 < width.size() ? 2 : 0), ' ');
    }
    while (!out.empty() && out.back() == ' ')
      out.pop_back();
    std::printf("%s\n", out.c_str());
  };
  line(header);
  std::vector<std::string> rule;
  for (size_t w : width)
    rule.push_back(std::string(w, '-'));
  line(rule);
  for (const auto& row : rows)
    line(row);
}

void print_json(const json& value) {
  std::printf("%s\n", value.dump(2).c_str());
}

Status apply_assignments(json& target, const std::vector<std::string>& assignments) {
  for (const auto& a : assignments) {
    auto eq = a.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error("--set " + a, "expected key=value, e.g. --set sample_rate_hz=25");
    std::string key = a.substr(0, eq), text = a.substr(eq + 1);
    json value = json::parse(text, nullptr, false);
    if (value.is_discarded()) value = text;
    json* node = &target;
    size_t start = 0;
    for (;;) {
      size_t dot = key.find('.', start);
      std::string part =
          key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (!node->is_object()) *node = json::object();
      if (dot == std::string::npos) {
        (*node)[part] = value;
        break;
      }
      node = &(*node)[part];
      start = dot + 1;
    }
  }
  return {};
}

Result<json> json_argument(const std::string& text, const std::string& option) {
  std::string body = text;
  std::string where = "--" + option;
  if (!text.empty() && text[0] == '@') {
    TINYLLM_TRY_ASSIGN(content, read_file(text.substr(1)));
    body = content;
    where = text.substr(1);
  }
  json value = json::parse(body, nullptr, false);
  if (value.is_discarded()) return make_error(where, "is not valid JSON");
  return value;
}

std::string format_number(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

Result<std::unique_ptr<data::PluginRegistry>> make_registry() {
  auto registry = std::make_unique<data::PluginRegistry>();
  plugins::register_builtin_plugins(*registry);
  // A bad plugin costs only itself: the command goes on with the others and says so.
  for (const auto& error : registry->load_plugins_from(plugins::user_plugin_folder()).failed)
    std::fprintf(stderr, "tinyllm: warning: plugin not loaded: %s\n", error.to_string().c_str());
  return registry;
}

}  // namespace tinyllm::cli
