#include "data/mapping.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <regex>
#include <unordered_map>

#include "data/csv.h"
#include "settings/settings.h"

namespace tinyllm::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kKnownUnits[] = {"",       "m/s^2", "g",  "mg", "rad/s", "deg/s",
                             "mdeg/s", "dBm",   "uT", "m",  "hPa",   "degC"};

Result<std::vector<ColumnMap>> column_maps(const json& j, const char* field) {
  std::vector<ColumnMap> out;
  auto it = j.find(field);
  if (it == j.end()) return out;
  if (!it->is_array())
    return make_error(std::string("mapping: field '") + field + "'", "must be a list");
  for (size_t i = 0; i < it->size(); ++i) {
    const auto& c = (*it)[i];
    const std::string where =
        std::string("mapping: field '") + field + "[" + std::to_string(i) + "]'";
    if (!c.is_object() || !c.contains("column")) return make_error(where, "needs a 'column'");
    ColumnMap m;
    m.column = c["column"].is_number() ? std::to_string(c["column"].get<int>())
                                       : c["column"].get<std::string>();
    m.name = c.value("name", m.column);
    m.unit = c.value("unit", "");
    if (std::find(std::begin(kKnownUnits), std::end(kKnownUnits), m.unit) == std::end(kKnownUnits))
      return make_error(where + ".unit", "unknown unit '" + m.unit +
                                             "' (known: m/s^2 g mg rad/s deg/s mdeg/s dBm uT m)");
    out.push_back(std::move(m));
  }
  return out;
}

Result<FieldSource> field_source(const json& j, const char* field) {
  FieldSource f;
  auto it = j.find(field);
  if (it == j.end() || it->is_null()) return f;
  const std::string where = std::string("mapping: field '") + field + "'";
  if (it->is_string()) {
    f.columns = {it->get<std::string>()};
    return f;
  }
  if (!it->is_object()) return make_error(where, "must be an object");
  if (it->contains("column")) f.columns = {(*it)["column"].get<std::string>()};
  if (it->contains("columns")) f.columns = (*it)["columns"].get<std::vector<std::string>>();
  f.format = it->value("format", "");
  f.value = it->value("value", "");
  f.from_filename = it->value("from_filename", "");
  if (!f.from_filename.empty()) {
    try {
      std::regex re(f.from_filename);
      if (re.mark_count() < 1)
        return make_error(where + ".from_filename", "the regex needs one (group)");
    } catch (const std::regex_error& e) {
      return make_error(where + ".from_filename", std::string("invalid regex: ") + e.what());
    }
  }
  return f;
}

}  // namespace

std::optional<double> seconds_per_time_unit(const std::string& unit) {
  if (unit == "s") return 1.0;
  if (unit == "ms") return 1e-3;
  if (unit == "us") return 1e-6;
  if (unit == "ns") return 1e-9;
  return std::nullopt;
}

const std::vector<std::string>& mapping_keys() {
  static const std::vector<std::string> keys = {
      "kind",  "delimiter", "header",  "time",      "sample_rate_hz", "channels", "convert_to_si",
      "label", "subject",   "session", "series_by", "not_heard",      "targets"};
  return keys;
}

