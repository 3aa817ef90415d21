// IMU CSV importer: guesses time, accelerometer/gyroscope/magnetometer axes, units, labels,
// people and sessions from the header and the first rows, then reads through the mapped engine.
#include <cmath>
#include <optional>
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

// Readings beyond these are not measurements (a +-16 g sensor reads 16,000 mg; fast gyroscopes
// top out near 4,000 deg/s): unit guesses leave them out with NaN and inf.
constexpr double kMaxPlausibleAcc = 1e5;
constexpr double kMaxPlausibleGyro = 1e4;

struct UnitGuess {
  std::string unit;
  std::string why;
};

std::string number_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string left_out(size_t skipped, const char* what) {
  return skipped ? "; " + std::to_string(skipped) + " " + what +
                       " with missing, non-finite or implausible readings left out"
                 : "";
}

// Units from the values when the name does not say: |a| near 1 is g, near 1000 mg, near 9.8
// m/s^2. The median over complete, finite, plausible rows: NaN, inf and spikes cannot move it.
UnitGuess guess_acc_unit(const data::CsvSniff& sniff, const std::vector<size_t>& cols) {
  std::vector<double> norms;
  size_t skipped = 0;
  for (const auto& row : sniff.rows) {
    double sum = 0;
    bool ok = true;
    for (size_t c : cols) {
      double v;
      if (c >= row.size() || !data::parse_number(row[c], v) || !std::isfinite(v) ||
          std::fabs(v) > kMaxPlausibleAcc) {
        ok = false;
        break;
      }
      sum += v * v;
    }
    if (ok) {
      norms.push_back(std::sqrt(sum));
    } else {
      ++skipped;
    }
  }
  if (norms.empty()) return {"g", "no complete readings in the first rows; g assumed"};
  const double m = median(norms);
  const std::string unit = m > 100 ? "mg" : m > 3 ? "m/s^2" : "g";
  return {unit, "no unit in the column names; the median |a| over " + std::to_string(norms.size()) +
                    " rows is " + number_text(m) + left_out(skipped, "rows")};
}

// Rotation rates beyond ~35 rad/s (2000 deg/s) do not occur, so larger values are deg/s. The
// 99th percentile, not the maximum, so that a few spikes do not decide.
UnitGuess guess_gyro_unit(const data::CsvSniff& sniff, const std::vector<size_t>& cols) {
  std::vector<double> magnitudes;
  size_t skipped = 0;
  for (size_t c : cols)
    for (double v : column_values(sniff, c)) {
      if (std::fabs(v) > kMaxPlausibleGyro) {
        ++skipped;
        continue;
      }
      magnitudes.push_back(std::fabs(v));
    }
  const size_t count = magnitudes.size();
  const double high = quantile(std::move(magnitudes), 0.99);
  return {high > 35 ? "deg/s" : "rad/s", "no unit in the column names; 99% of " +
                                             std::to_string(count) + " readings are within " +
                                             number_text(high) + left_out(skipped, "readings")};
}

// Time unit from name suffix, else from the values: a counter, epoch times, or step sizes.
// Sets `guessed` when only the values said it.
std::string guess_time_unit(const data::CsvSniff& sniff, size_t column,
                            std::vector<std::string>& notes, std::optional<data::Guess>& guessed) {
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
  const double first = std::fabs(values.front());
  const std::string epoch_why = "no unit in the name; the first value " + number_text(first) +
                                " looks like a date in this unit since 1970";
  auto guess = [&](const char* unit, const std::string& why) {
    guessed = data::Guess{"time unit of '" + sniff.header[column] + "': " + unit, why};
    return std::string(unit);
  };
  if (first > 1e17) return guess("ns", epoch_why);
  if (first > 1e14) return guess("us", epoch_why);
  if (first > 1e11) return guess("ms", epoch_why);
  if (first > 1e8) return guess("s", epoch_why);
  const double step = median(steps);
  const std::string step_why =
      "no unit in the name; the typical step is " + number_text(step) + ", taken as ";
  if (step >= 1000) return guess("us", step_why + "about 1 ms in us");
  if (step >= 1) return guess("ms", step_why + "1-100 ms in ms");
  return guess("s", step_why + "seconds");
}

