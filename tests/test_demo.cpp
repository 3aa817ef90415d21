// The built-in demo data generator: deterministic, plausible, and strict about its options.
#include <QtTest>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "base/files.h"
#include "data/demo.h"

using namespace tinyllm;
namespace fs = std::filesystem;

namespace {

using Rows = std::vector<std::vector<std::string>>;

// A plain comma split is enough: the generator writes no quotes and no empty lines.
Rows read_csv(const fs::path& path) {
  Rows rows;
  auto text = read_file(path);
  if (!text.ok()) return rows;
  size_t start = 0;
  while (start < text->size()) {
    size_t end = text->find('\n', start);
    if (end == std::string::npos) end = text->size();
    std::vector<std::string> cells;
    size_t cell = start;
    for (size_t i = start; i <= end; ++i)
      if (i == end || (*text)[i] == ',') {
        cells.push_back(text->substr(cell, i - cell));
        cell = i + 1;
      }
    rows.push_back(std::move(cells));
    start = end + 1;
  }
  return rows;
}

double num(const std::string& s) {
  size_t used = 0;
  const double v = std::stod(s, &used);
  if (used != s.size()) throw std::invalid_argument("not a number: " + s);
  return v;
}

// Digits after the decimal point.
int decimals(const std::string& s) {
  const size_t dot = s.find('.');
  return dot == std::string::npos ? 0 : int(s.size() - dot - 1);
}

fs::path tmp(const QTemporaryDir& dir) {
  return fs::path(dir.path().toStdString());
}

QString q(const std::string& s) {
  return QString::fromStdString(s);
}

constexpr const char* kClasses[] = {"circle", "shake", "swipe", "tap"};

}  // namespace

class TestDemo : public QObject {
  Q_OBJECT

  QTemporaryDir imu_dir_;
  std::vector<fs::path> imu_files_;  // the defaults, written once in initTestCase
  std::vector<Rows> imu_rows_;

 private slots:
  void initTestCase() {
    QVERIFY(imu_dir_.isValid());
    auto files = data::write_demo_imu(tmp(imu_dir_) / "imu", {});
    QVERIFY2(files.ok(), files.ok() ? "" : files.error().to_string().c_str());
    imu_files_ = *files;
    for (const auto& f : imu_files_)
      imu_rows_.push_back(read_csv(f));
  }

  void imuSameSeedIsByteIdentical() {
    QTemporaryDir other;
    auto again = data::write_demo_imu(tmp(other), {});
    QVERIFY(again.ok());
    QCOMPARE(again->size(), imu_files_.size());
    for (size_t i = 0; i < imu_files_.size(); ++i) {
      QCOMPARE(q((*again)[i].filename().string()), q(imu_files_[i].filename().string()));
      QVERIFY(*read_file((*again)[i]) == *read_file(imu_files_[i]));
    }
  }

  void imuDifferentSeedDiffers() {
    QTemporaryDir other;
    data::DemoImuOptions o;
    o.seed = 7;
    auto files = data::write_demo_imu(tmp(other), o);
    QVERIFY(files.ok());
    for (size_t i = 0; i < imu_files_.size(); ++i)
      QVERIFY(*read_file((*files)[i]) != *read_file(imu_files_[i]));
  }

  void imuFilesAndHeader() {
    QCOMPARE(imu_files_.size(), size_t(6));
    for (size_t i = 0; i < imu_files_.size(); ++i) {
      QCOMPARE(q(imu_files_[i].filename().string()),
               QString("imu_p%1.csv").arg(int(i) + 1, 2, 10, QChar('0')));
      QCOMPARE(q(imu_files_[i].parent_path().filename().string()), QString("imu"));
      const Rows& rows = imu_rows_[i];
      QVERIFY(!rows.empty());
      QCOMPARE(rows[0],
               (std::vector<std::string>{"time_ms", "ax", "ay", "az", "gx", "gy", "gz", "label"}));
    }
    // Small files: a few hundred KB per person at the defaults.
    uintmax_t total = 0;
    for (const auto& f : imu_files_)
      total += fs::file_size(f);
    QVERIFY2(total < 2'000'000, std::to_string(total).c_str());
  }

