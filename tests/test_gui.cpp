// The workbench window, driven through its real widgets on the offscreen platform: the start
// screen, the demo project, the import dialog on the magic-wand folder and on a broken file, the
// plots, preparing text, pausing and stopping training (checked on the worker process itself),
// switching projects while training, fine-tuning a tiny model and its evaluation (confusion
// matrix, baselines, mistakes with their readings), and that every text says what is true.
#include <QtTest>

#include <qcustomplot.h>
#include <QAction>
#include <QComboBox>
#include <QDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSlider>
#include <QSpinBox>
#include <QStatusBar>
#include <QTableWidget>
#include <QToolButton>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "appearance.h"
#include "data_page.h"
#include "device_dialog.h"
#include "error_cdf_plot.h"
#include "finetune_page.h"
#include "import_dialog.h"
#include "job_runner.h"
#include "main_window.h"
#include "model/config.h"
#include "pipeline/data_step.h"
#include "pretrain_page.h"
#include "process_probe.h"
#include "project/project.h"
#include "project_session.h"
#include "run_comparison_view.h"
#include "run_display.h"
#include "start_page.h"
#include "test_support.h"
#include "text/tokenizer.h"
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

// Runs the CLI with `args` to its end; an exit code other than 0 fails the test.
void run_cli(const QStringList& args) {
  QProcess p;
  p.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm", args);
  QVERIFY2(p.waitForFinished(600000), qPrintable(args.join(' ')));
  QVERIFY2(p.exitCode() == 0, qPrintable(args.join(' ') + ": " +
                                         QString::fromUtf8(p.readAllStandardError()).right(2000)));
}

// A JSON file's document (null when it cannot be read).
nlohmann::json read_json(const fs::path& file) {
  std::ifstream in(file);
  return nlohmann::json::parse(in, nullptr, false);
}

// A file's bytes ("" when it cannot be read).
std::string read_file(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// The highest "step" the worker recorded in any run's events file of a project.
int recorded_step(const QString& project) {
  int step = 0;
  std::error_code ec;
  for (const auto& run :
       fs::directory_iterator(fs::path(project.toStdString()) / "checkpoints", ec)) {
    std::ifstream in(run.path() / "events.jsonl");
    for (std::string line; std::getline(in, line);) {
      const auto e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_object() && e.value("event", "") == "step")
        step = std::max(step, e.value("step", 0));
    }
  }
  return step;
}

// The tinyllm-train worker(s) under the page's running job.
std::vector<pid_t> training_workers(ui::PretrainPage* page) {
  return test::child_processes(pid_t(page->train_job()->process_id()), "tinyllm-train");
}

// Answers the next modal message box with `button`, keeping its text in `*text`.
void answer_next_message_box(QMessageBox::StandardButton button, QString* text) {
  auto* timer = new QTimer;
  timer->setInterval(50);
  QObject::connect(timer, &QTimer::timeout, [timer, button, text] {
    auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
    if (!box) return;
    if (text) *text = box->text();
    timer->stop();
    timer->deleteLater();
    if (auto* b = box->button(button))
      b->click();
    else
      box->accept();
  });
  timer->start();
}

// Labels whose text carries a mnemonic ('&' not doubled) but no buddy: Qt shows those as a
// literal '&' ("&In folder:"), which a user sees as a typo.
QStringList labels_showing_an_ampersand(const QWidget* root) {
  QStringList bad;
  for (const auto* label : root->findChildren<QLabel*>()) {
    const QString text = QString(label->text()).replace(QStringLiteral("&&"), QString());
    if (label->textFormat() != Qt::RichText && text.contains('&') && !label->buddy())
      bad << label->text();
  }
  return bad;
}

// Shows `window` with the project at `folder` open on step `row` of the rail; false when the
// project does not open.
bool open_on_step(ui::MainWindow& window, const QString& folder, int row) {
  window.show();
  if (!window.open_project(folder)) return false;
  window.step_rail()->setCurrentRow(row);
  return true;
}

// Whole numbers only on a step axis (after a replot, which lays the ticks out).
bool ticks_are_whole_steps(QCustomPlot* plot) {
  plot->replot();
  for (double t : plot->xAxis->tickVector())
    if (t != std::floor(t)) return false;
  return true;
}

}  // namespace

class TestGui : public QObject {
  Q_OBJECT
  QTemporaryDir home_;
  QString demo_template_;  // a demo project with prepared text and a tokenizer, made once

  // A fresh copy of the demo template at `folder`.
  bool copy_demo(const QString& folder) {
    if (demo_template_.isEmpty()) {
      demo_template_ = home_.path() + "/demo-template";
      make_demo_with_tokenizer(demo_template_);
      if (QTest::currentTestFailed()) return false;
    }
    std::error_code ec;
    fs::copy(demo_template_.toStdString(), folder.toStdString(), fs::copy_options::recursive, ec);
    return !ec;
  }

  // A fresh copy of the demo template at `folder`, open in `window` on step `row`.
  bool open_demo_copy(ui::MainWindow& window, const QString& folder, int row) {
    return copy_demo(folder) && open_on_step(window, folder, row);
  }

 private slots:
  void initTestCase() {
    // Own settings and home: the tests never touch the user's recent projects or ~/TinyLLM.
    test::isolate_gui_test(home_.path());
  }