// Axes named only x, y, z (some phone apps): the first triple is the accelerometer, a second
// one the gyroscope. Order is the only evidence, so it is a guess.
std::vector<AxisGuess> bare_xyz_axes(const data::CsvSniff& sniff) {
  std::vector<AxisGuess> axes;
  const char* sensors[] = {"acc", "gyro", "mag"};
  size_t triple = 0;
  for (size_t c = 0; c + 2 < sniff.header.size() && triple < 3; ++c) {
    if (squash(sniff.header[c]) == "x" && squash(sniff.header[c + 1]) == "y" &&
        squash(sniff.header[c + 2]) == "z") {
      for (size_t k = 0; k < 3; ++k)
        axes.push_back({c + k, sensors[triple], char('x' + k)});
      ++triple;
      c += 2;
    }
  }
  return axes;
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
    // Channels the user gave win over anything found here (and over "looks like RSSI").
    const bool channels_given = overrides.is_object() && overrides.contains("channels");
    if (looks_like_rssi(sniff) && !channels_given) {
      d.notes.push_back("this looks like a WiFi/BLE fingerprint table, not IMU data");
      return d;  // confidence 0
    }
    TINYLLM_TRY_ASSIGN(axes, find_axes(file, sniff, d, channels_given));
    if (axes.empty() && !channels_given) {
      d.notes.push_back("no accelerometer or gyroscope columns recognized");
      return d;
    }
    json mapping = {{"kind", "imu"},
                    {"delimiter", std::string(1, sniff.delimiter)},
                    {"header", sniff.has_header}};
    mapping["channels"] = channel_mapping(sniff, axes, d);
    add_time(sniff, mapping, d);
    add_groups(sniff, mapping, d);
    d.mapping = data::merge_mapping(mapping, overrides);
    auto check = data::mapping_from_json(d.mapping);
    if (!check) d.notes.push_back("mapping needs attention: " + check.error().to_string());
    d.confidence = sniff.has_header ? 80 : 40;
    return d;
  }

 private:
  // Axis columns by name, by position (bare x,y,z) or, without a header, by count (3 or 6
  // numeric columns). Two columns for one axis are refused unless the user mapped the channels.
  static Result<std::vector<AxisGuess>> find_axes(const fs::path& file, const data::CsvSniff& sniff,
                                                  data::Detection& d, bool channels_given) {
    std::vector<AxisGuess> axes;
    for (size_t c = 0; c < sniff.header.size(); ++c) {
      auto a = axis_of(sniff.header[c], c);
      if (!a) continue;
      // A named axis is kept even with some text in it: the reader then counts those rows as
      // broken (and fails past the limit) instead of the column vanishing without a word.
      const double share = numeric_share(sniff, c);
      if (share < 0.5) {
        d.notes.push_back("column '" + sniff.header[c] +
                          "' is named like an axis but most of its cells are not numbers; left "
                          "out");
        continue;
      }
      if (share < 0.9)
        d.notes.push_back("warning: column '" + sniff.header[c] +
                          "': " + std::to_string(int(std::lround(100 * (1 - share)))) +
                          "% of the first rows are not numbers; those rows count as broken");
      axes.push_back(*a);
    }
    if (axes.empty() && sniff.has_header) {
      axes = bare_xyz_axes(sniff);
      if (!axes.empty())
        d.guesses.push_back({axes.size() > 3 ? "columns x,y,z: accelerometer, then gyroscope"
                                             : "columns x,y,z: accelerometer",
                             "the column names do not say which sensor; taken by their order"});
    }
    if (axes.empty() && !sniff.has_header) {
      // No names: 3 or 6 numeric columns are taken as accelerometer (and gyroscope) axes.
      std::vector<size_t> numeric;
      for (size_t c = 0; c < sniff.header.size(); ++c)
        if (column_is_numeric(sniff, c)) numeric.push_back(c);
      if (numeric.size() == 3 || numeric.size() == 6)
        for (size_t i = 0; i < numeric.size(); ++i)
          axes.push_back({numeric[i], i < 3 ? "acc" : "gyro", char('x' + i % 3)});
      if (!axes.empty())
        d.guesses.push_back({"numeric columns: accelerometer" +
                                 std::string(numeric.size() == 6 ? " and gyroscope" : "") + " axes",
                             "the file has no header; " + std::to_string(numeric.size()) +
                                 " numeric columns taken in order as x, y, z"});
    }
    if (channels_given) return axes;
    for (size_t i = 0; i < axes.size(); ++i)
      for (size_t k = i + 1; k < axes.size(); ++k)
        if (axes[i].sensor == axes[k].sensor && axes[i].axis == axes[k].axis) {
          const std::string& a = sniff.header[axes[i].column];
          const std::string& b = sniff.header[axes[k].column];
          return make_error(
              file.filename().string(),
              "columns " + std::to_string(axes[i].column + 1) + " '" + a + "' and " +
                  std::to_string(axes[k].column + 1) + " '" + b + "' both look like " +
                  axes[i].sensor + " " + axes[i].axis +
                  "; give a mapping that says which column is which, naming columns by number "
                  "(\"channels\": [{\"column\": \"" +
                  std::to_string(axes[k].column + 1) + "\", \"name\": \"gx\", \"unit\": ...}])");
        }
    return axes;
  }

  static json channel_mapping(const data::CsvSniff& sniff, const std::vector<AxisGuess>& axes,
                              data::Detection& d) {
    json channels = json::array();
    for (const char* sensor : {"acc", "gyro", "mag"}) {
      const std::string kind = sensor;
      std::vector<size_t> cols;
      for (const auto& a : axes)
        if (a.sensor == kind) cols.push_back(a.column);
      if (cols.empty()) continue;
      const std::string label = kind == "acc"    ? "accelerometer"
                                : kind == "gyro" ? "gyroscope"
                                                 : "magnetometer";
      std::string unit = unit_from_name(sniff.header[cols[0]]);
      std::string how = "from the column name";
      if (unit.empty()) {
        how = "guessed from the values";
        UnitGuess g = kind == "acc"    ? guess_acc_unit(sniff, cols)
                      : kind == "gyro" ? guess_gyro_unit(sniff, cols)
                                       : UnitGuess{"uT", "no unit in the column names"};
        unit = g.unit;
        d.guesses.push_back({label + " unit: " + unit, g.why});
      }
      const char prefix = kind == "acc" ? 'a' : kind == "gyro" ? 'g' : 'm';
      for (const auto& a : axes)
        if (a.sensor == kind)
          channels.push_back({{"column", column_ref(sniff, a.column)},
                              {"name", std::string(1, prefix) + a.axis},
                              {"unit", unit}});
      d.notes.push_back(label + ": " + std::to_string(cols.size()) + " axes in " + unit + " (" +
                        how + ")");
    }
    return channels;
  }

  static void add_time(const data::CsvSniff& sniff, json& mapping, data::Detection& d) {
    auto t = find_column(sniff, {"t", "time", "timestamp", "ts", "times", "timesec", "timems",
                                 "timeus", "timens", "timestampms", "timestampus", "timestampns",
                                 "elapsed", "elapsedms", "seconds", "millis", "tms"});
    if (!t) {
      mapping["time"] = nullptr;
      d.notes.push_back("time: no time column; the sample rate must be given (sample_rate_hz)");
      return;
    }
    std::optional<data::Guess> guessed;
    const std::string unit = guess_time_unit(sniff, *t, d.notes, guessed);
    mapping["time"] = {{"column", column_ref(sniff, *t)}, {"unit", unit}};
    if (unit != "index") d.notes.push_back("time: column '" + sniff.header[*t] + "' in " + unit);
    if (guessed) d.guesses.push_back(*guessed);
  }

  // Label, person, session and recording columns, found by name.
  static void add_groups(const data::CsvSniff& sniff, json& mapping, data::Detection& d) {
    if (auto c = find_column(sniff, {"label", "gesture", "activity", "class", "action", "category",
                                     "annotation", "movement"})) {
      mapping["label"] = {{"columns", {column_ref(sniff, *c)}}};
      d.notes.push_back("label: column '" + sniff.header[*c] + "'");
    } else {
      mapping["label"] = nullptr;
      d.notes.push_back("warning: label: none found; give one per file or pick a column");
    }
    auto session = find_column(sniff, {"session", "trial", "run", "recording"});
    if (auto c = find_column(sniff, {"subject", "person", "user", "participant", "userid",
                                     "subjectid", "personid", "participantid"})) {
      mapping["subject"] = {{"columns", {column_ref(sniff, *c)}}};
      d.notes.push_back("person: column '" + sniff.header[*c] +
                        "' (splits keep each person together)");
    } else {
      // No person column: one unknown person, not one per file (a file is often one recording
      // of the same person). Splits then keep sessions or recordings apart.
      mapping["subject"] = nullptr;
      d.guesses.push_back(
          {"person: one unknown person for every file",
           "no person/subject/user column; splits will keep each " +
               std::string(session ? "session" : "recording") +
               " together (set 'subject' in the mapping if the files hold several people)"});
    }
    if (session) {
      mapping["session"] = {{"columns", {column_ref(sniff, *session)}}};
      d.notes.push_back("session: column '" + sniff.header[*session] + "'");
    }
    if (auto c = find_column(sniff, {"sampleid", "sample", "segment", "segmentid", "sequence",
                                     "seq", "windowid", "recordingid"})) {
      mapping["series_by"] = {column_ref(sniff, *c)};
      d.notes.push_back("recordings: a new one starts when '" + sniff.header[*c] + "' changes");
    }
  }
};

}  // namespace

std::unique_ptr<data::Importer> make_imu_csv_importer() {
  return std::make_unique<ImuCsvImporter>();
}

}  // namespace tinyllm::plugins
