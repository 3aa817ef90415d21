// The Quantize page offscreen in the real window, on a tiny fine-tuned demo project the CLI made
// (test::make_deployable_demo, not exported): two types checked and exported through the
// `tinyllm export` worker with its progress bar; the GGUF files on disk, the table equal to the
// report file, the charts drawn, the step rail at done; "Try it" answered by the desktop runtime
// with a label of the task; the page opened again on the earlier export, a removed file marked
// stale; and Stop, after which neither the worker nor the runtime it started is alive.
#include <QtTest>

#include <qcustomplot.h>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>

#include <csignal>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "job_runner.h"
#include "main_window.h"
#include "process_probe.h"
#include "quantize_models.h"
#include "quantize_page.h"
#include "sshd_fixture.h"  // make_deployable_demo (no sshd is started)
#include "test_support.h"
#include "test_verify.h"
#include "try_it_panel.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr int kQuantizeRow = 3;

void check_only(ui::QuantizePage* page, const std::set<QString>& types) {
  for (const char* t : {"f32", "f16", "q8_0", "q4_0"})
    page->type_box(t)->setChecked(types.count(t) > 0);
}

// A report number as the table's value role gives it: no value for null.
void compare_cell(const ui::QuantTableModel* model, int row, int column, const json& expected,
                  double scale = 1.0) {
  const QVariant v = model->data(model->index(row, column), ui::QuantTableModel::kValueRole);
  if (expected.is_null()) {
    QVERIFY2(!v.isValid(), qPrintable(QString("row %1 column %2").arg(row).arg(column)));
    return;
  }
  QVERIFY2(v.isValid(), qPrintable(QString("row %1 column %2").arg(row).arg(column)));
  QCOMPARE(v.toDouble(), expected.get<double>() * scale);
}

}  // namespace

class TestGuiQuantize : public QObject {
  Q_OBJECT

  QTemporaryDir home_;
  QTemporaryDir dir_;
  fs::path project_;

