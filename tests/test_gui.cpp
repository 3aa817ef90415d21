// The workbench window, driven through its real widgets on the offscreen platform: the start
// screen, the demo project, the import dialog on the magic-wand folder and on a broken file, the
// plots, preparing text.
#include <QtTest>

#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>

#include <filesystem>

#include "data_page.h"
#include "import_dialog.h"
#include "main_window.h"
#include "pretrain_page.h"
#include "project_session.h"
#include "start_page.h"
#include "test_support.h"
#include "trace_plot.h"

using namespace tinyllm;
namespace fs = std::filesystem;

namespace {

// The demo project with prepared text and a trained tokenizer, made through the CLI.
void make_demo_with_tokenizer(const QString& folder) {
  const QString cli = QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm";
  for (const QStringList& args :
       {QStringList{"project", "new", folder, "--demo", "imu"},
        QStringList{"data", "prepare", "--project", folder},
        QStringList{"tokenizer", "train", "--project", folder, "--quiet"}}) {
    QProcess p;
    p.start(cli, args);
    QVERIFY(p.waitForFinished(300000));
    QVERIFY2(p.exitCode() == 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
  }
}

}  // namespace

class TestGui : public QObject {
  Q_OBJECT
  QTemporaryDir home_;

 private slots:
  void initTestCase() {
    // Own settings and home: the tests never touch the user's recent projects or ~/TinyLLM.
    qputenv("HOME", home_.path().toUtf8());
    qputenv("XDG_CONFIG_HOME", (home_.path() + "/config").toUtf8());
    qputenv("TINYLLM_CLI", QByteArray(TINYLLM_BINARY_DIR) + "/bin/tinyllm");
    QCoreApplication::setOrganizationName("TinyLLM-test");
  }

  void startScreenThenDemoProject() {
    ui::MainWindow window;
    window.show();
    QVERIFY(window.start_page()->isVisible());
    QTest::mouseClick(window.start_page()->demo_button(), Qt::LeftButton);
    // The demo is made by the CLI in a separate process, then opened.
    QTRY_VERIFY_WITH_TIMEOUT(window.session().is_open(), 60000);
    QVERIFY(window.data_page()->isVisible());
    QCOMPARE(window.step_rail()->count(), 5);
    QVERIFY(window.step_rail()->item(0)->text().contains("ready"));
    QVERIFY(window.step_rail()->item(2)->text().contains("not available"));
    // The first recording is plotted: 6 axes (accelerometer + gyroscope) x its rows.
    auto* picker = window.data_page()->recording_picker();
    QVERIFY(picker->count() >= 6);  // one recording per person, cut at gaps
    const auto& first = window.session().data_info()["sources"][0]["series"][0];
    QCOMPARE(window.data_page()->trace()->point_count(), size_t(6) * first["rows"].get<size_t>());
    // Prepare through the button: the step turns done and the text preview shows an example.
    QTest::mouseClick(window.data_page()->prepare_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.step_rail()->item(0)->text().contains("done"), 60000);
    QVERIFY(window.data_page()->text_preview()->toPlainText().contains("### Instruction:"));
  }