Status check_mapping_keys(const json& mapping, const std::string& where,
                          const std::vector<std::string>& extra_keys) {
  if (!mapping.is_object()) return {};
  std::vector<std::string> top = mapping_keys();
  for (const auto& k : extra_keys)
    if (std::find(top.begin(), top.end(), k) == top.end()) top.push_back(k);
  auto check = [&](const json& object, const std::vector<std::string>& valid,
                   const std::string& prefix) -> Status {
    for (const auto& [key, value] : object.items()) {
      if (std::find(valid.begin(), valid.end(), prefix + key) != valid.end()) continue;
      std::string list, nearest;
      size_t best = std::max<size_t>(2, key.size() / 3) + 1;
      for (const auto& v : valid) {
        list += (list.empty() ? "" : ", ") + v;
        if (size_t d = settings::edit_distance(prefix + key, v); d < best) {
          best = d;
          nearest = v;
        }
      }
      return make_error(where + ": " + prefix + key,
                        "unknown mapping key" +
                            (nearest.empty() ? "" : "; did you mean '" + nearest + "'?") +
                            " (valid: " + list + ")");
    }
    return {};
  };
  TINYLLM_TRY(check(mapping, top, ""));
  if (auto t = mapping.find("time"); t != mapping.end() && t->is_object())
    TINYLLM_TRY(check(*t, {"time.column", "time.unit"}, "time."));
  for (const char* field : {"label", "subject", "session"})
    if (auto f = mapping.find(field); f != mapping.end() && f->is_object()) {
      const std::string p = std::string(field) + ".";
      TINYLLM_TRY(check(
          *f, {p + "column", p + "columns", p + "format", p + "value", p + "from_filename"}, p));
    }
  if (auto sr = mapping.find("sample_rate_hz"); sr != mapping.end() && sr->is_number()) {
    const double hz = sr->get<double>();
    if (!(hz >= 0.001 && hz <= 1e6))
      return make_error(where + ": sample_rate_hz",
                        settings::format_value(*sr) + " is out of range [0.001, 1000000]");
  }
  return {};
}

Result<CsvMapping> mapping_from_json(const json& j) {
  if (!j.is_object()) return make_error("mapping", "must be a JSON object");
  TINYLLM_TRY(check_mapping_keys(j, "mapping"));
  CsvMapping m;
  try {
    auto kind = sensor_kind_from_string(j.value("kind", "imu"));
    if (!kind) return make_error("mapping: field 'kind'", "must be \"imu\" or \"rssi\"");
    m.kind = *kind;
    std::string delim = j.value("delimiter", ",");
    if (delim == "\\t" || delim == "tab") delim = "\t";
    if (delim.size() != 1) return make_error("mapping: field 'delimiter'", "must be one character");
    m.delimiter = delim[0];
    m.header = j.value("header", true);
    if (auto t = j.find("time"); t != j.end() && !t->is_null()) {
      m.time_column = t->value("column", "");
      m.time_unit = t->value("unit", "s");
      if (m.time_unit != "index" && !seconds_per_time_unit(m.time_unit))
        return make_error("mapping: field 'time.unit'",
                          "unknown time unit '" + m.time_unit + "' (s, ms, us, ns or index)");
    }
    m.sample_rate_hz = j.value("sample_rate_hz", 0.0);
    if (m.sample_rate_hz < 0)
      return make_error("mapping: field 'sample_rate_hz'", "must be positive");
    if (m.time_unit == "index" && m.sample_rate_hz <= 0)
      return make_error("mapping: field 'sample_rate_hz'",
                        "the time column counts samples, so the sample rate is needed "
                        "(e.g. \"sample_rate_hz\": 25)");
    TINYLLM_TRY_ASSIGN(channels, column_maps(j, "channels"));
    TINYLLM_TRY_ASSIGN(targets, column_maps(j, "targets"));
    m.channels = std::move(channels);
    m.targets = std::move(targets);
    if (m.channels.empty())
      return make_error("mapping: field 'channels'", "no sensor channels chosen");
    m.convert_to_si = j.value("convert_to_si", false);
    TINYLLM_TRY_ASSIGN(label, field_source(j, "label"));
    TINYLLM_TRY_ASSIGN(subject, field_source(j, "subject"));
    TINYLLM_TRY_ASSIGN(session, field_source(j, "session"));
    m.label = std::move(label);
    m.subject = std::move(subject);
    m.session = std::move(session);
    m.series_by = j.value("series_by", std::vector<std::string>{});
    if (auto nh = j.find("not_heard"); nh != j.end() && !nh->is_null())
      m.not_heard = nh->get<double>();
  } catch (const json::exception& e) {
    return make_error("mapping", std::string("a field has the wrong type: ") + e.what());
  }
  return m;
}

