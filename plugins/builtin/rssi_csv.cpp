// RSSI fingerprint importer: wide tables with one column per access point or beacon, a "not
// heard" value, zone/room/floor/building labels and/or x,y positions.
#include <cmath>
#include <map>
#include <optional>
#include <regex>
#include <set>

#include "builtin_importers.h"
#include "column_guess.h"
#include "data/mapping.h"

namespace tinyllm::plugins {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

bool is_ap_column(const std::string& name) {
  static const std::regex ap(R"(^(?:wap|ap|bssid|beacon|rssi|ble|wifi)[_ .-]?\d+$)",
                             std::regex::icase);
  static const std::regex prefixed(R"(^rssi[_ .-].+$)", std::regex::icase);
  static const std::regex mac(R"(^([0-9a-f]{2}[:-]){5}[0-9a-f]{2}$)", std::regex::icase);
  return std::regex_match(name, ap) || std::regex_match(name, prefixed) ||
         std::regex_match(name, mac);
}

std::vector<size_t> ap_columns(const data::CsvSniff& sniff) {
  std::vector<size_t> out;
  for (size_t c = 0; c < sniff.header.size(); ++c)
    if (is_ap_column(sniff.header[c])) out.push_back(c);
  return out;
}

// Names of the columns around the access points (positions, labels, people, devices, time):
// never taken as access points, whatever their values.
bool is_role_column(const std::string& name) {
  static const std::set<std::string> roles = {
      "x",        "y",         "z",         "xm",        "ym",          "posx",
      "posy",     "positionx", "positiony", "longitude", "latitude",    "easting",
      "northing", "coordx",    "coordy",    "zone",      "room",        "area",
      "location", "place",     "label",     "region",    "buildingid",  "building",
      "floor",    "floorid",   "level",     "spaceid",   "space",       "relativeposition",
      "userid",   "user",      "subject",   "person",    "participant", "phoneid",
      "phone",    "device",    "deviceid",  "timestamp", "time",        "t",
      "ts",       "id",        "index",     "sample",    "sampleid",    "class"};
  return roles.count(squash(name)) > 0;
}

// Received signal strengths in dBm as receivers report them; "not heard" markers (100, 0, -110,
// -200, ...) are recognized by being shared, not by value.
constexpr double kWeakestDbm = -130, kStrongestDbm = -10;

// How one column's preview values fit an RSSI column.
struct RssiFit {
  bool fits = false;             // every value is a plausible dBm or one marker value
  std::optional<double> marker;  // the one value outside the dBm range, if any
  size_t signals = 0;            // values inside the range
};

RssiFit rssi_fit(const data::CsvSniff& sniff, size_t column) {
  RssiFit fit;
  for (const auto& row : sniff.rows) {
    if (column >= row.size()) return fit;
    const std::string& cell = row[column];
    if (cell.empty()) continue;  // not heard, as an empty cell
    double v;
    if (!data::parse_number(cell, v) || !std::isfinite(v)) return fit;
    if (v >= kWeakestDbm && v <= kStrongestDbm) {
      ++fit.signals;
    } else if (!fit.marker) {
      fit.marker = v;
    } else if (*fit.marker != v) {
      return fit;  // two different values outside the range: not RSSI
    }
  }
  fit.fits = true;
  return fit;
}

// Access points from their values: the longest run of adjacent columns (at least 3) whose values
// are all dBm readings or one shared "not heard" value, with some real readings among them.
// Names like "1001" or "b12" say nothing; the block of values does.
std::vector<size_t> ap_columns_by_values(const data::CsvSniff& sniff) {
  std::vector<size_t> best, run;
  double run_marker = NAN;  // the run's "not heard" value; NaN until one is seen
  size_t run_signals = 0;
  auto close_run = [&] {
    if (run.size() >= 3 && run_signals > 0 && run.size() > best.size()) best = run;
    run.clear();
    run_marker = NAN;
    run_signals = 0;
  };
  for (size_t c = 0; c < sniff.header.size(); ++c) {
    RssiFit fit = is_role_column(sniff.header[c]) ? RssiFit{} : rssi_fit(sniff, c);
    if (!fit.fits) {
      close_run();
      continue;
    }
    if (fit.marker) {
      if (!std::isnan(run_marker) && *fit.marker != run_marker) close_run();
      run_marker = *fit.marker;
    }
    run_signals += fit.signals;
    run.push_back(c);
  }
  close_run();
  return best;
}

class RssiCsvImporter : public CsvImporterBase {
 public:
  std::string id() const override { return "rssi-csv"; }
  std::string description() const override {
    return "RSSI fingerprints: one column per access point/beacon, zone labels and/or x,y";
  }