  QString folder() const { return QString::fromStdString(project_.string()); }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    test::isolate_gui_test(home_.path());
    project_ = fs::path(dir_.path().toStdString()) / "demo";
    TINYLLM_VERIFY_OK(
        test::make_deployable_demo(test::tinyllm_cli(), project_, ""));  // fine-tuned, not exported
  }

  void exportShowsTheReportAndTryItAnswers() {
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(folder()));
    window.step_rail()->setCurrentRow(kQuantizeRow);
    auto* page = window.quantize_page();
    QCOMPARE(window.step_page(kQuantizeRow), static_cast<QWidget*>(page));
    QVERIFY2(window.step_rail()->item(kQuantizeRow)->text().contains("ready"),
             qPrintable(window.step_rail()->item(kQuantizeRow)->text()));
    QCOMPARE(page->run_combo()->currentData().toString(), QString("ft1"));
    QVERIFY(page->type_box("q8_0")->text().contains("recommended"));
    QCOMPARE(page->model()->rowCount(), 0);

    check_only(page, {"f32", "q8_0"});
    std::set<int> progress;  // the values the bar showed for the worker's lines
    int total = 0;
    connect(page->progress_bar(), &QProgressBar::valueChanged, page, [&](int v) {
      if (page->progress_bar()->maximum() <= 1) return;  // before the first line, after the end
      progress.insert(v);
      total = std::max(total, page->progress_bar()->maximum());
    });
    QVERIFY(page->export_button()->isEnabled());
    page->export_button()->click();
    QVERIFY(page->busy());
    QVERIFY(page->stop_button()->isEnabled());
    QVERIFY(window.step_rail()->item(kQuantizeRow)->text().contains("running"));
    test::wait_idle(page);
    QVERIFY2(page->error_label()->isHidden(), qPrintable(page->error_label()->text()));

    // Two files plus three measurements of each: the bar went through every one of the eight.
    QCOMPARE(total, 8);
    for (int step = 1; step <= total; ++step)
      QVERIFY2(progress.count(step), qPrintable(QString("the bar never showed %1").arg(step)));
    QVERIFY(page->progress_label()->text().startsWith("Done"));
    QVERIFY(fs::exists(project_ / "exports" / "ft1-f32.gguf"));
    QVERIFY(fs::exists(project_ / "exports" / "ft1-q8_0.gguf"));
    QVERIFY(!fs::exists(project_ / "exports" / "ft1-q4_0.gguf"));

    // The table holds the report file's numbers, row by row.
    const json report =
        json::parse(test::read_text(project_ / "reports" / "quantization-ft1.json"));
    const auto* model = page->model();
    QCOMPARE(size_t(model->rowCount()), report["variants"].size());
    QCOMPARE(model->rowCount(), 2);
    using M = ui::QuantTableModel;
    for (int r = 0; r < model->rowCount(); ++r) {
      const json& v = report["variants"][size_t(r)];
      QCOMPARE(model->data(model->index(r, M::kType), M::kValueRole).toString(),
               QString::fromStdString(v["type"].get<std::string>()));
      compare_cell(model, r, M::kSize, v["bytes"]);
      compare_cell(model, r, M::kBits, v["bits_per_weight"]);
      compare_cell(model, r, M::kPerplexity, v["perplexity"]);
      compare_cell(model, r, M::kAccuracy, v["accuracy"]);
      compare_cell(model, r, M::kPromptSpeed, v["prompt_tokens_per_s"]);
      compare_cell(model, r, M::kGenSpeed, v["gen_tokens_per_s"]);
      QCOMPARE(uint64_t(fs::file_size(project_ / v["file"].get<std::string>())),
               v["bytes"].get<uint64_t>());
    }
    QVERIFY(model->data(model->index(1, M::kSize)).toString().contains("x)"));  // vs F32
    // The tiny files fit every Pi: the best accuracy wins, a tie goes to the smaller q8_0.
    QVERIFY(model->recommended().has_value());
    auto accuracy = [&](size_t row) {  // not measured ranks lowest
      const json& a = report["variants"][row]["accuracy"];
      return a.is_number() ? a.get<double>() : -1.0;
    };
    const double acc_f32 = accuracy(0), acc_q8 = accuracy(1);
    QCOMPARE(*model->recommended(), size_t(acc_f32 > acc_q8 ? 0 : 1));
    QVERIFY(model->data(model->index(int(*model->recommended()), 0), Qt::FontRole)
                .value<QFont>()
                .bold());
    QVERIFY(page->recommendation_label()->text().contains("Best fit"));
    for (auto m : {ui::QuantMeasure::size, ui::QuantMeasure::perplexity, ui::QuantMeasure::accuracy,
                   ui::QuantMeasure::speed}) {
      int bars = 0;
      for (int i = 0; i < page->plot(m)->plottableCount(); ++i)
        if (auto* b = qobject_cast<QCPBars*>(page->plot(m)->plottable(i)))
          bars += b->data()->size();
      QVERIFY2(bars >= 2, qPrintable(QString("measure %1: %2 bars").arg(int(m)).arg(bars)));
    }
    QVERIFY2(window.step_rail()->item(kQuantizeRow)->text().contains("done"),
             qPrintable(window.step_rail()->item(kQuantizeRow)->text()));

    // Try it: test example 2 through this computer's runtime, the answer one of the task's.
    auto* panel = page->try_panel();
    QCOMPARE(page->try_variant_combo()->count(), 2);
    QVERIFY(page->try_variant_combo()->currentText().startsWith("q8_0"));
    const auto examples = test::read_jsonl(project_ / "data/prepared/task_test.jsonl");
    std::set<QString> answers;
    for (const auto& e : examples)
      answers.insert(QString::fromStdString(e.value("label", "")));
    panel->example_spin()->setValue(2);
    const QString truth = QString::fromStdString(examples[1].value("label", ""));
    QVERIFY(panel->example_label()->text().contains(truth));
    QVERIFY(panel->run_button()->isEnabled());
    panel->run_button()->click();
    test::wait_idle(page, 60000);
    const QString said = panel->result_label()->text();
    QVERIFY2(said.contains("Answer: <b>"), qPrintable(said + " | " + page->status_label()->text()));
    const QString answer = said.section("Answer: <b>", 1).section("</b>", 0, 0);
    QVERIFY2(answers.count(answer), qPrintable(answer));
    QVERIFY(said.contains(" ms "));
    QVERIFY(said.contains("true answer is " + truth));
    QVERIFY(panel->scores_plot()->plottableCount() > 0);
  }

  // The page opened on the export made before reads the report; a file removed since is stale
  // in the table, and the step rail says so too.
  void earlierExportIsShownAndStaleIsMarked() {
    QVERIFY(fs::exists(project_ / "reports" / "quantization-ft1.json"));
    fs::remove(project_ / "exports" / "ft1-f32.gguf");
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(folder()));
    window.step_rail()->setCurrentRow(kQuantizeRow);
    auto* page = window.quantize_page();
    const auto* model = page->model();
    QCOMPARE(model->rowCount(), 2);
    QVERIFY2(window.step_rail()->item(kQuantizeRow)->text().contains("stale"),
             qPrintable(window.step_rail()->item(kQuantizeRow)->text()));
    QVERIFY(model->is_stale(0));
    QVERIFY(model->data(model->index(0, 0)).toString().contains("stale"));
    QVERIFY(!model->is_stale(1));
    QVERIFY(page->report_label()->text().contains("Stale"));
    QCOMPARE(page->try_variant_combo()->count(), 1);  // the file that is still there
  }

  // Stop while the runtime measures: the export worker and the tinyllm-run it started are gone.
  void stopKillsTheWorkerAndItsRuntime() {
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(folder()));
    window.step_rail()->setCurrentRow(kQuantizeRow);
    auto* page = window.quantize_page();
    check_only(page, {"f32", "f16", "q8_0", "q4_0"});
    page->export_button()->click();
    QVERIFY(page->busy());
    const pid_t worker = pid_t(page->job()->process_id());
    QVERIFY(worker > 0);
    // A runtime frozen (SIGSTOP) while it measures: it would never end on its own, so only the
    // worker's Stop can make it go (an orphan would otherwise stay; its pipe closing does not
    // reach a stopped process).
    std::vector<pid_t> runtimes;
    auto freeze_a_runtime = [&] {
      for (pid_t r : test::child_processes(worker, "tinyllm-run")) {
        ::kill(r, SIGSTOP);
        const auto f = test::proc_stat_fields(r);
        if (!f.empty() && f[0] == "T") runtimes.push_back(r);
      }
      return !runtimes.empty();
    };
    QTRY_VERIFY_WITH_TIMEOUT(freeze_a_runtime() || !page->busy(), 120000);
    QVERIFY2(!runtimes.empty(), "the export ended before its runtime could be seen");
    auto cleanup = qScopeGuard([&] {  // never leave a frozen process behind, even on failure
      for (pid_t r : runtimes)
        if (test::process_alive(r)) ::kill(r, SIGKILL);
    });
    page->stop_button()->click();
    test::wait_idle(page, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(!test::process_alive(worker), 5000);
    for (pid_t r : runtimes)
      QTRY_VERIFY_WITH_TIMEOUT(!test::process_alive(r), 5000);
    QVERIFY2(page->progress_label()->text().startsWith("Stopped"),
             qPrintable(page->progress_label()->text()));
    QVERIFY(page->error_label()->isHidden());
    QVERIFY(!window.step_rail()->item(kQuantizeRow)->text().contains("running"));
    QVERIFY(page->export_button()->isEnabled());
  }
};

QTEST_MAIN(TestGuiQuantize)
#include "test_gui_quantize.moc"
