// The whole walk a new user takes, in one window, through the real widgets offscreen: the start
// screen's demo project; step 1 prepares its text; step 2 trains the tokenizer and pre-trains a
// tiny model; step 3 fine-tunes that model and evaluates it beside the baselines; step 4 exports
// Q8_0 and measures it; step 5 adds a device on a loopback sshd (host key accepted in the dialog),
// deploys, evaluates on the device and tries an example there. After each step its page shows
// the result and the step rail marks it done; at the end all five are done.
#include <QtTest>

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "data_page.h"
#include "deploy/runtimes.h"
#include "deploy_dialogs.h"
#include "deploy_models.h"
#include "deploy_page.h"
#include "finetune_page.h"
#include "main_window.h"
#include "pretrain_page.h"
#include "project_session.h"
#include "quantize_models.h"
#include "quantize_page.h"
#include "sshd_fixture.h"
#include "start_page.h"
#include "test_support.h"
#include "test_verify.h"
#include "try_it_panel.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using nlohmann::json;
using tinyllm::test::ModalAnswers;
using tinyllm::test::SshServer;

namespace {

enum Row { kData, kPretrain, kFinetune, kQuantize, kDeploy };

QString rail(ui::MainWindow& window, int row) {
  return window.step_rail()->item(row)->text();
}

}  // namespace

class TestGuiWalk : public QObject {
  Q_OBJECT
  QTemporaryDir home_;
  SshServer server_;

 private slots:
  void initTestCase() {
    test::isolate_gui_test(home_.path());
    qunsetenv("SSH_AUTH_SOCK");
    if (!fs::exists("/usr/sbin/sshd")) QSKIP("openssh-server is not installed");
    auto runtime = deploy::find_runtime("x86_64");
    if (!runtime) QSKIP(("no x86_64 runtime to deploy: " + runtime.error().to_string()).c_str());
    TINYLLM_VERIFY_OK(server_.start());
  }