  void importMagicWandThroughTheDialog() {
    TINYLLM_REQUIRE_DATASETS();
    QTemporaryDir dir;
    const QString folder = dir.path() + "/wand";
    QVERIFY(project::create_project(folder.toStdString(), "Wand", "gesture").ok());
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(folder));
    window.data_page()->open_import_dialog(
        QString::fromStdString((test::magic_wand_dir() / "raw").string()));
    ui::ImportDialog* dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dialog = window.findChild<ui::ImportDialog*>()) != nullptr, 5000);
    // The mapping preview: the capture format, three axes in milli-g, rows from the first file.
    QTRY_VERIFY_WITH_TIMEOUT(dialog->import_button()->isEnabled(), 10000);
    QCOMPARE(dialog->mapping()["unit"].get<std::string>(), std::string("mg"));
    QCOMPARE(dialog->mapping()["sample_rate_hz"].get<double>(), 25.0);
    QCOMPARE(dialog->preview()->columnCount(), 3);
    QVERIFY(dialog->preview()->rowCount() > 5);
    QVERIFY(dialog->error_text().isEmpty());
    QPointer<ui::ImportDialog> watched = dialog;  // the dialog closes itself after a good import
    QTest::mouseClick(dialog->import_button(), Qt::LeftButton);
    QTRY_VERIFY2_WITH_TIMEOUT(window.session().project().sources.size() == 1,
                              qPrintable(watched ? watched->error_text() : QString()), 60000);
    QCOMPARE(window.session().project().sources[0].rows, uint64_t(65373));
    // 732 recordings to pick from; the plot holds 3 axes x the chosen recording's rows.
    QCOMPARE(window.data_page()->recording_picker()->count(), 732);
    window.data_page()->recording_picker()->setCurrentIndex(100);
    const auto& s = window.session().data_info()["sources"][0]["series"][100];
    QCOMPARE(window.data_page()->trace()->point_count(), size_t(3) * s["rows"].get<size_t>());
  }

  void brokenFileShowsTheError() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/p";
    QVERIFY(project::create_project(folder.toStdString(), "P", "").ok());
    const fs::path broken = fs::path(dir.path().toStdString()) / "broken.csv";
    test::write_text(broken, "time_ms,ax,ay,az,label\n");  // a header and nothing else
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(folder));
    window.data_page()->open_import_dialog(QString::fromStdString(broken.string()));
    ui::ImportDialog* dialog = nullptr;
    QTRY_VERIFY_WITH_TIMEOUT((dialog = window.findChild<ui::ImportDialog*>()) != nullptr, 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!dialog->error_text().isEmpty(), 10000);
    QVERIFY2(dialog->error_text().contains("no data rows"), qPrintable(dialog->error_text()));
    QVERIFY(!dialog->import_button()->isEnabled());
    QVERIFY(window.session().project().sources.empty());
  }

  void pretrainLiveLossThenStopWithCheckpoint() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    make_demo_with_tokenizer(folder);
    if (QTest::currentTestFailed()) return;
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(folder));
    window.step_rail()->setCurrentRow(1);
    auto* page = window.pretrain_page();
    QVERIFY(page->isVisible());
    QVERIFY(window.step_rail()->item(1)->text().contains("ready"));
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    page->steps()->setValue(500);
    QVERIFY(page->start_button()->isEnabled());
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    // Loss points arrive from the worker's events while it runs.
    QTRY_VERIFY2_WITH_TIMEOUT(page->loss_points() >= 3, qPrintable(page->status_label()->text()),
                              180000);
    QVERIFY(page->training());
    // Pause freezes the worker: no new points while paused; Continue goes on.
    QTest::mouseClick(page->pause_button(), Qt::LeftButton);
    QVERIFY(page->pause_button()->isChecked());
    QTest::qWait(300);  // let events already in the pipe arrive
    const int frozen = page->loss_points();
    QTest::qWait(1500);
    QCOMPARE(page->loss_points(), frozen);
    QTest::mouseClick(page->pause_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(page->loss_points() > frozen, 60000);
    QSignalSpy finished(page, &ui::PretrainPage::trainingFinished);
    QTest::mouseClick(page->stop_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 120000);
    QVERIFY(finished.at(0).at(0).toBool());  // a clean stop, not a crash
    QVERIFY2(page->status_label()->text().contains("interrupted"),
             qPrintable(page->status_label()->text()));
    // The checkpoint written on stop is listed; a stopped run is resumable, not done.
    bool listed = false;
    for (int i = 0; i < page->runs()->count(); ++i)
      listed |= page->runs()->item(i)->text().contains("step");
    QVERIFY(listed);
    QVERIFY2(window.step_rail()->item(1)->text().contains("ready"),
             qPrintable(window.step_rail()->item(1)->text()));
    QVERIFY2(window.step_rail()->item(1)->toolTip().contains("was stopped at step"),
             qPrintable(window.step_rail()->item(1)->toolTip()));
    // A past run's curves come back from its recorded events.
    const int seen = page->loss_points();
    QListWidgetItem* checkpoint = nullptr;
    for (int i = 0; i < page->runs()->count(); ++i)
      if (page->runs()->item(i)->text().contains("step")) checkpoint = page->runs()->item(i);
    QVERIFY(checkpoint);
    emit page->runs()->itemActivated(checkpoint);
    QCOMPARE(page->loss_points(), seen);
    QVERIFY(page->status_label()->text().contains("recorded run"));
  }

  void crashingWorkerShowsItsLogAndTheAppStaysUp() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    make_demo_with_tokenizer(folder);
    if (QTest::currentTestFailed()) return;
    // The worker kills itself (SIGKILL) in its first checkpoint write: a crash mid-run.
    qputenv("TINYLLM_TRAIN_DEBUG_KILL_IN_CHECKPOINT", "1");
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(folder));
    window.step_rail()->setCurrentRow(1);
    auto* page = window.pretrain_page();
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    page->steps()->setValue(500);
    QSignalSpy finished(page, &ui::PretrainPage::trainingFinished);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(page->loss_points() >= 2, 180000);
    QTest::mouseClick(page->stop_button(), Qt::LeftButton);  // stopping writes a checkpoint
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 120000);
    qunsetenv("TINYLLM_TRAIN_DEBUG_KILL_IN_CHECKPOINT");
    QVERIFY(!finished.at(0).at(0).toBool());
    const QString status = page->status_label()->text();
    QVERIFY2(status.contains("stopped unexpectedly"), qPrintable(status));
    QVERIFY2(status.contains("tinyllm"), qPrintable(status));  // the log's last lines are shown
    QVERIFY(window.isVisible());
    QVERIFY(page->start_button()->isEnabled());  // and a new run can start
  }

  void badPluginIsShownOnceAndTheOthersLoad() {
    QTemporaryDir plugins;
    const fs::path folder = plugins.path().toStdString();
    test::write_text(folder / "aa_broken.so", "not a library");
    fs::copy_file(fs::path(TINYLLM_BINARY_DIR) / "plugins" / "example_jsonl.so",
                  folder / "example_jsonl.so");
    qputenv("TINYLLM_PLUGIN_PATH", plugins.path().toUtf8());
    ui::MainWindow window;
    qunsetenv("TINYLLM_PLUGIN_PATH");
    window.show();
    QCOMPARE(window.session().plugin_errors().size(), 1);
    QVERIFY(window.session().plugin_errors().front().contains("aa_broken.so"));
    QVERIFY(window.session().registry().importer("example-jsonl"));
    QTRY_VERIFY_WITH_TIMEOUT(window.statusBar()->currentMessage().contains("aa_broken.so"), 5000);
  }

  void corruptProjectOpensWithTheError() {
    QTemporaryDir dir;
    test::write_text(fs::path(dir.path().toStdString()) / "project.json", "{ not json");
    ui::MainWindow window;
    window.show();
    QVERIFY(!window.open_project(dir.path()));
    QVERIFY(window.start_page()->isVisible());
    QVERIFY2(window.start_page()->error_text().contains("not valid JSON"),
             qPrintable(window.start_page()->error_text()));
  }
};

QTEST_MAIN(TestGui)
#include "test_gui.moc"
