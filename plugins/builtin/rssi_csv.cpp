// RSSI fingerprint importer: wide tables with one column per access point or beacon, a "not
// heard" value, zone/room/floor/building labels and/or x,y positions.
#include <cmath>
#include <map>
#include <regex>

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

class RssiCsvImporter : public CsvImporterBase {
 public:
  std::string id() const override { return "rssi-csv"; }
  std::string description() const override {
    return "RSSI fingerprints: one column per access point/beacon, zone labels and/or x,y";
  }

  Result<data::Detection> detect(const fs::path& file, const json& overrides) const override {
    data::Detection d;
    TINYLLM_TRY_ASSIGN(sniff, this->sniff(file, overrides, d));
    const auto aps = ap_columns(sniff);
    if (aps.size() < 3) {
      d.notes.push_back(
          "fewer than 3 access-point columns (names like WAP001, AP1, MAC addresses)");
      return d;
    }
    json mapping = {
        {"kind", "rssi"}, {"delimiter", std::string(1, sniff.delimiter)}, {"header", true}};
    json channels = json::array();
    for (size_t c : aps)
      channels.push_back({{"column", sniff.header[c]}, {"name", sniff.header[c]}, {"unit", "dBm"}});
    mapping["channels"] = channels;
    d.notes.push_back("access points: " + std::to_string(aps.size()) + " columns (" +
                      sniff.header[aps.front()] + " .. " + sniff.header[aps.back()] + ")");
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
    } else {
      d.notes.push_back("not heard: empty cells");
    }
    json targets = json::array();
    auto add_target = [&](std::optional<size_t> c, const char* name) {
      if (!c) return;
      targets.push_back({{"column", sniff.header[*c]}, {"name", name}, {"unit", "m"}});
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
      mapping["label"] = {{"columns", {sniff.header[*zone]}}};
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
      mapping["subject"] = {{"columns", {sniff.header[*c]}}};
      d.notes.push_back("person: column '" + sniff.header[*c] + "'");
    } else {
      mapping["subject"] = nullptr;
    }
    if (auto c = find_column(sniff, {"phoneid", "phone", "device", "deviceid"}))
      mapping["session"] = {{"columns", {sniff.header[*c]}}};
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