json to_json(const CsvMapping& m) {
  auto maps = [](const std::vector<ColumnMap>& v) {
    json a = json::array();
    for (const auto& c : v)
      a.push_back({{"column", c.column}, {"name", c.name}, {"unit", c.unit}});
    return a;
  };
  auto source = [](const FieldSource& f) -> json {
    if (f.empty()) return nullptr;
    json o = json::object();
    if (!f.columns.empty()) o["columns"] = f.columns;
    if (!f.format.empty()) o["format"] = f.format;
    if (!f.value.empty()) o["value"] = f.value;
    if (!f.from_filename.empty()) o["from_filename"] = f.from_filename;
    return o;
  };
  json j = {{"kind", to_string(m.kind)},
            {"delimiter", std::string(1, m.delimiter)},
            {"header", m.header},
            {"channels", maps(m.channels)},
            {"convert_to_si", m.convert_to_si},
            {"label", source(m.label)},
            {"subject", source(m.subject)},
            {"session", source(m.session)},
            {"series_by", m.series_by},
            {"targets", maps(m.targets)}};
  j["time"] = m.time_column.empty() ? json(nullptr)
                                    : json{{"column", m.time_column}, {"unit", m.time_unit}};
  if (m.sample_rate_hz > 0) j["sample_rate_hz"] = m.sample_rate_hz;
  if (m.not_heard) j["not_heard"] = *m.not_heard;
  return j;
}

json merge_mapping(json base, const json& overrides) {
  if (overrides.is_object()) base.merge_patch(overrides);
  return base;
}

namespace {

// Resolves mapping columns against the header; errors list the columns that exist.
class ColumnResolver {
 public:
  ColumnResolver(const std::vector<std::string>& header, const fs::path& file)
      : header_(header), file_(file) {}
  Result<size_t> operator()(const std::string& column, const std::string& field) const {
    std::vector<size_t> named;
    for (size_t i = 0; i < header_.size(); ++i)
      if (header_[i] == column) named.push_back(i);
    if (named.size() == 1) return named.front();
    if (named.size() > 1) {
      // Taking the first would silently read one column twice (a gyroscope as a copy of the
      // accelerometer): the mapping must say which one.
      std::string numbers;
      for (size_t i = 0; i < named.size(); ++i)
        numbers += (i == 0                  ? ""
                    : i + 1 == named.size() ? " and "
                                            : ", ") +
                   std::to_string(named[i] + 1);
      return make_error(file_.filename().string(),
                        "mapping field '" + field + "': " + std::to_string(named.size()) +
                            " columns are named '" + column + "' (columns " + numbers +
                            "); name the one you mean by its number, e.g. \"" +
                            std::to_string(named.back() + 1) + "\"");
    }
    size_t number = 0;
    auto [p, ec] = std::from_chars(column.data(), column.data() + column.size(), number);
    if (ec == std::errc() && p == column.data() + column.size() && number >= 1 &&
        number <= header_.size())
      return number - 1;
    std::string known;
    for (size_t i = 0; i < header_.size() && i < 12; ++i)
      known += (i ? ", " : "") + header_[i];
    if (header_.size() > 12) known += ", ... (" + std::to_string(header_.size()) + " in all)";
    return make_error(file_.filename().string(),
                      "mapping field '" + field + "': column '" + column +
                          "' is not in the file; its columns are: " + known);
  }

