// Recording from a device (issue 13) against a real sshd on loopback: a deterministic IMU stream
// lands as a labelled take with the right rows and imports like any recording; a time budget, a
// command that dies mid-stream and a cut connection all keep what arrived; output that is not CSV
// is refused with the line, and the project is left byte for byte as it was; RSSI scans at a
// zone; the CLI with a device's sensor source, its --json events streaming the readings.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "builtin.h"
#include "deploy/device.h"
#include "deploy/record.h"
#include "project/project.h"
#include "sshd_fixture.h"
#include "test_support.h"
#include "test_verify.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tinyllm;
using tinyllm::test::run_program;
using tinyllm::test::SshServer;

namespace {

// A deterministic 50 Hz IMU stream: $1 rows (0 = endless), then exit status $2.
const char* kImuStream = R"SH(#!/bin/sh
n=${1:-0}
echo "time_ms,ax,ay,az"
i=0
while [ "$n" -eq 0 ] || [ $i -lt "$n" ]; do
  echo "$((i*20)),$((i%7*100-300)),$((i%5*50)),1000"
  i=$((i+1))
  if [ $((i % 50)) -eq 0 ]; then sleep 0.02; fi
done
exit ${2:-0}
)SH";

// WiFi scans: one row per scan, three access points' RSSI in dBm.
const char* kRssiStream = R"SH(#!/bin/sh
echo "ap_1,ap_2,ap_3"
i=0
while true; do
  echo "-$((40+i%5)),-$((60+i%3)),-$((80+i%7))"
  i=$((i+1)); sleep 0.01
done
)SH";

}  // namespace

