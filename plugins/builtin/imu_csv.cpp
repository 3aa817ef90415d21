// IMU CSV importer: guesses time, accelerometer/gyroscope/magnetometer axes, units, labels,
// people and sessions from the header and the first rows, then reads through the mapped engine.
#include <cmath>
#include <regex>

#include "builtin_importers.h"
#include "column_guess.h"
#include "data/mapping.h"

namespace tinyllm::plugins {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct AxisGuess {
  size_t column;
  std::string sensor;  // "acc", "gyro", "mag"
  char axis;
};

std::optional<AxisGuess> axis_of(const std::string& header, size_t column) {
  static const std::regex acc(
      R"(^(?:a|acc|accel|accelerometer|acceleration|linacc)[_ .]?([xyz])(?:[_ (].*)?$)",
      std::regex::icase);
  static const std::regex acc_after(R"(^([xyz])[_ .]?(?:acc|accel)(?:[_ (].*)?$)",
                                    std::regex::icase);
  static const std::regex gyro(R"(^(?:g|gyr|gyro|gyroscope|w|omega)[_ .]?([xyz])(?:[_ (].*)?$)",
                               std::regex::icase);
  static const std::regex mag(R"(^(?:m|mag|magnetometer)[_ .]?([xyz])(?:[_ (].*)?$)",
                              std::regex::icase);
  std::smatch m;
  auto axis = [&] { return char(std::tolower(m[1].str()[0])); };
  if (std::regex_match(header, m, acc) || std::regex_match(header, m, acc_after))
    return AxisGuess{column, "acc", axis()};
  if (std::regex_match(header, m, gyro)) return AxisGuess{column, "gyro", axis()};
  if (std::regex_match(header, m, mag)) return AxisGuess{column, "mag", axis()};
  return std::nullopt;
}

// Units from the values when the name does not say: |a| near 1 is g, near 1000 mg, near 9.8 m/s^2.
std::string guess_acc_unit(const data::CsvSniff& sniff, const std::vector<size_t>& cols) {
  std::vector<double> norms;
  for (const auto& row : sniff.rows) {
    double sum = 0;
    bool ok = true;
    for (size_t c : cols) {
      double v;
      if (c >= row.size() || !data::parse_number(row[c], v)) {
        ok = false;
        break;
      }
      sum += v * v;
    }
    if (ok) norms.push_back(std::sqrt(sum));
  }
  double m = median(norms);
  if (m > 100) return "mg";
  if (m > 3) return "m/s^2";
  return "g";
}

std::string guess_gyro_unit(const data::CsvSniff& sniff, const std::vector<size_t>& cols) {
  double max_abs = 0;
  for (size_t c : cols)
    for (double v : column_values(sniff, c))
      max_abs = std::max(max_abs, std::fabs(v));
  return max_abs > 35 ? "deg/s" : "rad/s";
}

// Time unit from name suffix, else from the values: a counter, epoch times, or step sizes.
std::string guess_time_unit(const data::CsvSniff& sniff, size_t column,
                            std::vector<std::string>& notes) {
  const std::string name = squash(sniff.header[column]);
  for (const char* unit : {"ms", "us", "ns"})
    if (name.size() > 2 && name.substr(name.size() - 2) == unit) return unit;
  if (name.size() > 1 && (name.back() == 's' && name != "ts" && name != "times")) return "s";
  auto values = column_values(sniff, column);
  if (values.size() < 2) return "s";
  std::vector<double> steps;
  bool integer_steps = true;
  for (size_t i = 1; i < values.size(); ++i) {
    double d = values[i] - values[i - 1];
    if (d > 0) steps.push_back(d);
    if (d != 1 && d > 0) integer_steps = false;
  }
  if (integer_steps && values.front() < 10) {
    notes.push_back("time: column '" + sniff.header[column] +
                    "' counts samples; the sample rate must be given (sample_rate_hz)");
    return "index";
  }
  double first = std::fabs(values.front());
  if (first > 1e17) return "ns";
  if (first > 1e14) return "us";
  if (first > 1e11) return "ms";
  if (first > 1e8) return "s";
  double step = median(steps);
  if (step >= 1000) return "us";
  if (step >= 1) return "ms";
  return "s";
}

class ImuCsvImporter : public CsvImporterBase {
 public:
  std::string id() const override { return "imu-csv"; }
  std::string description() const override {
    return "IMU CSV: time, accelerometer/gyroscope axes, label, person (columns detected)";
  }