 private:
  const std::vector<std::string>& header_;
  const fs::path& file_;
};

std::string from_filename(const std::string& regex, const fs::path& file) {
  std::smatch m;
  std::string name = file.filename().string();
  if (std::regex_search(name, m, std::regex(regex)) && m.size() > 1) return m[1].str();
  return {};
}

struct ResolvedField {
  std::vector<size_t> columns;
  std::vector<std::string> names;
  std::string format;
  std::string fixed;
  bool per_row() const { return !columns.empty(); }
  std::string value(const std::vector<std::string_view>& fields) const {
    if (!per_row()) return fixed;
    if (format.empty()) {
      std::string out;
      for (size_t i = 0; i < columns.size(); ++i) {
        auto v = trim(fields[columns[i]]);
        if (v.empty()) return {};
        if (i) out += '-';
        out += v;
      }
      return out;
    }
    std::string out = format;
    for (size_t i = 0; i < columns.size(); ++i) {
      auto v = std::string(trim(fields[columns[i]]));
      if (v.empty()) return {};
      const std::string key = "{" + names[i] + "}";
      for (size_t pos; (pos = out.find(key)) != std::string::npos;)
        out.replace(pos, key.size(), v);
    }
    return out;
  }
};

Result<ResolvedField> resolve_field(const FieldSource& f, const ColumnResolver& resolve,
                                    const fs::path& file, const std::string& field) {
  ResolvedField r;
  for (const auto& c : f.columns) {
    TINYLLM_TRY_ASSIGN(index, resolve(c, field));
    r.columns.push_back(index);
    r.names.push_back(c);
  }
  r.format = f.format;
  r.fixed = !f.value.empty()           ? f.value
            : !f.from_filename.empty() ? from_filename(f.from_filename, file)
                                       : "";
  if (!f.from_filename.empty() && r.fixed.empty())
    return make_error(file.filename().string(),
                      "mapping field '" + field + ".from_filename': the regex '" + f.from_filename +
                          "' does not match the file name");
  return r;
}

// Catches timestamps whose unit changes inside a file (seconds, then milliseconds).
class TimeUnitGuard {
 public:
  bool check(double raw) {
    bool ok = true;
    if (has_prev_ && prev_ != 0 && raw != 0) {
      double ratio = std::fabs(raw / prev_);
      double step = std::fabs(raw - prev_);
      if ((ratio > 500 || ratio < 1.0 / 500) && typical_step_ > 0 && step > 100 * typical_step_)
        ok = false;
    }
    if (has_prev_ && raw > prev_ && steps_ < 32) {
      double step = raw - prev_;
      typical_step_ = steps_ == 0 ? step : std::min(std::max(typical_step_, step * 0.5), step * 2);
      ++steps_;
    }
    prev_ = raw;
    has_prev_ = true;
    return ok;
  }
  void reset() { has_prev_ = false; }
  double previous() const { return prev_; }

 private:
  double prev_ = 0, typical_step_ = 0;
  int steps_ = 0;
  bool has_prev_ = false;
};

}  // namespace