class TestRecord : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  SshServer server_;
  std::unique_ptr<data::PluginRegistry> registry_ = test::builtin_registry();

  fs::path root() const { return dir_.path().toStdString(); }

  deploy::DeviceProfile device() const {
    deploy::DeviceProfile d;
    d.name = "bench-pi";
    d.ssh = {"127.0.0.1", server_.port(), server_.user(), server_.client_key().string(),
             (server_.dir() / "known_hosts").string()};
    return d;
  }

  Result<deploy::SshSession> connect() const {
    deploy::ConnectOptions o;
    o.accept_new_host_key = true;
    return deploy::SshSession::connect(device().ssh, o);
  }

  project::Project new_project(const std::string& name, const std::string& task) {
    auto p = project::create_project(root() / name, name, task);
    if (!p) qFatal("%s", p.error().to_string().c_str());
    if (auto s = deploy::put_device(p->root, device()); !s)
      qFatal("%s", s.error().to_string().c_str());
    return *p;
  }

  std::string script(const char* name) const { return (server_.dir() / name).string(); }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    if (!fs::exists("/usr/sbin/sshd")) QSKIP("openssh-server is not installed");
    TINYLLM_VERIFY_OK(server_.start());
    for (auto [name, text] : {std::pair{"imu.sh", kImuStream}, std::pair{"rssi.sh", kRssiStream}}) {
      test::write_text(server_.dir() / name, text);
      fs::permissions(server_.dir() / name, fs::perms::owner_all);
    }
  }

  void takeLandsAsALabelledRecording() {
    auto project = new_project("wave", "gesture");
    auto s = connect();
    TINYLLM_VERIFY_OK(s);
    deploy::TakeRequest request;
    request.command = script("imu.sh") + " 240";
    request.label = "wave";
    request.person = "ana";
    size_t seen = 0;
    request.on_row = [&](const std::vector<double>& row) {
      QCOMPARE(row.size(), size_t{4});
      QCOMPARE(row[0], double(seen * 20));  // time_ms, live and in order
      ++seen;
    };
    auto recorded = deploy::record_into_project(project, *registry_, *s, device(), request);
    TINYLLM_VERIFY_OK(recorded);
    QCOMPARE(recorded->take.rows, uint64_t{240});
    QCOMPARE(seen, size_t{240});
    QCOMPARE(int(recorded->take.end), int(deploy::TakeEnd::kCommandEnded));
    const auto lines = test::read_text(recorded->take.file);
    QVERIFY(lines.rfind("time_ms,ax,ay,az,label,person\n0,-300,0,1000,wave,ana\n", 0) == 0);
    // In the project like an imported file, with where it came from.
    auto reopened = project::open_project(project.root);
    TINYLLM_VERIFY_OK(reopened);
    const auto* source = reopened->find_source(recorded->source.id);
    QVERIFY(source);
    QCOMPARE(source->rows, uint64_t{240});
    QCOMPARE(source->origin.value("device", ""), std::string("bench-pi"));
    QCOMPARE(source->origin.value("command", ""), request.command);
    QCOMPARE(source->origin.value("connection_lost", true), false);
    QVERIFY(source->files[0].path.rfind("data/raw/recorded/bench-pi/", 0) == 0);
  }

  // Time is up, the command dies with an error, the connection is cut: rows are kept each time.
  void everyEndKeepsWhatArrived() {
    auto project = new_project("ends", "gesture");
    auto s = connect();
    TINYLLM_VERIFY_OK(s);
    deploy::TakeRequest timed;
    timed.command = script("imu.sh");  // endless
    timed.label = "idle";
    timed.seconds = 0.6;
    auto t = deploy::record_into_project(project, *registry_, *s, device(), timed);
    TINYLLM_VERIFY_OK(t);
    QCOMPARE(int(t->take.end), int(deploy::TakeEnd::kTime));
    QVERIFY(t->take.rows > 10);

    deploy::TakeRequest dies;
    dies.command = script("imu.sh") + " 120 3";
    dies.label = "tap";
    auto d = deploy::record_into_project(project, *registry_, *s, device(), dies);
    TINYLLM_VERIFY_OK(d);
    QCOMPARE(d->take.rows, uint64_t{120});
    QCOMPARE(d->take.exit_status, 3);

    deploy::TakeRequest cut;
    cut.command = script("imu.sh");
    cut.label = "shake";
    bool killed = false;
    uint64_t rows = 0;
    cut.on_row = [&](const std::vector<double>&) {
      if (++rows == 300 && !killed) killed = server_.kill_sessions() > 0;
    };
    auto c = deploy::record_into_project(project, *registry_, *s, device(), cut);
    TINYLLM_VERIFY_OK(c);
    QVERIFY(killed);
    QCOMPARE(int(c->take.end), int(deploy::TakeEnd::kConnectionLost));
    QVERIFY(c->take.rows >= 300);
    QCOMPARE(c->source.origin.value("connection_lost", false), true);
    QCOMPARE(project::open_project(project.root)->sources.size(), size_t{3});
  }

  // Output that is not CSV of its header: a clear error with the line; nothing imported, the
  // project's manifest untouched.
  void garbageIsRefusedAndChangesNothing() {
    auto project = new_project("garbage", "gesture");
    const std::string manifest = test::read_text(project.root / "project.json");
    auto s = connect();
    TINYLLM_VERIFY_OK(s);
    for (const auto& [command, expected] :
         {std::pair<std::string, std::string>{"echo time_ms,ax; echo 1,2; echo '\\001\\377 junk'",
                                              "line 3"},
          {"echo 1,2,3", "must be a header"},
          {"echo time_ms,ax; echo 1,2,3", "3 fields where the header has 2"},
          {"true", "printed nothing"},
          {"echo time_ms,ax,ay", "no readings"}}) {
      deploy::TakeRequest r;
      r.command = command;
      r.label = "x";
      auto recorded = deploy::record_into_project(project, *registry_, *s, device(), r);
      QVERIFY2(!recorded.ok(), command.c_str());
      QVERIFY2(recorded.error().message.find(expected) != std::string::npos,
               recorded.error().message.c_str());
    }
    QCOMPARE(test::read_text(project.root / "project.json"), manifest);
  }

  // The example device scripts of docs/record.md, on recorded outputs of the tools they read:
  // MPU-6050 register dumps (the bytes /dev/i2c-1 returns from register 0x3B) and `iw` scans.
  void exampleDeviceScriptsOnRecordedOutputs() {
    const fs::path scripts = fs::path(TINYLLM_SOURCE_DIR) / "resources" / "device-scripts";
    if (run_program("python3", {"--version"}).code != 0) QSKIP("python3 is not installed");
    // 60 readings: ax = 1 g, ay = -0.5 g, az ramps; gx = 1 deg/s, gz = -1 deg/s.
    std::string dump;
    auto be16 = [&](int v) {
      dump += char((v >> 8) & 0xff);
      dump += char(v & 0xff);
    };
    for (int i = 0; i < 60; ++i)
      for (int v : {16384, -8192, 64 * i, 0, 131, 0, -131})
        be16(v);
    test::write_text(server_.dir() / "mpu6050.bin", dump);
    auto imu = new_project("pi-imu", "gesture");
    auto s = connect();
    TINYLLM_VERIFY_OK(s);
    deploy::TakeRequest request;
    request.command = "python3 " + (scripts / "imu_mpu6050.py").string() + " --replay " +
                      (server_.dir() / "mpu6050.bin").string() + " --hz 50";
    request.label = "wave";
    auto recorded = deploy::record_into_project(imu, *registry_, *s, device(), request);
    TINYLLM_VERIFY_OK(recorded);
    QCOMPARE(recorded->take.rows, uint64_t{60});
    const std::string text = test::read_text(recorded->take.file);
    QVERIFY2(text.find("time_ms,ax,ay,az,gx,gy,gz,label\n0,1000.0,-500.0,0.0,0.01745,0.0,-0.01745,"
                       "wave\n20,1000.0,-500.0,3.91,") == 0,
             text.substr(0, 200).c_str());
    QCOMPARE(recorded->source.kind, std::string("imu"));

    auto rooms = new_project("pi-wifi", "localization");
    request.command = "sh " + (scripts / "wifi_scan.sh").string() + " --replay " +
                      (fs::path(TINYLLM_SOURCE_DIR) / "tests/data/iw_scan.txt").string() + " 5";
    request.label = "lab";
    auto scans = deploy::record_into_project(rooms, *registry_, *s, device(), request);
    TINYLLM_VERIFY_OK(scans);
    QCOMPARE(scans->take.rows, uint64_t{5});
    QCOMPARE(
        scans->take.columns,
        (std::vector<std::string>{"3c_84_6a_12_9e_01", "3c_84_6a_12_9e_02", "f4_92_bf_77_10_aa"}));
    QCOMPARE(scans->source.kind, std::string("rssi"));
  }

  // RSSI: N scans at a named zone, repeated per zone, through the CLI and a sensor source.
  void rssiScansPerZoneThroughTheCli() {
    auto project = new_project("rooms", "localization");
    const std::string p = project.root.string();
    auto r = run_program(test::tinyllm_cli(), {"device", "add-source", "--project", p, "bench-pi",
                                               "wifi", "--command", script("rssi.sh")});
    QVERIFY2(r.code == 0, r.err.c_str());
    // The device was added without a probe; its known_hosts is the server's.
    deploy::ConnectOptions o;
    o.accept_new_host_key = true;
    TINYLLM_VERIFY_OK(deploy::SshSession::connect(device().ssh, o));
    for (const char* zone : {"kitchen", "hall"}) {
      r = run_program(test::tinyllm_cli(),
                      {"record", "--project", p, "--device", "bench-pi", "--source", "wifi",
                       "--label", zone, "--scans", "8", "--json"});
      QVERIFY2(r.code == 0, (r.err + r.out).c_str());
      // JSON Lines: the header, the readings in batches as they arrived, the take last.
      std::istringstream lines(r.out);
      std::vector<json> events;
      for (std::string line; std::getline(lines, line);)
        events.push_back(json::parse(line));
      QVERIFY(events.size() >= 3);
      QCOMPARE(events.front()["columns"], json::array({"ap_1", "ap_2", "ap_3"}));
      size_t streamed = 0;
      for (const auto& e : events)
        if (e["event"] == "rows") {
          QCOMPARE(e["first"].get<size_t>(), streamed);
          streamed += e["rows"].size();
        }
      QCOMPARE(streamed, size_t{8});
      const json& out = events.back();
      QCOMPARE(out["event"].get<std::string>(), std::string("take"));
      QCOMPARE(out["rows"].get<int>(), 8);
      QCOMPARE(out["ended"].get<std::string>(), std::string("all rows taken"));
    }
    auto reopened = project::open_project(project.root);
    QCOMPARE(reopened->sources.size(), size_t{2});
    QCOMPARE(reopened->sources[0].kind, std::string("rssi"));
    r = run_program(test::tinyllm_cli(), {"record", "--project", p, "--device", "bench-pi",
                                          "--source", "nope", "--label", "x"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.find("no source 'nope'") != std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestRecord)
#include "test_record.moc"