  void startScreenThenDemoProject() {
    ui::MainWindow window;
    window.show();
    QVERIFY(window.start_page()->isVisible());
    QTest::mouseClick(window.start_page()->demo_button(), Qt::LeftButton);
    // The demo is made by the CLI in a separate process, then opened.
    QTRY_VERIFY_WITH_TIMEOUT(window.session().is_open(), 60000);
    QVERIFY(window.data_page()->isVisible());
    // Nothing stale: the status bar no longer says the demo is being made, and the hint on the
    // left names the next thing to do.
    QVERIFY2(window.statusBar()->currentMessage().isEmpty(),
             qPrintable(window.statusBar()->currentMessage()));
    QVERIFY2(window.step_hint()->text().contains("Prepare"),
             qPrintable(window.step_hint()->text()));
    QCOMPARE(window.step_rail()->count(), 5);
    QVERIFY(window.step_rail()->item(0)->text().contains("ready"));
    QVERIFY(window.step_rail()->item(2)->text().contains("needs an earlier step"));
    QVERIFY(window.step_rail()->item(3)->text().contains("needs an earlier step"));
    // The first recording is plotted: 6 axes (accelerometer + gyroscope) x its rows.
    auto* picker = window.data_page()->recording_picker();
    QVERIFY(picker->count() >= 6);  // one recording per person, cut at gaps
    // The demo's six people are named (from its file names), as the start screen promises, and
    // each recording says whose it is.
    QVERIFY2(picker->itemText(0).contains("person p01"), qPrintable(picker->itemText(0)));
    for (int i = 0; i < picker->count(); ++i)
      QVERIFY2(!picker->itemText(i).contains("(,"), qPrintable(picker->itemText(i)));
    const auto& first = window.session().data_info()["sources"][0]["series"][0];
    QCOMPARE(window.data_page()->trace()->point_count(), size_t(6) * first["rows"].get<size_t>());
    // Prepare through the button: the step turns done and the text preview shows an example.
    QTest::mouseClick(window.data_page()->prepare_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.step_rail()->item(0)->text().contains("done"), 60000);
    QVERIFY(window.data_page()->text_preview()->toPlainText().contains("### Instruction:"));
    QVERIFY2(window.step_hint()->text().contains("Pre-train"),
             qPrintable(window.step_hint()->text()));
    // Split by those people, so the splits tab warns of nothing and every header is whole.
    const QString note = window.data_page()->split_note()->text();
    QVERIFY2(note.contains("Split by person") && !note.contains("Check these"), qPrintable(note));
    auto* splits = window.data_page()->splits_table();
    window.data_page()->tabs()->setCurrentWidget(splits->parentWidget());
    for (int c = 0; c < 3; ++c) {
      const QString header = splits->horizontalHeaderItem(c)->text();
      QVERIFY2(splits->horizontalHeader()->sectionSize(c) >=
                   splits->horizontalHeader()->fontMetrics().horizontalAdvance(header),
               qPrintable(header));
    }
    window.step_rail()->setCurrentRow(1);
    QVERIFY2(window.step_hint()->text().contains("tokenizer"),
             qPrintable(window.step_hint()->text()));
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
    // Before importing: what the import will make, counted from all files.
    // (The negative gestures' files are named 1..5, ccw_1, ccw_2: 7 more "people" than the 10.)
    QTRY_VERIFY2_WITH_TIMEOUT(
        dialog->import_summary().contains(
            "38 files → 732 recordings, 4 labels, 10 people (some recordings name no person)"),
        qPrintable(dialog->import_summary()), 60000);
    // The JSON mapping waits behind Advanced.
    QVERIFY(!dialog->mapping_editor()->isVisible());
    dialog->advanced_button()->click();
    QVERIFY(dialog->mapping_editor()->isVisible());
    QVERIFY(!dialog->advanced_button()->toolTip().isEmpty());
    // Enter in the path box looks again; it does not import.
    dialog->path_edit()->setFocus();
    QTest::keyClick(dialog->path_edit(), Qt::Key_Return);
    QTest::qWait(500);
    QVERIFY(dialog->isVisible());
    QVERIFY(window.session().project().sources.empty());
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
    // The label span is named in a legend.
    const QStringList spans = window.data_page()->trace()->span_legend();
    QCOMPARE(spans.size(), 1);
    QVERIFY2(spans[0].startsWith("label: "), qPrintable(spans[0]));
    // No stale "Import recordings first." once there are recordings.
    for (auto* label : window.data_page()->findChildren<QLabel*>())
      QVERIFY2(!label->text().contains("Import recordings first"), qPrintable(label->text()));
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
    // Plain words first; the technical message one click away.
    QVERIFY2(dialog->error_text().contains("no rows of readings"),
             qPrintable(dialog->error_text()));
    QVERIFY(dialog->error_details().contains("no data rows"));
    QVERIFY(dialog->details_button()->isVisible());
    dialog->details_button()->click();
    bool shown = false;
    for (auto* label : dialog->findChildren<QLabel*>())
      shown |= label->isVisible() && label->text().contains("no data rows");
    QVERIFY(shown);
    QVERIFY(!dialog->import_button()->isEnabled());
    QVERIFY(window.session().project().sources.empty());
  }