  void imuRowsAreWellFormed() {
    for (const Rows& rows : imu_rows_) {
      // 40 gestures of 0.8-2 s with 0.5-1.5 s of idle around each, at 50 Hz.
      QVERIFY2(rows.size() > 2500 && rows.size() < 8000, std::to_string(rows.size()).c_str());
      for (size_t r = 1; r < rows.size(); ++r) {
        QCOMPARE(rows[r].size(), size_t(8));
        QVERIFY(decimals(rows[r][0]) <= 1);
        for (size_t c = 1; c < 7; ++c) {
          QVERIFY2(decimals(rows[r][c]) <= 3, rows[r][c].c_str());
          QVERIFY(std::isfinite(num(rows[r][c])));
        }
      }
    }
  }

  void imuEveryClassForEveryPerson() {
    for (const Rows& rows : imu_rows_) {
      std::map<std::string, int> runs;  // label -> number of contiguous runs
      for (size_t r = 1; r < rows.size(); ++r)
        if (r == 1 || rows[r][7] != rows[r - 1][7]) ++runs[rows[r][7]];
      QCOMPARE(runs.size(), size_t(5));
      for (const char* cls : kClasses)
        QCOMPARE(runs[cls], 10);   // the repetitions
      QCOMPARE(runs["idle"], 41);  // before, between and after the 40 gestures
    }
  }

  void imuTimeIsIncreasingAndJitters() {
    int dropped = 0;
    for (const Rows& rows : imu_rows_) {
      QCOMPARE(num(rows[1][0]), 0.0);
      std::vector<double> steps;
      for (size_t r = 2; r < rows.size(); ++r) {
        const double step = num(rows[r][0]) - num(rows[r - 1][0]);
        QVERIFY2(step > 0, rows[r][0].c_str());
        steps.push_back(step);
        dropped += step > 30;
        QVERIFY(step < 65);  // at most two dropped in a row
      }
      std::sort(steps.begin(), steps.end());
      const double median = steps[steps.size() / 2];
      QVERIFY(median > 19.5 && median < 20.5);
      QVERIFY(steps.front() < steps[steps.size() * 9 / 10]);  // jitter, not a fixed step
    }
    QVERIFY(dropped > 0);
    QVERIFY(dropped < 0.01 * 6 * 4500);
  }

  void imuGestureAndIdleDurations() {
    for (const Rows& rows : imu_rows_) {
      double first = num(rows[1][0]);
      for (size_t r = 1; r < rows.size(); ++r) {
        const bool last = r + 1 == rows.size() || rows[r + 1][7] != rows[r][7];
        if (!last) continue;
        // The run spans from its first sample to the next run's first one.
        const double end = r + 1 == rows.size() ? num(rows[r][0]) + 20 : num(rows[r + 1][0]);
        const double seconds = (end - first) / 1000;
        const bool idle = rows[r][7] == "idle";
        const double lo = idle ? 0.5 : 0.8, hi = idle ? 1.5 : 2.0;
        QVERIFY2(seconds > lo - 0.07 && seconds < hi + 0.07,
                 (rows[r][7] + " lasts " + std::to_string(seconds) + " s").c_str());
        if (r + 1 < rows.size()) first = num(rows[r + 1][0]);
      }
    }
  }

  void imuIdleSeesGravity() {
    std::vector<std::array<double, 3>> mean_gravity;
    for (const Rows& rows : imu_rows_) {
      double norm = 0;
      std::array<double, 3> sum{};
      int n = 0;
      for (size_t r = 1; r < rows.size(); ++r) {
        if (rows[r][7] != "idle") continue;
        const double x = num(rows[r][1]), y = num(rows[r][2]), z = num(rows[r][3]);
        norm += std::sqrt(x * x + y * y + z * z);
        sum[0] += x, sum[1] += y, sum[2] += z;
        ++n;
      }
      QVERIFY(n > 500);
      QVERIFY2(std::abs(norm / n - 9.81) < 0.2, std::to_string(norm / n).c_str());
      mean_gravity.push_back({sum[0] / n, sum[1] / n, sum[2] / n});
    }
    // People hold the phone differently: gravity points elsewhere for each.
    for (size_t a = 0; a < mean_gravity.size(); ++a)
      for (size_t b = a + 1; b < mean_gravity.size(); ++b) {
        double d = 0;
        for (size_t k = 0; k < 3; ++k)
          d = std::max(d, std::abs(mean_gravity[a][k] - mean_gravity[b][k]));
        QVERIFY2(d > 0.1, ("p" + std::to_string(a + 1) + " vs p" + std::to_string(b + 1)).c_str());
      }
  }

