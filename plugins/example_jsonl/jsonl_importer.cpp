// Example importer plugin: IMU logs in JSON Lines. See README.md beside this file.
#include <nlohmann/json.hpp>

#include "data/csv.h"
#include "data/importer.h"

namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace tinyllm;

class JsonLinesImuImporter : public data::Importer {
 public:
  std::string id() const override { return "example-jsonl"; }
  std::string description() const override {
    return "example plugin: IMU logs as JSON Lines {\"t\":..,\"ax\":..,\"label\":..}";
  }

  Result<data::Detection> detect(const fs::path& file, const json& overrides) const override {
    data::Detection d;
    d.importer = id();
    TINYLLM_TRY_ASSIGN(reader, data::LineReader::open(file));
    std::string_view line;
    if (!reader.next(line)) return d;
    json first = json::parse(line, nullptr, false);
    if (!first.is_object() || !first.contains("t")) {
      d.notes.push_back("not JSON Lines with a \"t\" field");
      return d;
    }
    std::vector<std::string> channels;
    for (const auto& [key, value] : first.items())
      if (value.is_number() && key != "t") channels.push_back(key);
    d.columns = channels;
    d.mapping = {{"kind", "imu"}, {"channels", channels}};
    if (overrides.is_object()) d.mapping.merge_patch(overrides);
    d.notes.push_back("JSON Lines IMU log with " + std::to_string(channels.size()) + " channels");
    d.confidence = 90;
    return d;
  }

  Status read(const fs::path& file, const json& mapping, const data::ImportOptions& options,
              data::SeriesSink& sink) const override {
    const auto names = mapping.at("channels").get<std::vector<std::string>>();
    data::Schema schema;
    for (const auto& n : names)
      schema.channels.push_back({n, n.empty() ? "" : n[0] == 'g' ? "rad/s" : "m/s^2"});
    TINYLLM_TRY(sink.begin_file(file, schema));
    TINYLLM_TRY_ASSIGN(reader, data::LineReader::open(file));
    data::Series current;
    std::string_view line;
    auto flush = [&]() -> Status {
      if (current.rows() == 0) return {};
      current.origin = file.filename().string() + ":" + std::to_string(current.lines.front()) +
                       "-" + std::to_string(current.lines.back());
      Status st = sink.add(std::move(current));
      current = data::Series{};
      return st;
    };
    while (reader.next(line)) {
      if (data::trim(line).empty()) continue;
      json row = json::parse(line, nullptr, false);
      const std::string where = reader.where(reader.line_number());
      if (!row.is_object() || !row.contains("t") || !row["t"].is_number()) {
        if (options.on_bad_row == data::BadRowPolicy::fail)
          return make_error(where, "not a JSON object with a numeric \"t\"");
        sink.report().add(data::Severity::warning, "bad_row", where,
                          "not a JSON object with a numeric \"t\"; row skipped");
        continue;
      }
      std::string subject = row.value("subject", "");
      if (current.rows() &&
          (subject != current.subject || current.rows() >= options.max_series_rows))
        TINYLLM_TRY(flush());
      if (current.rows() == 0) {
        current.id = file.stem().string() + (subject.empty() ? "" : "_" + subject);
        current.subject = subject;
      }
      current.time_s.push_back(row["t"].get<double>());
      for (const auto& n : names)
        current.values.push_back(row.contains(n) && row[n].is_number() ? row[n].get<float>() : NAN);
      std::string label = row.value("label", "");
      current.labels.push_back(label.empty() ? data::kNoLabel : sink.intern_label(label));
      current.lines.push_back(reader.line_number());
    }
    TINYLLM_TRY(reader.status());
    return flush();
  }
};

}  // namespace

extern "C" {
__attribute__((visibility("default"))) int tinyllm_plugin_abi_version() {
  return TINYLLM_PLUGIN_ABI_VERSION;
}
__attribute__((visibility("default"))) void tinyllm_register_plugin(
    tinyllm::data::PluginRegistry& registry) {
  registry.add_importer(std::make_unique<JsonLinesImuImporter>());
}
}
