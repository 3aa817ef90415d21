#include "column_guess.h"

#include "builtin_importers.h"
#include "data/mapping.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <regex>

namespace tinyllm::plugins {

std::string squash(const std::string& name) {
  std::string out;
  for (unsigned char c : name)
    if (std::isalnum(c)) out += char(std::tolower(c));
  return out;
}

std::optional<size_t> find_column(const data::CsvSniff& sniff,
                                  const std::vector<std::string>& names) {
  for (const auto& want : names)
    for (size_t i = 0; i < sniff.header.size(); ++i)
      if (squash(sniff.header[i]) == want) return i;
  return std::nullopt;
}

std::vector<double> column_values(const data::CsvSniff& sniff, size_t column) {
  std::vector<double> out;
  for (const auto& row : sniff.rows) {
    double v;
    if (column < row.size() && data::parse_number(row[column], v) && std::isfinite(v))
      out.push_back(v);
  }
  return out;
}

double numeric_share(const data::CsvSniff& sniff, size_t column) {
  size_t total = 0, numeric = 0;
  for (const auto& row : sniff.rows) {
    if (column >= row.size() || row[column].empty()) continue;
    ++total;
    double v;
    numeric += data::parse_number(row[column], v);
  }
  return total ? double(numeric) / double(total) : 0.0;
}

bool column_is_numeric(const data::CsvSniff& sniff, size_t column) {
  return numeric_share(sniff, column) >= 0.9;
}

std::vector<std::string> duplicate_names(const data::CsvSniff& sniff) {
  std::map<std::string, std::vector<size_t>> where;
  for (size_t c = 0; c < sniff.header.size(); ++c)
    where[sniff.header[c]].push_back(c);
  std::vector<std::string> out;
  for (const auto& [name, columns] : where) {
    if (columns.size() < 2) continue;
    std::string text = "'" + name + "' (columns ";
    for (size_t i = 0; i < columns.size(); ++i)
      text += (i == 0                    ? ""
               : i + 1 == columns.size() ? " and "
                                         : ", ") +
              std::to_string(columns[i] + 1);
    out.push_back(text + ")");
  }
  return out;
}

std::string column_ref(const data::CsvSniff& sniff, size_t column) {
  const std::string& name = sniff.header[column];
  if (std::count(sniff.header.begin(), sniff.header.end(), name) > 1)
    return std::to_string(column + 1);
  return name;
}

std::string unit_from_name(const std::string& name) {
  std::string lower;
  for (unsigned char c : name)
    lower += char(std::tolower(c));
  static const std::vector<std::pair<std::regex, std::string>> kUnits = {
      {std::regex(R"((^|[^a-z])(m/s\^?2|ms2|m_s2|mps2|ms-2)\b)"), "m/s^2"},
      {std::regex(R"((^|[^a-z])(mg|milli_?g)$|\(mg\))"), "mg"},
      {std::regex(R"((^|[^a-z])(deg/s|dps|degs|deg_s|degps)\b)"), "deg/s"},
      {std::regex(R"((^|[^a-z])(rad/s|rads|rad_s|radps)\b)"), "rad/s"},
      {std::regex(R"((^|[^a-z])(ut|microtesla)$|\(ut\))"), "uT"},
      {std::regex(R"((^|[_ (])g\)?$)"), "g"},
  };
  for (const auto& [re, unit] : kUnits)
    if (std::regex_search(lower, re)) return unit;
  return {};
}

double median(std::vector<double> v) {
  return quantile(std::move(v), 0.5);
}

double quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, size_t(q * double(v.size())));
  std::nth_element(v.begin(), v.begin() + long(k), v.end());
  return v[k];
}

Status CsvImporterBase::read(const std::filesystem::path& file, const nlohmann::json& mapping,
                             const data::ImportOptions& options, data::SeriesSink& sink) const {
  TINYLLM_TRY_ASSIGN(m, data::mapping_from_json(mapping));
  return data::read_mapped_csv(file, m, options, sink);
}

Result<data::CsvSniff> CsvImporterBase::sniff(const std::filesystem::path& file,
                                              const nlohmann::json& overrides,
                                              data::Detection& d) const {
  std::optional<char> delimiter;
  std::optional<bool> header;
  if (overrides.is_object() && overrides.contains("delimiter")) {
    const std::string text = overrides["delimiter"].get<std::string>();
    delimiter = text == "\\t" || text == "tab" ? '\t' : text.empty() ? ',' : text[0];
  }
  if (overrides.is_object() && overrides.contains("header"))
    header = overrides["header"].get<bool>();
  TINYLLM_TRY_ASSIGN(sniff, data::sniff_csv(file, delimiter, header));
  d.importer = id();
  d.notes = sniff.notes;
  d.columns = sniff.header;
  d.rows.assign(sniff.rows.begin(),
                sniff.rows.begin() + long(std::min<size_t>(sniff.rows.size(), 20)));
  return sniff;
}

}  // namespace tinyllm::plugins