  void pretrainLiveLossThenStopWithCheckpoint() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    ui::MainWindow window;
    QVERIFY(open_demo_copy(window, folder, 1));
    auto* page = window.pretrain_page();
    QVERIFY(page->isVisible());
    QVERIFY(window.step_rail()->item(1)->text().contains("ready"));
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    page->steps()->setValue(500);
    QVERIFY(page->start_button()->isEnabled());
    QVERIFY(!page->resume_button()->isEnabled());  // nothing to resume yet
    QCOMPARE(page->runs()->item(0)->text(), QStringLiteral("(no checkpoints yet)"));
    // The size shown before training is the one the worker trains (the real vocabulary's).
    const QString planned = page->estimate_label()->text().section(' ', 0, 0);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    // Loss points arrive from the worker's events while it runs.
    QTRY_VERIFY2_WITH_TIMEOUT(page->loss_points() >= 3, qPrintable(page->status_label()->text()),
                              180000);
    QVERIFY(page->training());
    std::vector<pid_t> workers;
    QTRY_VERIFY_WITH_TIMEOUT((workers = training_workers(page)).size() == 1, 10000);
    // Pause freezes the worker itself: its recorded step and its CPU time stand still.
    QTest::mouseClick(page->pause_button(), Qt::LeftButton);
    QVERIFY(page->pause_button()->isChecked());
    QTRY_VERIFY2_WITH_TIMEOUT(page->status_label()->text().contains("Paused at step"),
                              qPrintable(page->status_label()->text()), 60000);
    QTest::qWait(300);
    const int frozen = page->loss_points();
    const int frozen_step = recorded_step(folder);
    const long long frozen_cpu = test::cpu_ticks(workers[0]);
    QTest::qWait(2000);
    const long long idle_ticks = test::cpu_ticks(workers[0]) - frozen_cpu;
    qInfo("paused at step %d: %lld CPU ticks in 2 s", frozen_step, idle_ticks);
    QCOMPARE(recorded_step(folder), frozen_step);
    QVERIFY2(idle_ticks <= 5, qPrintable(QString::number(idle_ticks)));
    QCOMPARE(page->loss_points(), frozen);
    QVERIFY(test::process_alive(workers[0]));
    // The rail and its hint say paused, not running; a few steps in, the step axis still shows
    // whole steps.
    QVERIFY2(window.step_rail()->item(1)->text().contains("paused"),
             qPrintable(window.step_rail()->item(1)->text()));
    QVERIFY2(window.step_hint()->text().startsWith("Paused"),
             qPrintable(window.step_hint()->text()));
    QVERIFY(ticks_are_whole_steps(page->loss_plot()));
    // Continue: the worker trains again.
    QTest::mouseClick(page->pause_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(page->loss_points() > frozen, 60000);
    QVERIFY(recorded_step(folder) > frozen_step);
    QTRY_VERIFY_WITH_TIMEOUT(test::cpu_ticks(workers[0]) > frozen_cpu, 30000);
    QSignalSpy finished(page, &ui::PretrainPage::trainingFinished);
    QTest::mouseClick(page->stop_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 120000);
    QVERIFY(finished.at(0).at(0).toBool());  // a clean stop, not a crash
    // It says where it stopped (not "done"), and Resume is there for it.
    QVERIFY2(page->status_label()->text().contains("Stopped at step") &&
                 page->status_label()->text().contains("of 500"),
             qPrintable(page->status_label()->text()));
    QVERIFY(page->resume_button()->isEnabled());
    // The worker trained the model size the page announced.
    std::ifstream events(fs::path(folder.toStdString()) / "checkpoints" / "run1" / "events.jsonl");
    std::string first_start;
    for (std::string line; std::getline(events, line);)
      if (line.find("\"event\":\"start\"") != std::string::npos) {
        first_start = nlohmann::json::parse(line).value("params_text", "");
        break;
      }
    QCOMPARE(planned, QString::fromStdString(first_start));
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
    // Resume keeps the curve so far and continues it.
    QTest::mouseClick(page->resume_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(page->loss_points() > seen, 120000);
    QCOMPARE(page->loss_plot()->graph(0)->data()->begin()->key, 1.0);
    QSignalSpy finished_again(page, &ui::PretrainPage::trainingFinished);
    QTest::mouseClick(page->stop_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(finished_again.count() == 1, 120000);
  }

  // The Fine-tune page: the task, the context check (a context too short refuses Start), a tiny
  // fine-tune from scratch with live validation accuracy, then the evaluation it runs by itself:
  // the confusion matrix, the model beside the three baselines, the per-class table, and a
  // mistake's window on the recording's plot.
  void finetuneTinyModelThenEvaluation() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    QVERIFY(copy_demo(folder));
    const fs::path root = folder.toStdString();
    const auto prepared = read_json(root / "data/prepared/prepared.json");
    ui::MainWindow window;
    QVERIFY(open_on_step(window, folder, 2));
    auto* page = window.finetune_page();
    QVERIFY(page->isVisible());
    QVERIFY2(window.step_rail()->item(2)->text().contains("ready"),
             qPrintable(window.step_rail()->item(2)->text()));
    // The task and its answer set, as step 1 prepared them.
    for (const auto& c : prepared["classes"])
      QVERIFY2(page->task_label()->text().contains(QString::fromStdString(c.get<std::string>())),
               qPrintable(page->task_label()->text()));
    // Nothing pre-trained here: the page starts from scratch and says why.
    QVERIFY(!page->from_pretrained()->isEnabled());
    QVERIFY(page->from_pretrained()->text().contains("none yet"));
    QVERIFY(page->from_scratch()->isChecked());
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    // The check runs by itself; every demo example fits the tiny preset's 256 tokens.
    QTRY_VERIFY_WITH_TIMEOUT(page->context_fits().has_value(), 30000);
    QVERIFY2(*page->context_fits(), qPrintable(page->context_label()->text()));
    QVERIFY2(page->context_label()->text().contains("of the model's 256"),
             qPrintable(page->context_label()->text()));
    QVERIFY(page->start_button()->isEnabled());
    // A context too short for the examples: the numbers, the ways out, and no Start.
    page->extra_settings()->setText("--n_ctx 64");
    emit page->extra_settings()->editingFinished();
    QTRY_VERIFY_WITH_TIMEOUT(page->context_fits().has_value() && !*page->context_fits(), 30000);
    QVERIFY2(page->context_label()->text().contains("do not fit") &&
                 page->context_label()->text().contains("context of 64 tokens"),
             qPrintable(page->context_label()->text()));
    QVERIFY(!page->start_button()->isEnabled());
    // A tiny model (the advanced settings take any training setting) and few steps.
    page->extra_settings()->setText(
        "--n_layer 2 --n_embd 64 --n_head 2 --n_ff 128 --eval_every 10");
    emit page->extra_settings()->editingFinished();
    QTRY_VERIFY_WITH_TIMEOUT(page->context_fits().value_or(false), 30000);
    page->steps()->setValue(30);
    QSignalSpy trained(page, &ui::FinetunePage::trainingFinished);
    QSignalSpy evaluated(page, &ui::FinetunePage::evaluationFinished);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    QVERIFY(page->training());
    QVERIFY(!page->start_button()->isEnabled());
    QTRY_COMPARE_WITH_TIMEOUT(trained.count(), 1, 300000);
    QVERIFY2(trained.at(0).at(0).toBool(), qPrintable(page->status_label()->text()));
    // Validation accuracy every 10 steps, in percent.
    auto accuracy = page->accuracy_plot()->graph(0)->data();
    QVERIFY2(accuracy->size() >= 3, qPrintable(QString::number(accuracy->size())));
    for (const auto& point : *accuracy)
      QVERIFY(point.value >= 0 && point.value <= 100);
    QVERIFY(page->loss_plot()->graph(0)->dataCount() >= 3);
    // The evaluation follows by itself.
    QTRY_COMPARE_WITH_TIMEOUT(evaluated.count(), 1, 300000);
    QVERIFY2(evaluated.at(0).at(0).toBool(), qPrintable(page->summary_label()->text()));
    QCOMPARE(page->shown_run(), QString("ft1"));
    const auto report = read_json(root / "reports/ft1-test/report.json");
    const size_t n = report["classes"].size();
    QCOMPARE(n, prepared["classes"].size());
    // The confusion matrix: classes x classes cells that hold every test example once.
    QCPColorMap* map = page->confusion_map();
    QVERIFY(map);
    QCOMPARE(size_t(map->data()->keySize()), n);
    QCOMPARE(size_t(map->data()->valueSize()), n);
    double cells = 0;
    for (int k = 0; k < map->data()->keySize(); ++k)
      for (int v = 0; v < map->data()->valueSize(); ++v)
        cells += map->data()->cell(k, v);
    QCOMPARE(int(cells), report["examples"].get<int>());
    // Row "true", column "predicted": the diagonal holds the right answers.
    double diagonal = 0;
    for (int i = 0; i < int(n); ++i)
      diagonal += map->data()->cell(i, i);
    QCOMPARE(diagonal / cells, report["model"]["accuracy"].get<double>());
    // The model beside the three baselines, with the model's numbers on its bars.
    QCOMPARE(page->comparison_names().size(), 4);
    QCOMPARE(page->comparison_names().front(), QString("model"));
    QVERIFY(page->comparison_names().join(' ').contains("k-NN"));
    auto* model_bars = qobject_cast<QCPBars*>(page->comparison_plot()->plottable(0));
    QVERIFY(model_bars);
    QCOMPARE(model_bars->data()->size(), 1);
    QCOMPARE(model_bars->data()->at(0)->value, 100 * report["model"]["accuracy"].get<double>());
    QCOMPARE(page->per_class()->rowCount(), int(n));
    QVERIFY(page->summary_label()->text().contains("test examples"));
    // A mistake shows its recording with the window the model read outlined.
    QVERIFY(!report["mistakes"].empty());
    QCOMPARE(page->mistakes()->count(), int(report["mistakes"].size()));
    page->tabs()->setCurrentIndex(2);
    page->mistakes()->setCurrentRow(0);
    QVERIFY(page->mistake_trace()->point_count() > 0);
    int outlined = 0;
    for (int i = 0; i < page->mistake_trace()->plot()->itemCount(); ++i)
      outlined += page->mistake_trace()->plot()->item(i)->property("mistake_window").toBool();
    QVERIFY(outlined >= 1);
    const auto& first = report["mistakes"][0];
    QVERIFY2(page->mistake_label()->text().contains(
                 QString::fromStdString(first["series"].get<std::string>())),
             qPrintable(page->mistake_label()->text()));
    QVERIFY(page->open_report_button()->isEnabled());
    // The rail marks the step done; the run is listed with its test accuracy.
    QTRY_VERIFY2_WITH_TIMEOUT(window.step_rail()->item(2)->text().contains("done"),
                              qPrintable(window.step_rail()->item(2)->text()), 5000);
    QVERIFY(page->runs()->item(0)->text().contains("test"));
  }

  // LoRA on the page: offered only with a pre-trained model to adapt; a LoRA run says so in the
  // run list and leaves its adapters beside the merged weights.
  void finetuneWithLoraFromThePretrainedModel() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    QVERIFY(copy_demo(folder));
    {  // a (barely) pre-trained model to adapt
      QProcess p;
      p.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm",
              {"train", "--project", folder, "--steps", "3", "--n_layer", "1", "--n_embd", "32",
               "--n_head", "1", "--n_ff", "64", "--eval_every", "3"});
      QVERIFY(p.waitForFinished(120000));
      QVERIFY2(p.exitCode() == 0, qPrintable(QString::fromUtf8(p.readAllStandardError())));
    }
    ui::MainWindow window;
    QVERIFY(open_on_step(window, folder, 2));
    auto* page = window.finetune_page();
    QVERIFY(page->from_pretrained()->isChecked());
    QVERIFY(page->full()->isChecked());
    QVERIFY(page->lora()->isEnabled());
    // From scratch there is nothing to adapt.
    page->lora()->setChecked(true);
    page->from_scratch()->setChecked(true);
    QVERIFY(!page->lora()->isEnabled());
    QVERIFY(page->full()->isChecked());
    page->from_pretrained()->setChecked(true);
    QVERIFY(page->lora()->isEnabled());
    page->lora()->setChecked(true);
    QTRY_VERIFY_WITH_TIMEOUT(page->context_fits().value_or(false), 30000);
    page->steps()->setValue(10);
    QSignalSpy trained(page, &ui::FinetunePage::trainingFinished);
    QSignalSpy evaluated(page, &ui::FinetunePage::evaluationFinished);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(trained.count(), 1, 300000);
    QVERIFY2(trained.at(0).at(0).toBool(), qPrintable(page->status_label()->text()));
    const fs::path run = fs::path(folder.toStdString()) / "finetune" / "ft1";
    std::ifstream events(run / "events.jsonl");
    std::string first;
    std::getline(events, first);
    const auto start = nlohmann::json::parse(first);
    QCOMPARE(start["lora"]["rank"].get<int>(), 8);
    QVERIFY(fs::exists(run / "best" / "lora.safetensors"));
    QTRY_COMPARE_WITH_TIMEOUT(evaluated.count(), 1, 300000);
    QVERIFY2(page->runs()->item(0)->text().contains("LoRA rank 8"),
             qPrintable(page->runs()->item(0)->text()));