  void fiveStepsOnTheDemoProject() {
    ui::MainWindow window;
    window.show();

    // The start screen's demo project opens on the Data page.
    QTest::mouseClick(window.start_page()->demo_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(window.session().is_open(), 60000);
    const fs::path project = window.session().project().root;
    QVERIFY(window.data_page()->isVisible());
    for (int row : {kFinetune, kQuantize, kDeploy})
      QVERIFY2(rail(window, row).contains("needs an earlier step"), qPrintable(rail(window, row)));

    // 1. Data: prepare the text; the preview shows a prompt.
    QTest::mouseClick(window.data_page()->prepare_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(rail(window, kData).contains("done"), 60000);
    QVERIFY(window.data_page()->text_preview()->toPlainText().contains("### Instruction:"));
    QVERIFY(fs::exists(project / "data/prepared/task_test.jsonl"));

    // 2. Pre-train: the tokenizer, then a few steps of the tiny preset.
    window.step_rail()->setCurrentRow(kPretrain);
    auto* pretrain = window.pretrain_page();
    QVERIFY(pretrain->isVisible());
    QTest::mouseClick(pretrain->tokenizer_button(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!pretrain->busy() && pretrain->start_button()->isEnabled(), 120000);
    QVERIFY(fs::exists(project / "tokenizer/tokenizer.model"));
    pretrain->preset()->setCurrentIndex(pretrain->preset()->findData("tiny"));
    pretrain->steps()->setValue(6);
    QSignalSpy pretrained(pretrain, &ui::PretrainPage::trainingFinished);
    QTest::mouseClick(pretrain->start_button(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(pretrained.count(), 1, 300000);
    QVERIFY2(pretrained.at(0).at(0).toBool(), qPrintable(pretrain->status_label()->text()));
    QVERIFY(pretrain->loss_points() >= 1);
    QTRY_VERIFY2_WITH_TIMEOUT(rail(window, kPretrain).contains("done"),
                              qPrintable(rail(window, kPretrain)), 10000);

    // 3. Fine-tune the pre-trained model; the evaluation follows by itself.
    window.step_rail()->setCurrentRow(kFinetune);
    auto* finetune = window.finetune_page();
    QVERIFY(finetune->isVisible());
    QVERIFY(finetune->from_pretrained()->isEnabled());
    QVERIFY(finetune->from_pretrained()->isChecked());
    QTRY_VERIFY_WITH_TIMEOUT(finetune->context_fits().value_or(false), 30000);
    finetune->steps()->setValue(20);
    finetune->extra_settings()->setText("--eval_every 10");
    emit finetune->extra_settings()->editingFinished();
    QTRY_VERIFY_WITH_TIMEOUT(finetune->context_fits().value_or(false), 30000);
    QSignalSpy trained(finetune, &ui::FinetunePage::trainingFinished);
    QSignalSpy evaluated(finetune, &ui::FinetunePage::evaluationFinished);
    QTest::mouseClick(finetune->start_button(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(trained.count(), 1, 300000);
    QVERIFY2(trained.at(0).at(0).toBool(), qPrintable(finetune->status_label()->text()));
    QTRY_COMPARE_WITH_TIMEOUT(evaluated.count(), 1, 300000);
    QVERIFY2(evaluated.at(0).at(0).toBool(), qPrintable(finetune->summary_label()->text()));
    const json report = json::parse(test::read_text(project / "reports/ft1-test/report.json"));
    QCOMPARE(finetune->comparison_names().size(), 4);  // the model beside three baselines
    QCOMPARE(finetune->per_class()->rowCount(), int(report["classes"].size()));
    QTRY_VERIFY2_WITH_TIMEOUT(rail(window, kFinetune).contains("done"),
                              qPrintable(rail(window, kFinetune)), 10000);

    // 4. Quantize: Q8_0 exported and measured; the table holds its row.
    window.step_rail()->setCurrentRow(kQuantize);
    auto* quantize = window.quantize_page();
    QVERIFY(quantize->isVisible());
    QCOMPARE(quantize->run_combo()->currentData().toString(), QString("ft1"));
    for (const char* type : {"f32", "f16", "q4_0"})
      quantize->type_box(type)->setChecked(false);
    quantize->type_box("q8_0")->setChecked(true);
    quantize->export_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!quantize->busy(), 300000);
    QVERIFY2(quantize->error_label()->isHidden(), qPrintable(quantize->error_label()->text()));
    QVERIFY(fs::exists(project / "exports/ft1-q8_0.gguf"));
    QCOMPARE(quantize->model()->rowCount(), 1);
    QTRY_VERIFY2_WITH_TIMEOUT(rail(window, kQuantize).contains("done"),
                              qPrintable(rail(window, kQuantize)), 10000);

    // 5. Deploy: add the loopback device (its host key accepted in the dialog), deploy, evaluate
    // on the device beside this computer, and try one example there.
    window.step_rail()->setCurrentRow(kDeploy);
    auto* deploy = window.deploy_page();
    QVERIFY(deploy->isVisible());
    QVERIFY2(rail(window, kDeploy).contains("ready"), qPrintable(rail(window, kDeploy)));
    const fs::path folder = server_.dir() / "walk-device";
    ModalAnswers answers;
    answers.then(test::fill_device_dialog(server_, "pi", server_.client_key(),
                                          server_.dir() / "known_hosts-walk", folder));
    QString asked;
    answers.then(test::accept_host_key(&asked));
    deploy->add_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(answers.all_answered() && !deploy->busy(), 120000);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    QVERIFY2(asked.contains(QString::fromStdString(server_.host_fingerprint())), qPrintable(asked));
    QCOMPARE(deploy->device_model()->rowCount(), 1);

    QCOMPARE(deploy->variant_combo()->currentData().toString(), QString("q8_0"));
    QCOMPARE(deploy->deploy_targets()->item(0)->checkState(), Qt::Checked);
    deploy->deploy_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!deploy->busy(), 240000);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    QVERIFY2(deploy->progress_label("pi")->text().startsWith("sent "),
             qPrintable(deploy->progress_label("pi")->text()));
    bool installed = false;
    for (const auto& model : fs::directory_iterator(folder))
      installed = installed || fs::exists(model.path() / "current" / "model.gguf");
    QVERIFY(installed);

    deploy->device_table()->selectRow(0);
    deploy->evaluate_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!deploy->busy(), 240000);
    int device_runs = 0, desktop_runs = 0;
    for (const auto& run : deploy->results_model()->runs())
      if (run.mode == "eval") ++(run.device == "pi" ? device_runs : desktop_runs);
    QCOMPARE(device_runs, 1);
    QCOMPARE(desktop_runs, 1);

    auto* panel = deploy->try_panel();
    panel->example_spin()->setValue(1);
    panel->run_button()->click();
    // The first try starts the model on the device (tinyllm remote serve), then answers.
    QTRY_VERIFY2_WITH_TIMEOUT(panel->result_label()->text().contains("Answer: <b>"),
                              qPrintable(panel->result_label()->text()), 120000);

    // The whole walk is recorded: every step done.
    for (int row : {kData, kPretrain, kFinetune, kQuantize, kDeploy})
      QVERIFY2(rail(window, row).contains("done"), qPrintable(rail(window, row)));
  }
};

QTEST_MAIN(TestGuiWalk)
#include "test_gui_walk.moc"