  // The classes look like what they are named: shake has the most rotation, tap the sharpest
  // peak, circle turns most about z, swipe moves most along one axis.
  void imuClassesAreDistinguishable() {
    for (const Rows& rows : imu_rows_) {
      std::map<std::string, double> gyro, peak, gz, mean_acc_norm;
      std::map<std::string, int> n;
      for (size_t r = 1; r < rows.size(); ++r) {
        const std::string& label = rows[r][7];
        const double gx = num(rows[r][4]), gy = num(rows[r][5]), gzv = num(rows[r][6]);
        const double ax = num(rows[r][1]), ay = num(rows[r][2]), az = num(rows[r][3]);
        const double a = std::sqrt(ax * ax + ay * ay + az * az);
        gyro[label] += std::sqrt(gx * gx + gy * gy + gzv * gzv);
        gz[label] += std::abs(gzv);
        peak[label] = std::max(peak[label], a);
        ++n[label];
      }
      for (auto& [label, v] : gyro)
        v /= n[label];
      for (auto& [label, v] : gz)
        v /= n[label];
      for (const char* cls : {"circle", "swipe", "tap", "idle"})
        QVERIFY(gyro["shake"] > gyro[cls]);
      for (const char* cls : {"circle", "swipe", "idle"})
        QVERIFY(peak["tap"] > peak[cls] + 5);
      QVERIFY(gz["circle"] > gz["swipe"] && gz["circle"] > gz["tap"]);
      for (const char* cls : kClasses)
        QVERIFY(gyro[cls] > 5 * gyro["idle"]);
    }
  }

  void imuOptionsShapeTheOutput() {
    QTemporaryDir dir;
    data::DemoImuOptions o;
    o.people = 2;
    o.repetitions = 3;
    o.rate_hz = 100;
    auto files = data::write_demo_imu(tmp(dir) / "a" / "b", o);
    QVERIFY(files.ok());
    QCOMPARE(files->size(), size_t(2));
    for (const auto& f : *files) {
      const Rows rows = read_csv(f);
      std::set<std::string> labels;
      for (size_t r = 1; r < rows.size(); ++r)
        labels.insert(rows[r][7]);
      QCOMPARE(labels.size(), size_t(5));
      // 12 gestures and 13 idle periods of about 1.3 s and 1 s at 100 Hz.
      QVERIFY2(rows.size() > 1500 && rows.size() < 5000, std::to_string(rows.size()).c_str());
      std::vector<double> steps;
      for (size_t r = 2; r < rows.size(); ++r)
        steps.push_back(num(rows[r][0]) - num(rows[r - 1][0]));
      std::nth_element(steps.begin(), steps.begin() + long(steps.size() / 2), steps.end());
      QVERIFY(std::abs(steps[steps.size() / 2] - 10) < 0.5);
    }
    // Person 1 does not depend on how many people there are.
    o.people = 1;
    QTemporaryDir one;
    auto single = data::write_demo_imu(tmp(one), o);
    QVERIFY(single.ok());
    QVERIFY(*read_file(single->front()) == *read_file(files->front()));
  }

  void rssiIsDeterministic() {
    QTemporaryDir a, b, c;
    auto pa = data::write_demo_rssi(tmp(a), {});
    auto pb = data::write_demo_rssi(tmp(b), {});
    data::DemoRssiOptions o;
    o.seed = 43;
    auto pc = data::write_demo_rssi(tmp(c), o);
    QVERIFY(pa.ok() && pb.ok() && pc.ok());
    QCOMPARE(q(pa->filename().string()), QString("rssi_fingerprints.csv"));
    QVERIFY(*read_file(*pa) == *read_file(*pb));
    QVERIFY(*read_file(*pa) != *read_file(*pc));
  }