  Result<data::Detection> detect(const fs::path& file, const json& overrides) const override {
    data::Detection d;
    TINYLLM_TRY_ASSIGN(sniff, this->sniff(file, overrides, d));
    if (looks_like_rssi(sniff)) {
      d.notes.push_back("this looks like a WiFi/BLE fingerprint table, not IMU data");
      return d;  // confidence 0
    }
    std::vector<AxisGuess> axes;
    for (size_t c = 0; c < sniff.header.size(); ++c)
      if (auto a = axis_of(sniff.header[c], c); a && column_is_numeric(sniff, c))
        axes.push_back(*a);
    if (axes.empty() && !sniff.has_header) {
      // No names: 3 or 6 numeric columns are taken as accelerometer (and gyroscope) axes.
      std::vector<size_t> numeric;
      for (size_t c = 0; c < sniff.header.size(); ++c)
        if (column_is_numeric(sniff, c)) numeric.push_back(c);
      if (numeric.size() == 3 || numeric.size() == 6)
        for (size_t i = 0; i < numeric.size(); ++i)
          axes.push_back({numeric[i], i < 3 ? "acc" : "gyro", char('x' + i % 3)});
      if (!axes.empty())
        d.notes.push_back("no header: numeric columns taken as accelerometer" +
                          std::string(numeric.size() == 6 ? " and gyroscope" : "") + " axes");
    }
    if (axes.empty()) {
      d.notes.push_back("no accelerometer or gyroscope columns recognized");
      return d;
    }
    json mapping = {{"kind", "imu"},
                    {"delimiter", std::string(1, sniff.delimiter)},
                    {"header", sniff.has_header}};
    json channels = json::array();
    for (const char* sensor : {"acc", "gyro", "mag"}) {
      std::vector<size_t> cols;
      for (const auto& a : axes)
        if (a.sensor == sensor) cols.push_back(a.column);
      if (cols.empty()) continue;
      std::string unit = unit_from_name(sniff.header[cols[0]]);
      std::string how = "from the column name";
      if (unit.empty()) {
        how = "from the value range";
        unit = std::string(sensor) == "acc"    ? guess_acc_unit(sniff, cols)
               : std::string(sensor) == "gyro" ? guess_gyro_unit(sniff, cols)
                                               : "uT";
      }
      const char prefix = std::string(sensor) == "acc"    ? 'a'
                          : std::string(sensor) == "gyro" ? 'g'
                                                          : 'm';
      for (const auto& a : axes)
        if (a.sensor == sensor)
          channels.push_back({{"column", sniff.header[a.column]},
                              {"name", std::string(1, prefix) + a.axis},
                              {"unit", unit}});
      d.notes.push_back(std::string(sensor == std::string("acc")    ? "accelerometer"
                                    : sensor == std::string("gyro") ? "gyroscope"
                                                                    : "magnetometer") +
                        ": " + std::to_string(cols.size()) + " axes in " + unit + " (" + how + ")");
    }
    mapping["channels"] = channels;
    if (auto t = find_column(
            sniff, {"t", "time", "timestamp", "ts", "times", "timesec", "times", "timems", "timeus",
                    "timens", "timestampms", "timestampus", "timestampns", "elapsed", "elapsedms",
                    "seconds", "millis", "tms", "ts"})) {
      std::string unit = guess_time_unit(sniff, *t, d.notes);
      mapping["time"] = {{"column", sniff.header[*t]}, {"unit", unit}};
      if (unit != "index") d.notes.push_back("time: column '" + sniff.header[*t] + "' in " + unit);
    } else {
      mapping["time"] = nullptr;
      d.notes.push_back("time: no time column; the sample rate must be given (sample_rate_hz)");
    }
    if (auto c = find_column(sniff, {"label", "gesture", "activity", "class", "action", "category",
                                     "annotation", "movement"})) {
      mapping["label"] = {{"columns", {sniff.header[*c]}}};
      d.notes.push_back("label: column '" + sniff.header[*c] + "'");
    } else {
      mapping["label"] = nullptr;
      d.notes.push_back("label: none found; give one per file or pick a column");
    }
    if (auto c = find_column(sniff, {"subject", "person", "user", "participant", "userid",
                                     "subjectid", "personid", "participantid"})) {
      mapping["subject"] = {{"columns", {sniff.header[*c]}}};
      d.notes.push_back("person: column '" + sniff.header[*c] +
                        "' (splits keep each person together)");
    } else {
      // Without a person column, each file is taken as one person's recordings: the leak-free
      // choice for splits, since windows of one file never land in two splits.
      mapping["subject"] = {{"from_filename", R"(^(.+?)\.[^.]*$)"}};
      d.notes.push_back(
          "person: one per file (from the file name); pick a column if a file holds several");
    }
    if (auto c = find_column(sniff, {"session", "trial", "run", "recording"}))
      mapping["session"] = {{"columns", {sniff.header[*c]}}};
    if (auto c = find_column(sniff, {"sampleid", "sample", "segment", "segmentid", "sequence",
                                     "seq", "windowid", "recordingid"})) {
      mapping["series_by"] = {sniff.header[*c]};
      d.notes.push_back("recordings: a new one starts when '" + sniff.header[*c] + "' changes");
    }
    d.mapping = data::merge_mapping(mapping, overrides);
    auto check = data::mapping_from_json(d.mapping);
    if (!check) d.notes.push_back("mapping needs attention: " + check.error().to_string());
    d.confidence = sniff.has_header ? 80 : 40;
    return d;
  }
};

}  // namespace

std::unique_ptr<data::Importer> make_imu_csv_importer() {
  return std::make_unique<ImuCsvImporter>();
}

}  // namespace tinyllm::plugins
