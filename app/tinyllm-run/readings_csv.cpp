#include "readings_csv.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "base/csv_line.h"

namespace tinyllm::run {
namespace {

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  while (!text.empty() && text.front() == ' ')
    text.erase(0, 1);
  return text;
}

}  // namespace

Result<ReadingsCsv> ReadingsCsv::from_header(const std::string& line, const infer::Recipe& recipe,
                                             const std::string& where) {
  ReadingsCsv csv;
  csv.where_ = where;
  const auto names = split_sensor_csv_line(line);
  csv.columns_ = names.size();
  for (const auto& channel : recipe.schema.channels) {
    int found = -1;
    for (size_t i = 0; i < names.size(); ++i)
      if (lower(names[i]) == lower(channel.name)) found = static_cast<int>(i);
    if (found < 0) {
      std::string wanted;
      for (const auto& c : recipe.schema.channels)
        wanted += (wanted.empty() ? "" : ", ") + c.name;
      if (recipe.schema.channels.size() > 12)
        wanted = std::to_string(recipe.schema.channels.size()) + " columns named as in training";
      return make_error(where + ":1", "no column '" + channel.name + "': the model reads " +
                                          wanted + " (in " + channel.unit + ")");
    }
    csv.channel_column_.push_back(found);
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string n = lower(names[i]);
    if (n == "time_ms" || n == "timestamp_ms" || n == "t_ms") {
      csv.time_column_ = static_cast<int>(i);
      csv.time_scale_ = 0.001;
    } else if (n == "time_s" || n == "time" || n == "t" || n == "timestamp") {
      csv.time_column_ = static_cast<int>(i);
      csv.time_scale_ = 1;
    }
  }
  return csv;
}

Status ReadingsCsv::parse(const std::string& line, size_t line_number, std::vector<float>& values,
                          std::vector<double>& time_s) const {
  const auto fields = split_sensor_csv_line(line);
  const std::string at = where_ + ":" + std::to_string(line_number);
  if (fields.size() != columns_)
    return make_error(at, std::to_string(fields.size()) + " fields where the header has " +
                              std::to_string(columns_));
  auto number = [&](size_t column, double& out) -> Status {
    const std::string& text = fields[column];
    if (text.empty()) {
      out = NAN;
      return {};
    }
    char* end = nullptr;
    out = std::strtod(text.c_str(), &end);
    if (*end != '\0')
      return make_error(at + ":" + std::to_string(column + 1), "'" + text + "' is not a number");
    return {};
  };
  for (int column : channel_column_) {
    double v = 0;
    TINYLLM_TRY(number(size_t(column), v));
    values.push_back(static_cast<float>(v));
  }
  if (time_column_ >= 0) {
    double t = 0;
    TINYLLM_TRY(number(size_t(time_column_), t));
    if (std::isnan(t)) return make_error(at, "the time is empty");
    time_s.push_back(t * time_scale_);
  }
  return {};
}

}  // namespace tinyllm::run