  void rssiTableIsPlausible() {
    QTemporaryDir dir;
    const data::DemoRssiOptions o;
    auto path = data::write_demo_rssi(tmp(dir), o);
    QVERIFY(path.ok());
    const Rows rows = read_csv(*path);
    std::vector<std::string> header;
    for (int a = 1; a <= 12; ++a)
      header.push_back((a < 10 ? "AP0" : "AP") + std::to_string(a));
    for (const char* c : {"x_m", "y_m", "zone", "device"})
      header.push_back(c);
    QCOMPARE(rows[0], header);
    QCOMPARE(rows.size(), size_t(1 + 6 * 120));

    std::map<std::string, int> per_zone;
    std::map<std::string, std::array<double, 4>> box;  // zone -> x0, y0, x1, y1 of its points
    std::map<std::string, std::pair<double, int>> per_device;
    int heard = 0, missing = 0;
    for (size_t r = 1; r < rows.size(); ++r) {
      QCOMPARE(rows[r].size(), size_t(16));
      for (size_t a = 0; a < 12; ++a) {
        const double v = num(rows[r][a]);
        if (v == o.not_heard) {
          ++missing;
          continue;
        }
        QVERIFY2(v >= -100 && v <= -20 && decimals(rows[r][a]) == 0, rows[r][a].c_str());
        ++heard;
        per_device[rows[r][15]].first += v;
        ++per_device[rows[r][15]].second;
      }
      QVERIFY(decimals(rows[r][12]) <= 2 && decimals(rows[r][13]) <= 2);
      const double x = num(rows[r][12]), y = num(rows[r][13]);
      QVERIFY(x >= 0 && x <= 30 && y >= 0 && y <= 20);
      const std::string& zone = rows[r][14];
      if (!per_zone[zone]++) box[zone] = {x, y, x, y};
      auto& b = box[zone];
      b = {std::min(b[0], x), std::min(b[1], y), std::max(b[2], x), std::max(b[3], y)};
    }
    QCOMPARE(per_zone.size(), size_t(6));
    for (const char* zone : {"kitchen", "lab", "office", "hall", "lounge", "store"})
      QCOMPARE(per_zone[zone], 120);
    // Zones are rectangles side by side: no zone's points fall in another zone's box.
    for (size_t r = 1; r < rows.size(); ++r)
      for (const auto& [zone, b] : box) {
        if (zone == rows[r][14]) continue;
        const double x = num(rows[r][12]), y = num(rows[r][13]);
        QVERIFY(!(x > b[0] && x < b[2] && y > b[1] && y < b[3]));
      }
    // Some access points go unheard, most are heard.
    QVERIFY(missing > 0.03 * (heard + missing) && missing < 0.4 * (heard + missing));
    // Phones differ.
    QCOMPARE(per_device.size(), size_t(3));
    double lo = 0, hi = -1000;
    for (const auto& [device, s] : per_device) {
      lo = std::min(lo, s.first / s.second);
      hi = std::max(hi, s.first / s.second);
    }
    QVERIFY(hi - lo > 3);
  }

  // Path loss: locate each access point roughly where it is heard best, then readings near it
  // must be stronger on average than readings far from it.
  void rssiFallsWithDistance() {
    QTemporaryDir dir;
    const data::DemoRssiOptions o;
    auto path = data::write_demo_rssi(tmp(dir), o);
    QVERIFY(path.ok());
    const Rows rows = read_csv(*path);
    for (size_t a = 0; a < 12; ++a) {
      std::vector<std::pair<double, size_t>> by_strength;
      for (size_t r = 1; r < rows.size(); ++r)
        if (num(rows[r][a]) != o.not_heard) by_strength.push_back({num(rows[r][a]), r});
      std::sort(by_strength.rbegin(), by_strength.rend());
      double ax = 0, ay = 0;
      for (size_t k = 0; k < 10; ++k) {
        ax += num(rows[by_strength[k].second][12]) / 10;
        ay += num(rows[by_strength[k].second][13]) / 10;
      }
      double near = 0, far = 0;
      int n_near = 0, n_far = 0;
      for (size_t r = 1; r < rows.size(); ++r) {
        const double d = std::hypot(num(rows[r][12]) - ax, num(rows[r][13]) - ay);
        const double v = num(rows[r][a]) == o.not_heard ? -100 : num(rows[r][a]);
        if (d < 6) near += v, ++n_near;
        if (d > 15) far += v, ++n_far;
      }
      QVERIFY(n_near > 10 && n_far > 10);
      QVERIFY2(near / n_near > far / n_far + 10,
               ("AP" + std::to_string(a + 1) + ": near " + std::to_string(near / n_near) + " far " +
                std::to_string(far / n_far))
                   .c_str());
    }
  }

