#include "pipeline/demo_take.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "base/csv_line.h"
#include "base/files.h"
#include "data/demo.h"

namespace tinyllm::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kStandardGravity = 9.80665;  // m/s^2 per g
constexpr double kAccelLsbPerG = 16384.0;     // MPU-6050 at +-2 g (its reset default)
constexpr double kGyroLsbPerDps = 131.0;      // MPU-6050 at +-250 deg/s (its reset default)
constexpr double kPi = 3.14159265358979323846;
constexpr int kGestures = 5;  // circles in the IMU take: about 6 s, several training windows

struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  int column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : int(it - header.begin());
  }
};

Result<CsvTable> read_table(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return make_error(file.string(), "cannot be read");
  CsvTable table;
  std::string line;
  if (!std::getline(in, line)) return make_error(file.string(), "is empty");
  table.header = split_sensor_csv_line(line);
  while (std::getline(in, line))
    if (!line.empty()) table.rows.push_back(split_sensor_csv_line(line));
  return table;
}

// A reading as the chip's 16-bit register holds it (big-endian, saturated like the sensor).
void append_register(std::string& bytes, double lsb) {
  const auto v = static_cast<int16_t>(std::clamp(std::lround(lsb), -32768L, 32767L));
  bytes += static_cast<char>((uint16_t(v) >> 8) & 0xff);
  bytes += static_cast<char>(uint16_t(v) & 0xff);
}

// Five circles of one new synthetic person (another seed than the project's people), as the
// 14 bytes an MPU-6050 returns from register 0x3B per reading (accel xyz, temperature, gyro xyz).
Result<DemoTake> imu_take(const project::Project& project, uint64_t seed) {
  const fs::path scratch = project.path("tmp") / "demo-take";
  std::error_code ec;
  fs::remove_all(scratch, ec);
  data::DemoImuOptions options;
  options.seed = seed ^ 0x5eedULL;
  options.people = 1;
  options.repetitions = kGestures;
  TINYLLM_TRY_ASSIGN(files, data::write_demo_imu(scratch, options));
  TINYLLM_TRY_ASSIGN(table, read_table(files.at(0)));
  fs::remove_all(scratch, ec);
  const int label = table.column("label");
  const char* names[] = {"ax", "ay", "az", "gx", "gy", "gz"};
  int col[6];
  for (int i = 0; i < 6; ++i)
    col[i] = table.column(names[i]);
  if (label < 0 || *std::min_element(col, col + 6) < 0)
    return make_error(files.at(0).string(), "is not a demo IMU recording");
  DemoTake take;
  take.script = "imu_mpu6050.py";
  take.replay_file = "demo-circles.bin";
  for (const auto& row : table.rows) {
    if (row.size() != table.header.size() || row[size_t(label)] != "circle") continue;
    for (int i = 0; i < 3; ++i)
      append_register(take.replay_bytes,
                      std::stod(row[size_t(col[i])]) / kStandardGravity * kAccelLsbPerG);
    append_register(take.replay_bytes, 0);  // temperature: not read by the script's CSV
    for (int i = 3; i < 6; ++i)
      append_register(take.replay_bytes,
                      std::stod(row[size_t(col[i])]) * 180.0 / kPi * kGyroLsbPerDps);
  }
  if (take.replay_bytes.empty()) return make_error(files.at(0).string(), "has no circle");
  take.interpreter = "python3";
  take.args = {"--replay", "{replay}", "--hz", "50"};
  take.source = "imu";
  // The script prints milli-g and rad/s; the project's recordings are in m/s^2 and rad/s.
  json channels = json::array();
  for (const char* axis : {"ax", "ay", "az"})
    channels.push_back({{"column", axis}, {"name", axis}, {"unit", "mg"}});
  for (const char* axis : {"gx", "gy", "gz"})
    channels.push_back({{"column", axis}, {"name", axis}, {"unit", "rad/s"}});
  take.mapping = {{"kind", "imu"},
                  {"time", {{"column", "time_ms"}, {"unit", "ms"}}},
                  {"channels", channels},
                  {"convert_to_si", true}};
  take.label = "circle";
  take.person = "pi-demo";
  return take;
}

// One spot in the "lab" zone as `iw dev wlan0 scan` prints it: each access point the project's
// lab fingerprints mostly hear, at its median level there, under a made-up BSSID that the mapping
// names back to the project's access point.
Result<DemoTake> rssi_take(const project::Project& project) {
  const fs::path file = project.path("data/raw/rssi_fingerprints.csv");
  TINYLLM_TRY_ASSIGN(table, read_table(file));
  const int zone = table.column("zone");
  std::vector<int> aps;
  for (size_t i = 0; i < table.header.size(); ++i)
    if (table.header[i].rfind("AP", 0) == 0) aps.push_back(int(i));
  if (zone < 0 || aps.empty()) return make_error(file.string(), "is not the demo's fingerprints");
  const double not_heard = data::DemoRssiOptions{}.not_heard;
  std::map<int, std::vector<double>> heard;
  size_t lab_rows = 0;
  for (const auto& row : table.rows) {
    if (row.size() != table.header.size() || row[size_t(zone)] != "lab") continue;
    ++lab_rows;
    for (int ap : aps)
      if (const double v = std::stod(row[size_t(ap)]); v != not_heard) heard[ap].push_back(v);
  }
  if (lab_rows == 0) return make_error(file.string(), "has no fingerprint in the zone 'lab'");
  DemoTake take;
  take.script = "wifi_scan.sh";
  take.replay_file = "demo-lab-scan.txt";
  take.interpreter = "sh";
  take.args = {"--replay", "{replay}", "5", "wlan0"};
  json channels = json::array();
  for (size_t i = 0; i < aps.size(); ++i) {
    char bssid[18];
    std::snprintf(bssid, sizeof bssid, "02:00:5e:00:00:%02x", unsigned(i + 1));
    std::string column = bssid;
    std::replace(column.begin(), column.end(), ':', '_');
    take.args.push_back(bssid);  // every access point a column, heard or not
    channels.push_back(
        {{"column", column}, {"name", table.header[size_t(aps[i])]}, {"unit", "dBm"}});
    auto& levels = heard[aps[i]];
    if (levels.size() * 2 <= lab_rows) continue;  // mostly unheard in the lab: not in the scan
    std::nth_element(levels.begin(), levels.begin() + levels.size() / 2, levels.end());
    std::ostringstream bss;
    bss << "BSS " << bssid << "(on wlan0)\n\tfreq: 2437\n\tsignal: " << levels[levels.size() / 2]
        << ".00 dBm\n\tSSID: demo-ap" << (i + 1) << "\n";
    take.replay_bytes += bss.str();
  }
  take.source = "wifi";
  take.mapping = {{"kind", "rssi"}, {"channels", channels}};
  take.label = "lab";
  take.scans = 5;
  return take;
}

}  // namespace

Result<DemoTake> demo_take(const project::Project& project, uint64_t seed) {
  const auto* task = project::find_task(project.task);
  const std::string kind = task ? task->sensor_kind : "";
  if (kind == "imu") return imu_take(project, seed);
  if (kind == "rssi") return rssi_take(project);
  return make_error("demo", "project '" + project.name + "' is not a demo project");
}

}  // namespace tinyllm::pipeline
