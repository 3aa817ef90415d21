// Recording from a device on the Data page (issue 13's GUI), offscreen against a real sshd on
// loopback (tests/sshd_fixture.h), driven through the real widgets: a labelled take lands in the
// project with its rows and shows in the page's sources, its readings reached the live plot
// while it recorded; Stop ends an endless take and keeps every reading; a connection cut
// mid-take keeps what arrived and the dialog says the connection dropped; RSSI scans at one zone
// after another; with a model deployed on the device, its live label while recording.
#include <QtTest>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSpinBox>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "data_page.h"
#include "deploy/device.h"
#include "deploy/runtimes.h"
#include "deploy/ssh.h"
#include "main_window.h"
#include "project/project.h"
#include "project_session.h"
#include "record_dialog.h"
#include "sshd_fixture.h"
#include "test_support.h"
#include "test_verify.h"
#include "trace_plot.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using nlohmann::json;
using tinyllm::test::SshServer;

namespace {

// A 100 Hz IMU stream: $1 rows (0 = endless). Slow enough that a take lasts while the test
// watches it, as a sensor on a device does.
const char* kImuStream = R"SH(#!/bin/sh
n=${1:-0}
echo "time_ms,ax,ay,az"
i=0
while [ "$n" -eq 0 ] || [ $i -lt "$n" ]; do
  echo "$((i*10)),$((i%7*100-300)),$((i%5*50)),1000"
  i=$((i+1))
  if [ $((i % 5)) -eq 0 ]; then sleep 0.05; fi
done
)SH";

// WiFi scans: one row per scan, three access points' RSSI in dBm, about 20 scans a second.
const char* kRssiStream = R"SH(#!/bin/sh
echo "ap_1,ap_2,ap_3"
i=0
while true; do
  echo "-$((40+i%5)),-$((60+i%3)),-$((80+i%7))"
  i=$((i+1)); sleep 0.05
done
)SH";

constexpr int kTakeMs = 60000;

}  // namespace

class TestGuiRecord : public QObject {
  Q_OBJECT

  QTemporaryDir home_;
  QTemporaryDir dir_;
  SshServer server_;

  fs::path root() const { return dir_.path().toStdString(); }

  deploy::DeviceProfile device() const {
    deploy::DeviceProfile d;
    d.name = "bench-pi";
    d.ssh = {"127.0.0.1", server_.port(), server_.user(), server_.client_key().string(),
             (server_.dir() / "known_hosts").string()};
    return d;
  }
  std::string script(const char* name) const { return (server_.dir() / name).string(); }

  // A project with the loopback device and its sensors ("imu" = 150 rows, "endless", "wifi").
  fs::path new_project(const std::string& name, const std::string& task) {
    auto p = project::create_project(root() / name, name, task);
    if (!p) qFatal("%s", p.error().to_string().c_str());
    deploy::DeviceProfile d = device();
    d.sources = {{"imu", script("imu.sh") + " 150", json::object()},
                 {"endless", script("imu.sh"), json::object()},
                 {"wifi", script("rssi.sh"), json::object()}};
    if (auto s = deploy::put_device(p->root, d); !s) qFatal("%s", s.error().to_string().c_str());
    return p->root;
  }

  // Opens the Record dialog from the Data page, set for a take from `source`.
  static ui::RecordDialog* open_dialog(ui::MainWindow& window, const QString& source) {
    auto* page = window.data_page();
    page->record_button()->click();
    auto* dialog = page->record_dialog();
    if (!dialog || !dialog->isVisible()) return nullptr;
    dialog->source_combo()->setCurrentIndex(dialog->source_combo()->findData(source));
    return dialog;
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    test::isolate_gui_test(home_.path());
    qunsetenv("SSH_AUTH_SOCK");
    if (!fs::exists("/usr/sbin/sshd")) QSKIP("openssh-server is not installed");
    TINYLLM_VERIFY_OK(server_.start());
    for (auto [name, text] : {std::pair{"imu.sh", kImuStream}, std::pair{"rssi.sh", kRssiStream}}) {
      test::write_text(server_.dir() / name, text);
      fs::permissions(server_.dir() / name, fs::perms::owner_all);
    }
    // The device's host key is known, as after adding it on the Deploy page.
    deploy::ConnectOptions o;
    o.accept_new_host_key = true;
    TINYLLM_VERIFY_OK(deploy::SshSession::connect(device().ssh, o));
  }