  void rssiOptionsShapeTheOutput() {
    QTemporaryDir dir;
    data::DemoRssiOptions o;
    o.zones = 8;
    o.access_points = 3;
    o.fingerprints_per_zone = 5;
    o.devices = 1;
    o.not_heard = 100;
    auto path = data::write_demo_rssi(tmp(dir) / "new", o);
    QVERIFY(path.ok());
    const Rows rows = read_csv(*path);
    QCOMPARE(rows[0].size(), size_t(3 + 4));
    QCOMPARE(rows.size(), size_t(1 + 8 * 5));
    std::set<std::string> zones, devices;
    for (size_t r = 1; r < rows.size(); ++r) {
      zones.insert(rows[r][5]);
      devices.insert(rows[r][6]);
      for (size_t a = 0; a < 3; ++a)
        QVERIFY(rows[r][a] == "100" || num(rows[r][a]) <= -20);
    }
    QVERIFY(zones.count("store") && zones.count("zone7") && zones.count("zone8"));
    QCOMPARE(zones.size(), size_t(8));
    QCOMPARE(devices, (std::set<std::string>{"phone1"}));
  }

  void invalidOptionsNameTheField() {
    QTemporaryDir dir;
    auto imu_fails = [&](data::DemoImuOptions o, const std::string& field) {
      auto r = data::write_demo_imu(tmp(dir), o);
      return !r.ok() && r.error().where.find(field) != std::string::npos;
    };
    data::DemoImuOptions o;
    o.people = 0;
    QVERIFY(imu_fails(o, "people"));
    o = {};
    o.repetitions = 0;
    QVERIFY(imu_fails(o, "repetitions"));
    for (double rate : {0.0, -50.0, std::nan(""), 1e9}) {
      o = {};
      o.rate_hz = rate;
      QVERIFY(imu_fails(o, "rate_hz"));
    }
    auto rssi_fails = [&](data::DemoRssiOptions o, const std::string& field) {
      auto r = data::write_demo_rssi(tmp(dir), o);
      return !r.ok() && r.error().where.find(field) != std::string::npos;
    };
    data::DemoRssiOptions ro;
    ro.access_points = 0;
    QVERIFY(rssi_fails(ro, "access_points"));
    ro = {};
    ro.zones = 0;
    QVERIFY(rssi_fails(ro, "zones"));
    ro = {};
    ro.fingerprints_per_zone = -1;
    QVERIFY(rssi_fails(ro, "fingerprints_per_zone"));
    ro = {};
    ro.devices = 0;
    QVERIFY(rssi_fails(ro, "devices"));
    for (double nh : {-60.0, std::nan("")}) {
      ro = {};
      ro.not_heard = nh;
      QVERIFY(rssi_fails(ro, "not_heard"));
    }
    // Nothing was written.
    QVERIFY(fs::is_empty(tmp(dir)));
  }

  void unwritableFolderNamesThePath() {
    QTemporaryDir dir;
    const fs::path file = tmp(dir) / "plain_file";
    QVERIFY(write_file_atomic(file, "x").ok());
    for (const fs::path& target : {file / "sub", file}) {
      auto imu = data::write_demo_imu(target, {});
      QVERIFY(!imu.ok());
      QVERIFY2(imu.error().to_string().find("plain_file") != std::string::npos,
               imu.error().to_string().c_str());
      auto rssi = data::write_demo_rssi(target, {});
      QVERIFY(!rssi.ok());
      QVERIFY2(rssi.error().to_string().find("plain_file") != std::string::npos,
               rssi.error().to_string().c_str());
    }
  }
};

QTEST_APPLESS_MAIN(TestDemo)
#include "test_demo.moc"