  Result<data::Detection> detect(const fs::path& file, const json& overrides) const override {
    data::Detection d;
    TINYLLM_TRY_ASSIGN(sniff, this->sniff(file, overrides, d));
    // A mapping with channels always wins: detection then only fills in the rest.
    const bool channels_given =
        overrides.is_object() && overrides.contains("channels") && overrides["channels"].is_array();
    std::vector<size_t> aps = ap_columns(sniff);
    bool by_values = false;
    if (channels_given) {
      aps.clear();
      for (const auto& c : overrides["channels"])
        if (c.is_object() && c.contains("column") && c["column"].is_string())
          for (size_t k = 0; k < sniff.header.size(); ++k)
            if (sniff.header[k] == c["column"].get<std::string>()) aps.push_back(k);
      d.notes.push_back("access points: " + std::to_string(overrides["channels"].size()) +
                        " columns from the mapping");
    } else if (aps.size() < 3) {
      aps = ap_columns_by_values(sniff);
      by_values = true;
    }
    if (aps.size() < 3 && !channels_given) {
      d.notes.push_back(
          "fewer than 3 access-point columns (names like WAP001, AP1, MAC addresses, or a block "
          "of columns holding dBm values with a shared 'not heard' value)");
      return d;
    }
    json mapping = {{"kind", "rssi"},
                    {"delimiter", std::string(1, sniff.delimiter)},
                    {"header", sniff.has_header}};
    json channels = json::array();
    for (size_t c : aps)
      channels.push_back(
          {{"column", column_ref(sniff, c)}, {"name", sniff.header[c]}, {"unit", "dBm"}});
    mapping["channels"] = channels;
    if (!channels_given && !aps.empty()) {
      const std::string range = std::to_string(aps.size()) + " columns (" +
                                sniff.header[aps.front()] + " .. " + sniff.header[aps.back()] + ")";
      d.notes.push_back("access points: " + range);
      if (by_values)
        d.guesses.push_back({"access points: " + range,
                             "the column names do not say; their values look like dBm readings "
                             "(-130..-10) with one shared 'not heard' value"});
    }
    // "Not heard": the most common value outside the range a receiver reports.
    std::map<double, size_t> outside;
    for (size_t c : aps)
      for (double v : column_values(sniff, c))
        if (v > 0 || v < -105) ++outside[v];
    if (!outside.empty()) {
      auto best = std::max_element(outside.begin(), outside.end(),
                                   [](auto& a, auto& b) { return a.second < b.second; });
      mapping["not_heard"] = best->first;
      char buf[96];
      std::snprintf(buf, sizeof buf, "not heard: the value %g", best->first);
      d.notes.push_back(buf);
      if (!overrides.is_object() || !overrides.contains("not_heard"))
        d.guesses.push_back({std::string(buf),
                             "the most common value outside -105..0 dBm in the "
                             "access-point columns"});
    } else {
      d.notes.push_back("not heard: empty cells");
    }
    json targets = json::array();
    auto add_target = [&](std::optional<size_t> c, const char* name) {
      if (!c) return;
      targets.push_back({{"column", column_ref(sniff, *c)}, {"name", name}, {"unit", "m"}});
    };
    auto x = find_column(sniff, {"x", "xm", "posx", "positionx", "longitude", "easting", "coordx"});
    auto y = find_column(sniff, {"y", "ym", "posy", "positiony", "latitude", "northing", "coordy"});
    if (x && y) {
      add_target(x, "x");
      add_target(y, "y");
      d.notes.push_back("position: x = '" + sniff.header[*x] + "', y = '" + sniff.header[*y] +
                        "' (metres)");
      auto xs = column_values(sniff, *x);
      if (!xs.empty() && squash(sniff.header[*x]) == "longitude" && std::fabs(xs[0]) <= 180)
        d.notes.push_back(
            "warning: longitude looks like degrees, not metres; positions will be off");
    }
    mapping["targets"] = targets;
    if (auto zone =
            find_column(sniff, {"zone", "room", "area", "location", "place", "label", "region"})) {
      mapping["label"] = {{"columns", {column_ref(sniff, *zone)}}};
      d.notes.push_back("label: column '" + sniff.header[*zone] + "'");
    } else {
      auto building = find_column(sniff, {"buildingid", "building"});
      auto floor = find_column(sniff, {"floor", "floorid", "level"});
      if (building && floor) {
        mapping["label"] = {
            {"columns", {sniff.header[*building], sniff.header[*floor]}},
            {"format", "B{" + sniff.header[*building] + "}F{" + sniff.header[*floor] + "}"}};
        d.notes.push_back("label: building and floor, as B<building>F<floor>");
      } else if (floor) {
        mapping["label"] = {{"columns", {sniff.header[*floor]}},
                            {"format", "F{" + sniff.header[*floor] + "}"}};
      } else {
        mapping["label"] = nullptr;
        d.notes.push_back("label: none found");
      }
    }
    if (auto c = find_column(sniff, {"userid", "user", "subject", "person", "participant"})) {
      mapping["subject"] = {{"columns", {column_ref(sniff, *c)}}};
      d.notes.push_back("person: column '" + sniff.header[*c] + "'");
    } else {
      mapping["subject"] = nullptr;
    }
    if (auto c = find_column(sniff, {"phoneid", "phone", "device", "deviceid"}))
      mapping["session"] = {{"columns", {column_ref(sniff, *c)}}};
    mapping["time"] = nullptr;
    d.mapping = data::merge_mapping(mapping, overrides);
    d.confidence = 85;
    return d;
  }
};

}  // namespace

bool looks_like_rssi(const data::CsvSniff& sniff) {
  return ap_columns(sniff).size() >= 3;
}

std::unique_ptr<data::Importer> make_rssi_csv_importer() {
  return std::make_unique<RssiCsvImporter>();
}

}  // namespace tinyllm::plugins
