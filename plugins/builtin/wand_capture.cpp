// TensorFlow Lite Micro "magic wand" captures: terminal logs (CRLF, escape sequences) where a
// line "-,-,-" starts a gesture and each data line is "x,y,z" in milli-g at ~25 Hz. The file
// name says the gesture and the person: output_<gesture>_<person>.txt. As in the original
// pipeline, only lines with exactly three comma-separated fields count; other lines are ignored.
#include <regex>

#include "builtin_importers.h"
#include "data/mapping.h"

namespace tinyllm::plugins {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kLabelRegex = R"(^output_([a-z]+)_)";
// The person is a name (letters only): the "negative" captures are numbered instead
// (output_negative_1.txt, output_negative_ccw_2.txt), and those numbers are recordings, not people;
// they get no person, so the split keeps each one whole by recording.
constexpr const char* kSubjectRegex = R"(^output_[a-z]+_([A-Za-z]+)\.[A-Za-z]+$)";

std::string match_group(const std::string& regex, const std::string& text) {
  std::smatch m;
  if (std::regex_search(text, m, std::regex(regex)) && m.size() > 1) return m[1].str();
  return {};
}

class WandCaptureImporter : public data::Importer {
 public:
  std::string id() const override { return "wand-capture"; }
  std::string description() const override {
    return "TF Micro magic-wand captures: '-,-,-' starts a gesture, x,y,z in mg, 25 Hz";
  }

  Result<data::Detection> detect(const fs::path& file, const json& overrides) const override {
    data::Detection d;
    d.importer = id();
    TINYLLM_TRY_ASSIGN(reader, data::LineReader::open(file));
    std::string_view line;
    size_t markers = 0, data_lines = 0;
    d.columns = {"x (mg)", "y (mg)", "z (mg)"};
    while (reader.line_number() < 400 && reader.next(line)) {
      line = data::trim(line);  // some captures indent the marker: " -,-,-"
      if (line == "-,-,-") {
        ++markers;
      } else if (markers && std::count(line.begin(), line.end(), ',') == 2) {
        ++data_lines;
        if (d.rows.size() < 20) {
          std::vector<std::string_view> f;
          std::string scratch;
          data::split_fields(line, ',', f, scratch);
          d.rows.push_back({std::string(f[0]), std::string(f[1]), std::string(f[2])});
        }
      }
    }
    if (!reader.status().ok() &&
        reader.status().error().message.find("changed") == std::string::npos)
      return reader.status().error();
    if (markers == 0 || data_lines == 0) {
      d.notes.push_back("no '-,-,-' gesture markers followed by x,y,z lines");
      return d;
    }
    const std::string name = file.filename().string();
    json mapping = {{"kind", "imu"},
                    {"sample_rate_hz", 25.0},
                    {"unit", "mg"},
                    {"label", {{"from_filename", kLabelRegex}}},
                    {"subject", {{"from_filename", kSubjectRegex}}}};
    d.mapping = data::merge_mapping(mapping, overrides);
    d.notes.push_back("magic-wand capture: gestures start at '-,-,-', x,y,z in milli-g");
    if (!overrides.is_object() || !overrides.contains("sample_rate_hz"))
      d.guesses.push_back({"sample rate: 25 Hz",
                           "the capture board's setting in the magic-wand example; the file has "
                           "no time stamps, so set sample_rate_hz if your board differs"});
    const json& label_source = d.mapping["label"];
    const json& subject_source = d.mapping["subject"];
    std::string label = label_source.is_object() && label_source.contains("value")
                            ? label_source["value"].get<std::string>()
                            : match_group(label_source.value("from_filename", ""), name);
    std::string subject = subject_source.is_object() && subject_source.contains("value")
                              ? subject_source["value"].get<std::string>()
                              : match_group(subject_source.value("from_filename", ""), name);
    if (label.empty())
      d.notes.push_back("warning: the file name '" + name +
                        "' does not say the gesture (output_<gesture>_<person>.txt): the "
                        "gestures are imported without labels; set label.value");
    else
      d.notes.push_back("label from the file name: '" + label + "', person: " +
                        (subject.empty() ? std::string("none (the name is not a person's name)")
                                         : "'" + subject + "'"));
    if (label_source.is_object() && label_source.contains("from_filename") && !label.empty())
      d.guesses.push_back({"label and person from the file name",
                           "the capture files hold only numbers; their names are taken as "
                           "output_<gesture>_<person>.txt"});
    d.confidence = 95;
    return d;
  }