  // A take with a label and a person: in the project with its rows and where it came from, in
  // the page's sources, and plotted while it recorded.
  void labelledTakeLandsInTheProject() {
    const fs::path project = new_project("wand", "gesture");
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString(project.string())));
    QCOMPARE(window.data_page()->source_list()->count(), 0);
    auto* dialog = open_dialog(window, "imu");
    QVERIFY(dialog);
    QCOMPARE(dialog->device_combo()->currentText(), QString("bench-pi"));
    QVERIFY(!dialog->start_button()->isEnabled());  // no label yet, and the dialog says so
    QCOMPARE(dialog->progress_label()->text(), QString("Give the take a label."));
    dialog->label_combo()->setEditText("wave");
    QCOMPARE(dialog->progress_label()->text(), QString());
    dialog->person_edit()->setText("ana");
    QVERIFY(dialog->seconds_spin()->isVisible());
    QVERIFY(!dialog->scans_spin()->isVisible());
    QVERIFY(!dialog->live_box()->isEnabled());  // no model deployed on the device
    QVERIFY(dialog->start_button()->isEnabled());
    dialog->start_button()->click();
    QVERIFY(dialog->recording());
    QVERIFY(dialog->stop_button()->isEnabled());
    QVERIFY(!dialog->label_combo()->isEnabled());

    // Points reach the plot while the take records, not only at its end.
    QTRY_VERIFY_WITH_TIMEOUT(dialog->live_plot()->point_count() > 0 || !dialog->recording(),
                             kTakeMs);
    QVERIFY2(dialog->recording(), qPrintable(dialog->status_label()->text()));
    const size_t points_while_recording = dialog->live_plot()->point_count();
    QVERIFY(dialog->progress_label()->text().contains("Recording 'wave'"));
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->recording(), kTakeMs);
    QVERIFY2(dialog->status_label()->text().contains("kept as source"),
             qPrintable(dialog->status_label()->text()));
    QVERIFY(points_while_recording < 150 * 3);
    QCOMPARE(dialog->stream().channels(), QStringList({"ax", "ay", "az"}));
    QCOMPARE(dialog->live_plot()->point_count(), size_t{150 * 3});  // every reading, each axis

    auto reopened = project::open_project(project);
    TINYLLM_VERIFY_OK(reopened);
    QCOMPARE(reopened->sources.size(), size_t{1});
    const auto& source = reopened->sources[0];
    QCOMPARE(source.rows, uint64_t{150});
    QCOMPARE(source.origin.value("label", ""), std::string("wave"));
    QCOMPARE(source.origin.value("person", ""), std::string("ana"));
    QCOMPARE(source.origin.value("device", ""), std::string("bench-pi"));
    QCOMPARE(source.origin.value("command", ""), script("imu.sh") + " 150");
    // The page reloaded: the take is a source, its rows labelled "wave".
    QTRY_COMPARE(window.data_page()->source_list()->count(), 1);
    const json& info = window.session().data_info()["sources"][0];
    QCOMPARE(info["classes"], json::array({"wave"}));
    // The label is offered for the next take.
    QVERIFY(dialog->label_combo()->findText("wave") >= 0);
    dialog->close();
  }

  // Stop ends an endless take; the worker ends cleanly and every reading it got is kept.
  void stopKeepsTheTake() {
    const fs::path project = new_project("stop", "gesture");
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString(project.string())));
    auto* dialog = open_dialog(window, "endless");
    QVERIFY(dialog);
    dialog->label_combo()->setEditText("idle");
    dialog->person_edit()->setText("ana");
    dialog->start_button()->click();
    // TINYLLM_SCREENSHOT_DIR (docs/images): the dialog while it records, a few seconds in.
    const QString shots = qEnvironmentVariable("TINYLLM_SCREENSHOT_DIR");
    const qulonglong before_stop = shots.isEmpty() ? 50 : 400;
    QTRY_VERIFY_WITH_TIMEOUT(dialog->stream().rows() >= before_stop || !dialog->recording(),
                             kTakeMs);
    QVERIFY2(dialog->recording(), qPrintable(dialog->status_label()->text()));
    if (!shots.isEmpty()) {
      dialog->resize(1150, 560);
      QTest::qWait(300);
      QVERIFY(dialog->grab().save(shots + "/record-panel.png"));
    }
    dialog->stop_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->recording(), kTakeMs);
    const auto& take = dialog->stream().outcome();
    QVERIFY2(take.has_value(), qPrintable(dialog->status_label()->text()));
    QCOMPARE(take->ended, QString("stopped"));
    QVERIFY(!take->connection_lost);
    // What the plot got is what the project has.
    QCOMPARE(qulonglong(take->rows), dialog->stream().rows());
    auto reopened = project::open_project(project);
    TINYLLM_VERIFY_OK(reopened);
    QCOMPARE(reopened->sources.size(), size_t{1});
    QCOMPARE(reopened->sources[0].rows, uint64_t(take->rows));
    QCOMPARE(reopened->sources[0].origin.value("ended", ""), std::string("stopped"));
    dialog->close();
  }

  // The connection drops mid-take: what arrived is kept, and the dialog says the connection
  // dropped.
  void droppedConnectionKeepsWhatArrived() {
    const fs::path project = new_project("drop", "gesture");
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString(project.string())));
    auto* dialog = open_dialog(window, "endless");
    QVERIFY(dialog);
    dialog->label_combo()->setEditText("shake");
    dialog->start_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->stream().rows() >= 50 || !dialog->recording(), kTakeMs);
    QVERIFY2(dialog->recording(), qPrintable(dialog->status_label()->text()));
    QVERIFY(server_.kill_sessions() > 0);
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->recording(), kTakeMs);
    const QString said = dialog->status_label()->text();
    QVERIFY2(said.contains("connection to bench-pi dropped") && said.contains("are kept"),
             qPrintable(said));
    const auto& take = dialog->stream().outcome();
    QVERIFY(take && take->connection_lost);
    QVERIFY(take->rows >= 50);
    auto reopened = project::open_project(project);
    TINYLLM_VERIFY_OK(reopened);
    QCOMPARE(reopened->sources.size(), size_t{1});
    QCOMPARE(reopened->sources[0].rows, uint64_t(take->rows));
    QCOMPARE(reopened->sources[0].origin.value("connection_lost", false), true);
    QTRY_COMPARE(window.data_page()->source_list()->count(), 1);
    dialog->close();
  }

  // RSSI: N scans at a zone, then the next zone, in the same dialog.
  void rssiScansZoneAfterZone() {
    const fs::path project = new_project("rooms", "localization");
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString(project.string())));
    auto* dialog = open_dialog(window, "wifi");
    QVERIFY(dialog);
    QVERIFY(dialog->scans_spin()->isVisible());
    QVERIFY(!dialog->seconds_spin()->isVisible());
    auto* form = dialog->findChild<QFormLayout*>();
    QVERIFY(form);
    QCOMPARE(qobject_cast<QLabel*>(form->labelForField(dialog->label_combo()))->text(),
             QString("&Zone:"));
    dialog->scans_spin()->setValue(8);
    for (const char* zone : {"kitchen", "hall"}) {
      dialog->label_combo()->setEditText(zone);
      dialog->start_button()->click();
      QVERIFY(dialog->recording());
      QTRY_VERIFY_WITH_TIMEOUT(!dialog->recording(), kTakeMs);
      const auto& take = dialog->stream().outcome();
      QVERIFY2(take.has_value(), qPrintable(dialog->status_label()->text()));
      QCOMPARE(take->rows, qulonglong{8});
      QCOMPARE(take->ended, QString("all rows taken"));
      QCOMPARE(dialog->stream().x_label(), QString("reading"));  // no time column: scan number
      QCOMPARE(dialog->live_plot()->point_count(), size_t{8 * 3});
    }
    auto reopened = project::open_project(project);
    TINYLLM_VERIFY_OK(reopened);
    QCOMPARE(reopened->sources.size(), size_t{2});
    QCOMPARE(reopened->sources[0].kind, std::string("rssi"));
    QCOMPARE(reopened->sources[0].origin.value("label", ""), std::string("kitchen"));
    QCOMPARE(reopened->sources[1].origin.value("label", ""), std::string("hall"));
    QCOMPARE(reopened->sources[1].rows, uint64_t{8});
    QTRY_COMPARE(window.data_page()->source_list()->count(), 2);
    dialog->close();
  }

  // With the demo's tiny model deployed on the device (as the Deploy page does it), the live box
  // is offered; the take records through the device's model and its label, confidence and
  // latency show in the dialog, with the threshold and smoothing given there.
  void liveLabelFromTheDeployedModel() {
    auto runtime = deploy::find_runtime("x86_64");
    if (!runtime) QSKIP(("no x86_64 runtime to deploy: " + runtime.error().to_string()).c_str());
    const fs::path demo = root() / "demo";
    TINYLLM_VERIFY_OK(test::make_deployable_demo(test::tinyllm_cli(), demo, "q8_0"));
    deploy::DeviceProfile d = device();
    d.install_dir = (server_.dir() / "live-device").string();
    TINYLLM_VERIFY_OK(deploy::put_device(demo, d));
    const auto deployed =
        test::run_program(test::tinyllm_cli(),
                          {"deploy", "--project", demo.string(), "--device", "bench-pi"}, 300000);
    QVERIFY2(deployed.code == 0, (deployed.err + deployed.out).c_str());

    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString(demo.string())));
    auto* dialog = open_dialog(window, QString());  // a command typed in the dialog
    QVERIFY(dialog);
    QVERIFY(dialog->command_edit()->isVisible());
    // The demo's recorded readings, as a sensor on the device would print them.
    const fs::path readings = demo / "data" / "raw" / "imu_p01.csv";
    dialog->command_edit()->setText(QString::fromStdString("cut -d, -f1-7 " + readings.string()));
    dialog->label_combo()->setEditText("idle");
    QVERIFY(dialog->live_box()->isEnabled());
    dialog->live_box()->setChecked(true);
    dialog->threshold_spin()->setValue(0.2);
    dialog->smooth_spin()->setValue(2);
    dialog->start_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->recording(), 300000);
    const auto& take = dialog->stream().outcome();
    QVERIFY2(take.has_value(), qPrintable(dialog->status_label()->text()));
    qInfo("%llu readings, %llu windows classified on the device", take->rows,
          dialog->stream().live_count());
    QVERIFY(dialog->stream().live_count() >= 2);
    const auto& live = dialog->stream().live();
    QVERIFY(live && !live->label.isEmpty() && live->latency_ms > 0);
    const QString shown = dialog->live_label()->text();
    QVERIFY2(shown.contains("ms on the device") && shown.contains(live->label), qPrintable(shown));
  }
};

QTEST_MAIN(TestGuiRecord)
#include "test_gui_record.moc"