Status read_mapped_csv(const fs::path& file, const CsvMapping& mapping,
                       const ImportOptions& options, SeriesSink& sink) {
  TINYLLM_TRY_ASSIGN(sniff, sniff_csv(file, mapping.delimiter, mapping.header, 4));
  ColumnResolver resolve(sniff.header, file);
  const size_t columns = sniff.header.size();

  std::optional<size_t> time_col;
  std::optional<double> time_scale;
  if (!mapping.time_column.empty()) {
    TINYLLM_TRY_ASSIGN(tc, resolve(mapping.time_column, "time.column"));
    time_col = tc;
    time_scale = mapping.time_unit == "index" ? 1.0 / mapping.sample_rate_hz
                                              : *seconds_per_time_unit(mapping.time_unit);
  }
  Schema schema;
  schema.kind = mapping.kind;
  schema.sample_rate_hz = mapping.sample_rate_hz;
  std::vector<size_t> channel_cols;
  std::vector<double> channel_scale;
  for (size_t i = 0; i < mapping.channels.size(); ++i) {
    const auto& c = mapping.channels[i];
    TINYLLM_TRY_ASSIGN(col, resolve(c.column, "channels[" + std::to_string(i) + "]"));
    channel_cols.push_back(col);
    std::string unit = c.unit;
    double scale = 1;
    if (mapping.convert_to_si)
      if (auto f = si_factor(c.unit, &unit)) scale = *f;
    channel_scale.push_back(scale);
    schema.channels.push_back({c.name, unit});
  }
  std::vector<size_t> target_cols;
  for (size_t i = 0; i < mapping.targets.size(); ++i) {
    TINYLLM_TRY_ASSIGN(col,
                       resolve(mapping.targets[i].column, "targets[" + std::to_string(i) + "]"));
    target_cols.push_back(col);
    schema.targets.push_back({mapping.targets[i].name, mapping.targets[i].unit});
  }
  TINYLLM_TRY_ASSIGN(label, resolve_field(mapping.label, resolve, file, "label"));
  TINYLLM_TRY_ASSIGN(subject, resolve_field(mapping.subject, resolve, file, "subject"));
  TINYLLM_TRY_ASSIGN(session, resolve_field(mapping.session, resolve, file, "session"));
  std::vector<size_t> series_cols;
  for (const auto& c : mapping.series_by) {
    TINYLLM_TRY_ASSIGN(col, resolve(c, "series_by"));
    series_cols.push_back(col);
  }
  TINYLLM_TRY(sink.begin_file(file, schema));

  TINYLLM_TRY_ASSIGN(reader, LineReader::open(file));
  const std::string stem = file.stem().string();
  const size_t nc = schema.channels.size(), nt = schema.targets.size();
  const int32_t fixed_label =
      label.per_row() || label.fixed.empty() ? kNoLabel : sink.intern_label(label.fixed);
  Report& report = sink.report();
  Series current;
  std::string current_key;
  std::unordered_map<std::string, int> id_uses;
  uint64_t data_rows = 0, bad_rows = 0, labelled_rows = 0, series_part = 0;
  std::string first_bad_row;  // file:line[:column] of this file's first broken row
  TimeUnitGuard time_guard;

  auto flush = [&]() -> Status {
    if (current.rows() == 0) return {};
    current.origin = file.filename().string() + ":" + std::to_string(current.lines.front()) + "-" +
                     std::to_string(current.lines.back());
    Status st = sink.add(std::move(current));
    current = Series{};
    return st;
  };
  auto start_series = [&](const std::string& key, const std::string& subj,
                          const std::string& sess) {
    std::string id = key.empty() ? stem : key;
    if (int uses = id_uses[id]++; uses > 0) id += "#" + std::to_string(uses + 1);
    current.id = id;
    current.subject = subj;
    current.session = sess;
    time_guard.reset();
  };

  std::vector<std::string_view> fields;
  std::string scratch, key, record;
  std::string_view line;
  constexpr int kMaxLinesPerRecord = 16;  // line breaks inside one quoted field
  std::vector<float> row_values(nc), row_targets(nt);
  uint64_t next_progress = 0;
  while (reader.next(line)) {
    const uint64_t line_no = reader.line_number();
    if (line_no < sniff.first_data_line || trim(line).empty()) continue;
    if (options.progress && reader.bytes_read() >= next_progress) {
      if (!options.progress(reader.bytes_read(), reader.size()))
        return make_error(file.string(), "import cancelled");
      next_progress = reader.bytes_read() + (4 << 20);
    }
    ++data_rows;
    auto bad_row = [&](size_t column, const std::string& why) -> Status {
      ++bad_rows;
      std::string where = reader.where(line_no, column ? column : 0);
      if (first_bad_row.empty()) first_bad_row = where;
      if (options.on_bad_row == BadRowPolicy::fail)
        return make_error(where, why + " (the import stopped; nothing was changed)");
      report.add(Severity::warning, "bad_row", where, why + "; row skipped");
      return {};
    };
    if (!split_fields(line, mapping.delimiter, fields, scratch)) {
      // A quoted field may hold line breaks: join the next lines until the quote closes. The row
      // keeps the line it starts on; later rows keep their own physical line numbers.
      record.assign(line);
      bool closed = false;
      for (int extra = 0; extra < kMaxLinesPerRecord && !closed; ++extra) {
        std::string_view more;
        if (!reader.next(more)) break;
        record += '\n';
        record += more;
        closed = split_fields(record, mapping.delimiter, fields, scratch);
      }
      if (!closed) {
        TINYLLM_TRY(bad_row(0, "unterminated quote"));
        continue;
      }
    }
    if (fields.size() != columns) {
      TINYLLM_TRY(bad_row(0, "expected " + std::to_string(columns) + " fields, found " +
                                 std::to_string(fields.size())));
      continue;
    }
    bool ok = true;
    double t = 0;
    if (time_col) {
      if (!parse_number(fields[*time_col], t) || !std::isfinite(t)) {
        TINYLLM_TRY(bad_row(*time_col + 1, "time '" + std::string(trim(fields[*time_col])) +
                                               "' is not a number (column " +
                                               sniff.header[*time_col] + ")"));
        continue;
      }
    }
    for (size_t c = 0; c < nc && ok; ++c) {
      std::string_view cell = trim(fields[channel_cols[c]]);
      double v;
      if (cell.empty()) {
        v = NAN;  // a missing reading; cleaning reports and fills it
      } else if (!parse_number(cell, v)) {
        TINYLLM_TRY(bad_row(channel_cols[c] + 1, "'" + std::string(cell) +
                                                     "' is not a number (column " +
                                                     sniff.header[channel_cols[c]] + ")"));
        ok = false;
        break;
      }
      if (mapping.not_heard && v == *mapping.not_heard) v = NAN;
      row_values[c] = float(v * channel_scale[c]);
    }
    if (!ok) continue;
    for (size_t k = 0; k < nt && ok; ++k) {
      double v;
      if (!parse_number(fields[target_cols[k]], v)) {
        TINYLLM_TRY(bad_row(target_cols[k] + 1,
                            "target '" + std::string(trim(fields[target_cols[k]])) +
                                "' is not a number (column " + sniff.header[target_cols[k]] + ")"));
        ok = false;
      }
      row_targets[k] = float(v);
    }
    if (!ok) continue;

    std::string subj = subject.value(fields), sess = session.value(fields);
    key.clear();
    for (size_t c : series_cols) {
      key += trim(fields[c]);
      key += '/';
    }
    if (!key.empty()) key.pop_back();
    // A new series starts when the recording, the person or the session changes. Fingerprints are
    // independent rows: a device column there is per-row information, not a recording boundary.
    std::string boundary =
        key + '\x1f' + subj + '\x1f' + (mapping.kind == SensorKind::imu ? sess : std::string());
    if (current.rows() == 0 || boundary != current_key ||
        current.rows() >= options.max_series_rows) {
      if (current.rows() >= options.max_series_rows) ++series_part;
      TINYLLM_TRY(flush());
      current_key = boundary;
      // A person column can change within a file: each person's rows get their own series,
      // named after the file and the person. A fixed person (a value, or from the file name)
      // holds for the whole file, which then needs no suffix ("imu_p03", not "imu_p03_p03").
      const bool several_people = subject.per_row() && !subj.empty() && subj != stem;
      start_series(key.empty() && several_people ? stem + "_" + subj : key, subj, sess);
    }
    if (time_col) {
      if (!time_guard.check(t))
        return make_error(reader.where(line_no, *time_col + 1),
                          "timestamp " + std::string(trim(fields[*time_col])) + " after " +
                              std::to_string(time_guard.previous()) +
                              " changes scale by a factor of ~1000: the file mixes time units "
                              "(seconds and milliseconds?); fix the file or split it");
      current.time_s.push_back(t * *time_scale);
    }
    current.values.insert(current.values.end(), row_values.begin(), row_values.end());
    current.targets.insert(current.targets.end(), row_targets.begin(), row_targets.end());
    int32_t row_label = fixed_label;
    if (label.per_row()) {
      std::string text = label.value(fields);
      row_label = text.empty() ? kNoLabel : sink.intern_label(text);
    }
    labelled_rows += row_label != kNoLabel;
    current.labels.push_back(row_label);
    current.lines.push_back(line_no);
  }
  TINYLLM_TRY(reader.status());
  TINYLLM_TRY(flush());
  if (data_rows == 0) return make_error(file.string(), "the file has no data rows");
  if (bad_rows == data_rows)
    return make_error(file.string(),
                      "none of the " + std::to_string(data_rows) +
                          " rows could be read; check the delimiter and the mapping");
  if (double(bad_rows) > options.max_bad_row_share * double(data_rows))
    return make_error(file.string(), std::to_string(bad_rows) + " of " + std::to_string(data_rows) +
                                         " rows are broken (more than " +
                                         std::to_string(int(options.max_bad_row_share * 100)) +
                                         "%); check the mapping, the first is at " + first_bad_row);
  if (label.per_row() && labelled_rows == 0) {
    std::string cols;
    for (size_t i = 0; i < label.columns.size(); ++i)
      cols += (i ? ", " : "") + sniff.header[label.columns[i]] + " (column " +
              std::to_string(label.columns[i] + 1) + ")";
    return make_error(file.string(), "the label column " + cols + " is empty in all " +
                                         std::to_string(data_rows) +
                                         " rows; pick another label column or give one label "
                                         "for the whole file");
  }
  if (series_part)
    report.add(Severity::info, "long_series", file.filename().string(),
               "long recordings were cut into parts of " + std::to_string(options.max_series_rows) +
                   " rows to bound memory");
  return {};
}

}  // namespace tinyllm::data