  Status read(const fs::path& file, const json& mapping, const data::ImportOptions& options,
              data::SeriesSink& sink) const override {
    const double rate = mapping.value("sample_rate_hz", 25.0);
    const std::string unit = mapping.value("unit", "mg");
    const bool si = mapping.value("convert_to_si", false);
    double scale = 1;
    std::string out_unit = unit;
    if (si)
      if (auto f = data::si_factor(unit, &out_unit)) scale = *f;
    data::Schema schema;
    schema.kind = data::SensorKind::imu;
    schema.sample_rate_hz = rate;
    schema.channels = {{"ax", out_unit}, {"ay", out_unit}, {"az", out_unit}};
    TINYLLM_TRY(sink.begin_file(file, schema));
    const std::string name = file.filename().string();
    auto text_of = [&](const char* field) {
      const json& f = mapping.contains(field) ? mapping[field] : json();
      if (f.is_object() && f.contains("value")) return f["value"].get<std::string>();
      if (f.is_object() && f.contains("from_filename"))
        return match_group(f["from_filename"].get<std::string>(), name);
      return std::string();
    };
    const std::string label = text_of("label"), subject = text_of("subject");
    const int32_t label_id = label.empty() ? data::kNoLabel : sink.intern_label(label);
    std::string series_prefix = file.stem().string();
    if (series_prefix.rfind("output_", 0) == 0) series_prefix.erase(0, 7);

    TINYLLM_TRY_ASSIGN(reader, data::LineReader::open(file));
    data::Report& report = sink.report();
    data::Series current;
    size_t segment = 0;
    uint64_t ignored = 0, orphan = 0, rows = 0, bad = 0;
    std::string first_bad;
    bool in_segment = false;
    auto flush = [&]() -> Status {
      if (current.rows() == 0) return {};
      current.origin = name + ":" + std::to_string(current.lines.front()) + "-" +
                       std::to_string(current.lines.back());
      Status st = sink.add(std::move(current));
      current = data::Series{};
      return st;
    };
    std::string_view line;
    std::vector<std::string_view> fields;
    std::string scratch;
    while (reader.next(line)) {
      line = data::trim(line);
      if (line == "-,-,-") {
        TINYLLM_TRY(flush());
        char id[32];
        std::snprintf(id, sizeof id, "_%03zu", segment++);
        // The file name names the series (subject may be empty: a numbered negative capture).
        current.id = series_prefix + id;
        current.subject = subject;
        in_segment = true;
        continue;
      }
      if (std::count(line.begin(), line.end(), ',') != 2) {
        ++ignored;
        continue;
      }
      if (!in_segment) {
        ++orphan;
        continue;
      }
      data::split_fields(line, ',', fields, scratch);
      double v[3];
      size_t bad_col = 0;
      for (size_t c = 0; c < 3 && !bad_col; ++c)
        if (!data::parse_number(fields[c], v[c])) bad_col = c + 1;
      ++rows;
      if (bad_col) {
        ++bad;
        if (first_bad.empty()) first_bad = reader.where(reader.line_number(), bad_col);
        std::string why = "'" + std::string(fields[bad_col - 1]) + "' is not a number (axis " +
                          char('x' + bad_col - 1) + ")";
        if (options.on_bad_row == data::BadRowPolicy::fail)
          return make_error(reader.where(reader.line_number(), bad_col), why);
        report.add(data::Severity::warning, "bad_row", reader.where(reader.line_number(), bad_col),
                   why + "; row skipped");
        continue;
      }
      if (current.rows() >= options.max_series_rows) {
        std::string id = current.id;
        TINYLLM_TRY(flush());
        current.id = id + "+";
        current.subject = subject;
      }
      for (double x : v)
        current.values.push_back(float(x * scale));
      current.labels.push_back(label_id);
      current.lines.push_back(reader.line_number());
    }
    TINYLLM_TRY(reader.status());
    TINYLLM_TRY(flush());
    if (segment == 0) return make_error(file.string(), "no '-,-,-' gesture markers in the file");
    if (double(bad) > options.max_bad_row_share * double(std::max<uint64_t>(rows, 1)))
      return make_error(file.string(), std::to_string(bad) + " of " + std::to_string(rows) +
                                           " data lines are broken; the first is at " + first_bad);
    if (ignored)
      report.add(
          data::Severity::info, "ignored_lines", name,
          std::to_string(ignored) + " lines that are not x,y,z data (terminal output) ignored");
    if (orphan)
      report.add(data::Severity::info, "ignored_lines", name,
                 std::to_string(orphan) + " x,y,z lines before the first '-,-,-' marker ignored");
    return {};
  }
};

}  // namespace

std::unique_ptr<data::Importer> make_wand_capture_importer() {
  return std::make_unique<WandCaptureImporter>();
}

}  // namespace tinyllm::plugins