    // Free text: its own report (the constrained one stays), scored with the paper's rule.
    const fs::path reports = fs::path(folder.toStdString()) / "reports";
    const std::string constrained_before = read_file(reports / "ft1-test/report.json");
    page->decoding()->setCurrentIndex(page->decoding()->findData("free"));
    QVERIFY2(page->summary_label()->text().startsWith("No evaluation yet"),
             qPrintable(page->summary_label()->text()));
    QVERIFY(!page->open_report_button()->isEnabled());
    page->evaluate_button()->click();
    QTRY_COMPARE_WITH_TIMEOUT(evaluated.count(), 2, 300000);
    QVERIFY2(evaluated.at(1).at(0).toBool(), qPrintable(page->summary_label()->text()));
    const auto free = read_json(reports / "ft1-test-free/report.json");
    QCOMPARE(free["decoding"].get<std::string>(), std::string("free"));
    const auto& model = free["model"];
    QCOMPARE(model["no_label"].get<int>() + model["several_labels"].get<int>(),
             model["unparseable"].get<int>());
    const QString summary = page->summary_label()->text();
    QVERIFY2(summary.contains("paper's rule") &&
                 summary.contains(QString("%1 answers named no label, %2 several")
                                      .arg(model["no_label"].get<int>())
                                      .arg(model["several_labels"].get<int>())),
             qPrintable(summary));
    QCOMPARE(read_file(reports / "ft1-test/report.json"), constrained_before);
    // Back to answers only: the constrained report is shown again.
    page->decoding()->setCurrentIndex(page->decoding()->findData("constrained"));
    const auto constrained = nlohmann::json::parse(constrained_before);
    QVERIFY2(page->summary_label()->text().contains(
                 QString("accuracy <b>%1")
                     .arg(100 * constrained["model"]["accuracy"].get<double>(), 0, 'f', 1)),
             qPrintable(page->summary_label()->text()));
  }

  // A running job belongs to its project: opening another asks, stops the job (checkpoint
  // first), and the other project's page shows nothing of the first.
  // Compare runs: two tiny fine-tunes of different sizes, each evaluated, appear as two rows with
  // their reports' numbers and as two points of the accuracy/parameters scatter, the baselines
  // as dashed lines.
  void compareRunsShowsEveryEvaluatedRun() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    QVERIFY(copy_demo(folder));
    for (const QString& width : {QString("32"), QString("64")}) {
      run_cli({"finetune", "--project", folder, "--from",       "scratch", "--steps",
               "10",       "--n_layer", "1",    "--n_head",     "2",       "--n_embd",
               width,      "--n_ff",    "128",  "--eval_every", "10",      "--threads",
               "2",        "--json"});
      if (QTest::currentTestFailed()) return;
      run_cli({"eval", "--project", folder, "--json"});
      if (QTest::currentTestFailed()) return;
    }
    const fs::path root = folder.toStdString();
    const auto first = read_json(root / "reports/ft1-test/report.json");
    const auto second = read_json(root / "reports/ft2-test/report.json");
    QVERIFY(first.is_object() && second.is_object());
    ui::MainWindow window;
    QVERIFY(open_on_step(window, folder, 2));
    auto* page = window.finetune_page();
    auto* compare = page->run_comparison();
    page->tabs()->setCurrentWidget(compare);
    QVERIFY(compare->isVisible());
    auto* model = compare->model();
    QCOMPARE(model->rowCount(), 2);
    using Model = ui::RunComparisonModel;
    for (const auto& [row, report] : {std::pair{0, &first}, std::pair{1, &second}}) {
      const auto& m = (*report)["model"];
      auto value = [&](int column) {
        return model->data(model->index(row, column), Model::kValueRole);
      };
      QCOMPARE(value(Model::kRun).toString(),
               QString::fromStdString((*report)["run_id"].get<std::string>()));
      QCOMPARE(value(Model::kParams).toDouble(), m["params"].get<double>());
      QCOMPARE(value(Model::kAccuracy).toDouble(), m["accuracy"].get<double>());
      QCOMPARE(value(Model::kMacroF1).toDouble(), m["macro_f1"].get<double>());
      QCOMPARE(value(Model::kTokens).toDouble(), m["prompt_tokens"]["mean"].get<double>());
      QCOMPARE(value(Model::kTrainTime).toDouble(), (*report)["train_seconds"].get<double>());
      QVERIFY((*report)["train_seconds"].get<double>() > 0);
      QCOMPARE(model->data(model->index(row, Model::kAccuracy)).toString(),
               QString("%1%").arg(100 * m["accuracy"].get<double>(), 0, 'f', 1));
      QCOMPARE(model->data(model->index(row, Model::kExported)).toString(),
               QString("not exported"));
    }
    QVERIFY(model->data(model->index(0, Model::kParams), Model::kValueRole).toDouble() <
            model->data(model->index(1, Model::kParams), Model::kValueRole).toDouble());
    // The scatter: one point per run at (parameters, accuracy %), a dashed line per baseline.
    auto* points = compare->runs_graph();
    QCOMPARE(points->dataCount(), 2);
    QCOMPARE(points->data()->at(0)->key, first["model"]["params"].get<double>());
    QCOMPARE(points->data()->at(1)->value, 100 * second["model"]["accuracy"].get<double>());
    QCOMPARE(compare->scatter()->xAxis->scaleType(), QCPAxis::stLogarithmic);
    QCOMPARE(compare->baseline_lines(), int(second["baselines"].size()));
    QVERIFY(compare->note()->text().contains("k-NN"));
    // The report of the second run compares both too.
    QCOMPARE(second["runs"].size(), size_t(2));
  }

  // A position task (real fingerprints, UJIIndoorLoc's validation file): the page shows the error
  // CDF of the model beside the baselines', each rising to 1 (the model's to the share of answers
  // it could read), instead of the confusion matrix.
  void positionReportShowsTheErrorCdf() {
    const fs::path csv =
        fs::path(TINYLLM_SHARED_DIR) / "datasets" / "ujiindoorloc" / "validationData.csv";
    if (!fs::exists(csv)) QSKIP("../shared/datasets is missing: the real-data tests need it");
    QTemporaryDir dir;
    const QString folder = dir.path() + "/uji";
    run_cli({"project", "new", folder, "--task", "localization"});
    run_cli({"data", "import", "--project", folder, QString::fromStdString(csv.string())});
    run_cli({"data", "prepare", "--project", folder, "--set", "task=position"});
    run_cli({"tokenizer", "train", "--project", folder, "--quiet"});
    run_cli({"finetune", "--project", folder, "--from", "scratch", "--steps", "20", "--n_layer",
             "1", "--n_embd", "64", "--n_head", "2", "--eval_every", "20", "--threads", "2",
             "--json"});
    run_cli({"eval", "--project", folder, "--json"});
    if (QTest::currentTestFailed()) return;
    const auto report = read_json(fs::path(folder.toStdString()) / "reports/ft1-test/report.json");
    QCOMPARE(report["kind"].get<std::string>(), std::string("position"));
    ui::MainWindow window;
    QVERIFY(open_on_step(window, folder, 2));
    auto* page = window.finetune_page();
    QCOMPARE(page->shown_run(), QString("ft1"));
    page->tabs()->setCurrentIndex(1);
    auto* cdf = page->error_cdf();
    QVERIFY(cdf->isVisible());
    QVERIFY(!page->confusion_plot()->isVisible());
    auto* plot = cdf->plot();
    const size_t curves = 1 + report["position"]["baselines"].size();
    QCOMPARE(size_t(plot->graphCount()), curves);
    QCOMPARE(plot->xAxis->label(), QString("error (m)"));
    const double examples = report["examples"].get<double>();
    for (int g = 0; g < plot->graphCount(); ++g) {
      auto data = plot->graph(g)->data();
      QVERIFY(data->size() >= (g == 0 ? 1 : 2));  // (a model that read no answer: only 0)
      // Never falls, and ends where the report's curve ends.
      double last = 0;
      for (const auto& point : *data) {
        QVERIFY(point.value >= last - 1e-12);
        last = point.value;
      }
      const nlohmann::json& source =
          g == 0 ? report["position"]["model"] : report["position"]["baselines"][size_t(g - 1)];
      const double unparseable = source["unparseable"].get<double>();
      QCOMPARE(last, (examples - unparseable) / examples);
      if (g > 0) QCOMPARE(last, 1.0);  // a baseline always answers
    }
    QCOMPARE(plot->graph(0)->name(), QString("model"));
  }

  void switchingProjectWhileTrainingAsksAndStopsTheJob() {
    QTemporaryDir dir;
    const QString a = dir.path() + "/a", b = dir.path() + "/b";
    QVERIFY(copy_demo(a));
    QVERIFY(project::create_project(b.toStdString(), "B", "").ok());
    ui::MainWindow window;
    QVERIFY(open_on_step(window, a, 1));
    auto* page = window.pretrain_page();
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    page->steps()->setValue(2000);
    page->smoothing()->setValue(3);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(page->loss_points() >= 2, 180000);
    std::vector<pid_t> workers;
    QTRY_VERIFY_WITH_TIMEOUT((workers = training_workers(page)).size() == 1, 10000);

    // "No" keeps project A and its training.
    QString asked;
    answer_next_message_box(QMessageBox::No, &asked);
    QVERIFY(!window.open_project(b));
    QVERIFY2(asked.contains("Stop it"), qPrintable(asked));
    QCOMPARE(window.session().folder(), a);
    QVERIFY(page->training());

    // "Yes": the job stops with a checkpoint, then B opens.
    asked.clear();
    answer_next_message_box(QMessageBox::Yes, &asked);
    window.open_project(b);
    QVERIFY(!asked.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(window.session().folder() == b, 120000);
    QVERIFY(!page->training());
    QTRY_VERIFY_WITH_TIMEOUT(!test::process_alive(workers[0]), 10000);
    QVERIFY(fs::exists(fs::path(a.toStdString()) / "checkpoints"));
    // B's page: no curves, samples or status of A.
    QCOMPARE(page->loss_points(), 0);
    QCOMPARE(page->loss_plot()->graph(1)->dataCount(), 0);
    QVERIFY(page->samples()->toPlainText().isEmpty());
    QVERIFY2(page->status_label()->text().isEmpty(), qPrintable(page->status_label()->text()));
    QVERIFY(!page->resume_button()->isEnabled());
    QVERIFY(!page->start_button()->isEnabled());  // B has no tokenizer
    QVERIFY(window.step_rail()->item(1)->text().contains("needs an earlier step"));

    // Back in A: its own recorded run, ready to resume.
    QVERIFY(window.open_project(a));
    QVERIFY(page->loss_points() > 0);
    QVERIFY(page->resume_button()->isEnabled());
  }

  // Closing the project while training asks first, then stops the worker.
  void closingProjectWhileTrainingAsksFirst() {
    QTemporaryDir dir;
    const QString a = dir.path() + "/a";
    ui::MainWindow window;
    QVERIFY(open_demo_copy(window, a, 1));
    auto* page = window.pretrain_page();
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    page->steps()->setValue(2000);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    std::vector<pid_t> workers;
    QTRY_VERIFY_WITH_TIMEOUT((workers = training_workers(page)).size() == 1, 60000);
    QString asked;
    answer_next_message_box(QMessageBox::Yes, &asked);
    window.close_project();
    QVERIFY(!asked.isEmpty());
    QTRY_VERIFY_WITH_TIMEOUT(!window.session().is_open(), 120000);
    QVERIFY(window.start_page()->isVisible());
    QTRY_VERIFY_WITH_TIMEOUT(!test::process_alive(workers[0]), 10000);
  }

  // Closing the project while fine-tuning asks first, then stops the worker (checkpoint first).
  void closingProjectWhileFinetuningAsksFirst() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    ui::MainWindow window;
    QVERIFY(open_demo_copy(window, folder, 2));
    auto* page = window.finetune_page();
    page->extra_settings()->setText("--n_layer 2 --n_embd 64 --n_head 2 --n_ff 128");
    emit page->extra_settings()->editingFinished();
    QTRY_VERIFY_WITH_TIMEOUT(page->context_fits().value_or(false), 30000);
    page->steps()->setValue(2000);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    std::vector<pid_t> workers;
    QTRY_VERIFY_WITH_TIMEOUT(
        (workers = test::child_processes(pid_t(page->train_job()->process_id()), "tinyllm-train"))
                .size() == 1,
        60000);
    QTRY_VERIFY_WITH_TIMEOUT(page->loss_plot()->graph(0)->dataCount() >= 1, 60000);
    QString asked;
    answer_next_message_box(QMessageBox::Yes, &asked);
    window.close_project();
    QVERIFY2(asked.contains("Stop it"), qPrintable(asked));
    QTRY_VERIFY_WITH_TIMEOUT(!window.session().is_open(), 120000);
    QTRY_VERIFY_WITH_TIMEOUT(!test::process_alive(workers[0]), 10000);
    // Stopped, not finished: no evaluation started, and the run can be resumed.
    QVERIFY(!page->busy());
    QVERIFY(QFileInfo::exists(folder + "/finetune/ft1/latest.json"));
  }

  // Texts and numbers on the Pre-train page agree with what is true.
  void pretrainTextsSayWhatIsTrue() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    QVERIFY(copy_demo(folder));
    auto tok = text::Tokenizer::load(fs::path(folder.toStdString()) / "tokenizer/tokenizer.model");
    QVERIFY(tok.ok());
    ui::MainWindow window;
    QVERIFY(open_on_step(window, folder, 1));
    auto* page = window.pretrain_page();
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    // The vocabulary actually made, and the parameter count from it.
    QVERIFY2(page->tokenizer_label()->text().contains(QString::number(tok->vocab_size())),
             qPrintable(page->tokenizer_label()->text()));
    auto config = model::preset("tiny");
    QVERIFY(config.ok());
    config->n_vocab = tok->vocab_size();
    const QString params =
        QString::fromStdString(model::format_count(model::parameter_count(*config)));
    QVERIFY2(page->estimate_label()->text().startsWith(params + " parameters"),
             qPrintable(page->estimate_label()->text() + " vs " + params));
    QVERIFY(page->estimate_label()->text().contains("Estimated"));
    QVERIFY(!page->resume_button()->isEnabled());
    // Jargon is explained where it first appears.
    QVERIFY(page->vocabulary()->toolTip().contains("vocabulary is"));
    QVERIFY(page->tokenizer_kind()->toolTip().contains("byte-pair"));
    QVERIFY(page->preset()->toolTip().contains("context"));
    QVERIFY(page->stop_button()->toolTip().contains("saved copy"));
    QVERIFY(!page->smoothing()->toolTip().isEmpty());
    // Dark palette: the learning-rate and tokens/s lines stand out from the background.
    window.set_dark(true);
    for (QCustomPlot* plot : {page->lr_plot(), page->speed_plot()}) {
      const double ratio = ui::contrast_ratio(plot->graph(0)->pen().color(),
                                              QApplication::palette().color(QPalette::Base));
      QVERIFY2(ratio >= 3.0, qPrintable(QString::number(ratio)));
    }
    window.set_dark(false);
    // Samples: byte pieces and control characters are readable, never U+FFFD.
    std::vector<int32_t> ids = tok->encode(
        "a\nb\x01"
        "c");
    const int32_t lone = tok->piece_to_id("<0xE2>");
    if (lone != tok->unk_id()) ids.push_back(lone);
    const QString shown = ui::readable_sample(*tok, ids);
    QVERIFY2(shown.contains(QChar(0x23CE)) && shown.contains(QChar(0x2401)), qPrintable(shown));
    QVERIFY(!shown.contains(QChar(0xFFFD)));
    if (lone != tok->unk_id()) QVERIFY2(shown.endsWith("<0xE2>"), qPrintable(shown));
    const auto accent = tok->encode("é");
    QVERIFY2(ui::readable_sample(*tok, accent).contains("é"),
             qPrintable(ui::readable_sample(*tok, accent)));
  }

  // The smoothed loss of a falling line lies on it (a centred window: no lag), at every amount
  // of smoothing and at the live end; a causal average would sit above it.
  void smoothingHasNoLag() {
    std::vector<double> line;
    for (int i = 0; i < 200; ++i)
      line.push_back(8.0 - 0.02 * i);
    for (int radius : {0, 1, 5, 25, 50}) {
      const auto smoothed = ui::smooth_centered(line, radius);
      QCOMPARE(smoothed.size(), line.size());
      for (size_t i = 0; i < line.size(); ++i)
        QVERIFY2(smoothed[i] <= line[i] + 1e-9,
                 qPrintable(QString("radius %1, point %2: %3 above %4")
                                .arg(radius)
                                .arg(i)
                                .arg(smoothed[i])
                                .arg(line[i])));
    }
    // Smoothing really smooths: noise shrinks.
    std::vector<double> noisy;
    for (int i = 0; i < 200; ++i)
      noisy.push_back((i % 2 ? 1.0 : -1.0));
    const auto flat = ui::smooth_centered(noisy, 10);
    QVERIFY(std::abs(flat[100]) < 0.1);
    // Recomputing the tail only gives the same as recomputing all.
    std::vector<double> tail =
        ui::smooth_centered(std::vector<double>(noisy.begin(), noisy.end() - 1), 10);
    ui::smooth_centered_tail(noisy, 10, noisy.size() - 12, tail);
    const auto full = ui::smooth_centered(noisy, 10);
    for (size_t i = 0; i < full.size(); ++i)
      QCOMPARE(tail[i], full[i]);
  }

  // The end of a run in each training page's own words, and a crash told apart from the worker's
  // own error (whose reason the user must keep seeing).
  void trainingStatusSaysHowTheRunEnded() {
    QCOMPARE(ui::run_end_text("early_stop", 120, 600, "validation accuracy", " Best 90.0%."),
             QString("Stopped early at step 120 of 600: the validation accuracy stopped "
                     "improving. Best 90.0%."));
    QCOMPARE(ui::run_end_text("interrupted", 7, 500, "validation loss", QString()),
             QString("Stopped at step 7 of 500. A checkpoint was written; Resume continues from "
                     "it."));
    QCOMPARE(ui::run_end_text("completed", 500, 500, "validation loss", " Best 1.5."),
             QString("Finished all 500 steps. Best 1.5."));
    const QString reported = ui::worker_error_text("Fine-tuning stopped", "no <examples>");
    QCOMPARE(
        reported,
        QString("<span style='color:#c62828'>Fine-tuning stopped: no &lt;examples&gt;</span>"));
    QCOMPARE(ui::worker_exit_text(1, reported, "Fine-tuning stopped", "tail"), reported);
    QVERIFY(ui::worker_exit_text(1, "Step 3 of 9", "Fine-tuning stopped", "Killed <9>")
                .contains("stopped unexpectedly. Last lines of its log:</span><pre>Killed "
                          "&lt;9&gt;</pre>"));
    QCOMPARE(ui::worker_exit_text(0, "Finished all 9 steps.", "Training stopped", "tail"),
             QString("Finished all 9 steps."));
    QCOMPARE(ui::eta_text(45), QString("45 s"));
    QCOMPARE(ui::eta_text(7380), QString("2 h 3 min"));
  }

  // Form rows that hold a field and a button: their mnemonic must reach the field, not show as a
  // literal '&' (the New project dialog said "&In folder:", the device dialog "&Key file:").
  void dialogLabelsShowNoLiteralAmpersand() {
    ui::MainWindow window;
    window.show();
    QStringList bad = {QStringLiteral("(the dialog did not open)")};
    QTimer::singleShot(200, [&bad] {
      auto* dialog = qobject_cast<QDialog*>(QApplication::activeModalWidget());
      if (!dialog) return;
      bad = labels_showing_an_ampersand(dialog);
      dialog->reject();
    });
    emit window.start_page()->newProjectRequested();  // the start screen's New project button
    QVERIFY2(bad.isEmpty(), qPrintable(bad.join(", ")));
    ui::DeviceDialog device(nullptr);
    bad = labels_showing_an_ampersand(&device);
    QVERIFY2(bad.isEmpty(), qPrintable(bad.join(", ")));
  }

  void aboutShowsTheVersion() {
    ui::MainWindow window;
    window.show();
    QVERIFY(QRegularExpression("^\\d+\\.\\d+\\.\\d+$").match(ui::MainWindow::version()).hasMatch());
    QString text;
    answer_next_message_box(QMessageBox::Ok, &text);
    for (QAction* action : window.findChildren<QAction*>())
      if (action->text().contains("About")) action->trigger();
    QVERIFY2(text.contains(ui::MainWindow::version()), qPrintable(text));
  }

  // The RSSI heat map has a colour scale in dBm and counts heard access points as the Overview
  // does (one function).
  void rssiHeatMapHasAScaleAndTheSameCount() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/rssi";
    QProcess p;
    p.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm",
            {"project", "new", folder, "--demo", "rssi"});
    QVERIFY(p.waitForFinished(120000));
    QCOMPARE(p.exitCode(), 0);
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(folder));
    auto* plot = window.data_page()->trace()->plot();
    QCPColorScale* scale = nullptr;
    for (auto* element : plot->plotLayout()->elements(true))
      if (auto* s = qobject_cast<QCPColorScale*>(element)) scale = s;
    QVERIFY(scale);
    QVERIFY(scale->axis()->label().contains("dBm"));
    const auto& source = window.session().data_info()["sources"][0];
    const size_t heard = ui::heard_channels(source["stats"]).size();
    QCPAxisRect* heat = nullptr;
    for (auto* rect : plot->axisRects())
      if (rect->axis(QCPAxis::atBottom)->label().contains(QString("%1 heard of").arg(heard)))
        heat = rect;
    QVERIFY(heat);
    // Its ticks read: access-point names under the columns (the demo's AP01..AP12), whole
    // fingerprint numbers, nothing like "2.5".
    plot->replot();
    const QVector<QString> ap_labels = heat->axis(QCPAxis::atBottom)->tickVectorLabels();
    QVERIFY2(ap_labels.size() >= 6,
             qPrintable(QStringList(ap_labels.begin(), ap_labels.end()).join(' ')));
    for (const QString& label : ap_labels)
      QVERIFY2(label.startsWith("AP"), qPrintable(label));
    for (double y : heat->axis(QCPAxis::atLeft)->tickVector())
      QCOMPARE(y, std::round(y));
  }

  void crashingWorkerShowsItsLogAndTheAppStaysUp() {
    QTemporaryDir dir;
    const QString folder = dir.path() + "/demo";
    QVERIFY(copy_demo(folder));
    // The worker kills itself (SIGKILL) in its first checkpoint write: a crash mid-run.
    qputenv("TINYLLM_TRAIN_DEBUG_KILL_IN_CHECKPOINT", "1");
    ui::MainWindow window;
    QVERIFY(open_on_step(window, folder, 1));
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

  // The Splits tab shows what the split audit found: here a class only one person performed,
  // so two of the three splits have no example of it.
  void splitsTabShowsTheSplitWarnings() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    test::write_text(root / "in" / "imu.csv", test::imu_csv_with_a_class_of_one_person());
    auto registry = test::builtin_registry();
    auto project = project::create_project(root / "imu", "I", "gesture");
    QVERIFY(project.ok());
    data::ImportRequest request;
    request.inputs = {root / "in" / "imu.csv"};
    QVERIFY(pipeline::import_source(*project, *registry, request).ok());
    data::PrepareSettings settings;
    settings.window_s = 1.0;
    settings.stride_s = 0.5;
    QVERIFY(pipeline::prepare_data(*project, *registry, settings).ok());

    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString((root / "imu").string())));
    const QString note = window.data_page()->split_note()->text();
    QVERIFY2(note.contains("Split by person"), qPrintable(note));
    QVERIFY2(note.contains("Check these before training") && note.contains("(b)"),
             qPrintable(note));
  }

  // A page closed while its job runs (the window closing right after opening a project, with
  // the context check still running) never hears from that job again: the job is killed while
  // the page is half destroyed, and a slot run then would touch freed members.
  void pageDestroyedWhileItsJobRunsGetsNoSignal() {
    // A widget that owns a job, as the pages do; its destructor marks it dead before QWidget
    // deletes the job (its child).
    struct Owner : QWidget {
      bool* dead;
      ui::JobRunner* job = new ui::JobRunner(this);
      explicit Owner(bool* d) : dead(d) {}
      ~Owner() override { *dead = true; }
    };
    qputenv("TINYLLM_CLI", "/bin/sleep");
    bool dead = false;
    int signals_after_death = 0;
    {
      Owner owner(&dead);
      QObject::connect(owner.job, &ui::JobRunner::finished, &owner,
                       [&] { signals_after_death += dead ? 1 : 0; });
      owner.job->start({"30"});
      QTRY_VERIFY(owner.job->process_id() != 0);
    }
    qputenv("TINYLLM_CLI", QByteArray(TINYLLM_BINARY_DIR) + "/bin/tinyllm");
    QVERIFY(dead);
    QCOMPARE(signals_after_death, 0);
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
