// The Deploy page offscreen against a real sshd on loopback (tests/sshd_fixture.h), driven
// through its real widgets and dialogs: a device added through the add dialog and the host-key
// confirmation, the demo model's q8_0 deployed with the Deploy button (checked on the device's
// disk: the `current` link), Evaluate beside the desktop, "Try it" (the model started on the
// device once and kept loaded: the second try is answered by the same process; let go when
// another step shows or the window closes; a killed runtime said clearly), a key with a passphrase
// asked through the password dialog, and a changed host key: a loud error, no accept dialog,
// nothing installed.
#include <QtTest>

#include <qcustomplot.h>
#include <QComboBox>
#include <QGroupBox>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableView>

#include <signal.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>

#include <nlohmann/json.hpp>

#include "deploy/device.h"
#include "deploy/remote_run.h"
#include "deploy/runtimes.h"
#include "deploy_dialogs.h"
#include "deploy_models.h"
#include "deploy_page.h"
#include "device_dialog.h"
#include "job_runner.h"
#include "main_window.h"
#include "process_probe.h"
#include "project_session.h"
#include "sshd_fixture.h"
#include "test_support.h"
#include "test_verify.h"
#include "try_it_panel.h"
#include "try_it_server.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using nlohmann::json;
using tinyllm::test::ModalAnswers;
using tinyllm::test::run_program;
using tinyllm::test::SshServer;

class TestGuiDeploy : public QObject {
  Q_OBJECT

  QTemporaryDir home_;
  QTemporaryDir dir_;
  fs::path project_;
  SshServer server_;

  fs::path root() const { return dir_.path().toStdString(); }

  ModalAnswers::Handler fill_device(const QString& name, const fs::path& key,
                                    const fs::path& known_hosts, const fs::path& folder) {
    return test::fill_device_dialog(server_, name, key, known_hosts, folder);
  }
  static ModalAnswers::Handler accept_host_key(QString* text) {
    return test::accept_host_key(text);
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    test::isolate_gui_test(home_.path());
    qunsetenv("SSH_AUTH_SOCK");
    if (!fs::exists("/usr/sbin/sshd")) QSKIP("openssh-server is not installed");
    auto runtime = deploy::find_runtime("x86_64");
    if (!runtime) QSKIP(("no x86_64 runtime to deploy: " + runtime.error().to_string()).c_str());
    TINYLLM_VERIFY_OK(server_.start());
    // The demo project with a tiny fine-tuned model exported as q8_0, as test_deploy makes it.
    project_ = root() / "demo";
    TINYLLM_VERIFY_OK(test::make_deployable_demo(test::tinyllm_cli(), project_, "q8_0"));
  }

  // Add (host key accepted in the dialog) -> Deploy -> Evaluate -> Try it, all through the page.
  void addDeployEvaluateTry() {
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString(project_.string())));
    window.step_rail()->setCurrentRow(4);
    auto* page = window.deploy_page();
    QCOMPARE(window.step_page(4), static_cast<QWidget*>(page));
    QVERIFY(window.step_rail()->item(4)->text().contains("ready"));
    QCOMPARE(page->variant_combo()->currentData().toString(), QString("q8_0"));
    QVERIFY(page->variant_combo()->currentText().contains("recommended"));

    const fs::path known = server_.dir() / "known_hosts-gui";
    const fs::path folder = server_.dir() / "gui-device";
    ModalAnswers answers;
    answers.then(fill_device("pi-a", server_.client_key(), known, folder));
    QString asked;
    answers.then(accept_host_key(&asked));
    page->add_button()->click();
    test::wait_idle(page);
    QTRY_VERIFY_WITH_TIMEOUT(answers.all_answered() && !page->busy(), 60000);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    // The fingerprint shown is the server's, with what to compare it with on the device.
    QVERIFY2(asked.contains(QString::fromStdString(server_.host_fingerprint())), qPrintable(asked));
    QVERIFY(asked.contains("ssh-keygen -lf"));
    QCOMPARE(page->device_model()->rowCount(), 1);
    QVERIFY(page->device_model()
                ->data(page->device_model()->index(0, ui::DeviceTableModel::kMachine))
                .toString()
                .contains("x86_64"));
    QVERIFY(fs::file_size(known) > 0);

    // Deploy: the only device is checked; the bar reaches 100% and `current` exists on disk.
    QCOMPARE(page->deploy_targets()->item(0)->checkState(), Qt::Checked);
    QVERIFY(page->deploy_button()->isEnabled());
    page->deploy_button()->click();
    QVERIFY(page->progress_bar("pi-a"));
    test::wait_idle(page);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    QCOMPARE(page->progress_bar("pi-a")->value(), 100);
    QVERIFY2(page->progress_label("pi-a")->text().startsWith("sent "),
             qPrintable(page->progress_label("pi-a")->text()));
    QVERIFY(fs::is_symlink(folder / "Demo_gestures" / "current"));
    QVERIFY(fs::exists(folder / "Demo_gestures" / "current" / "model.gguf"));
    QVERIFY2(window.step_rail()->item(4)->text().contains("done"),
             qPrintable(window.step_rail()->item(4)->text()));
    QVERIFY(page->device_model()
                ->data(page->device_model()->index(0, ui::DeviceTableModel::kDeployed))
                .toString()
                .contains("q8_0"));
    // Again: nothing is sent.
    page->deploy_button()->click();
    test::wait_idle(page);
    QCOMPARE(page->progress_label("pi-a")->text(), QString("unchanged: nothing sent"));

    // Evaluate: a device row and a desktop row with the same accuracy.
    page->device_table()->selectRow(0);
    QVERIFY(page->evaluate_button()->isEnabled());
    page->evaluate_button()->click();
    test::wait_idle(page);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    auto* runs = page->results_model();
    int device_row = -1, desktop_row = -1;
    for (int r = 0; r < runs->rowCount(); ++r) {
      const auto& run = runs->runs()[size_t(r)];
      if (run.mode != "eval") continue;
      (run.device == "pi-a" ? device_row : desktop_row) = r;
    }
    QVERIFY(device_row >= 0 && desktop_row >= 0);
    auto accuracy_text = [&](int row) {
      return runs->data(runs->index(row, ui::RunTableModel::kNumbers))
          .toString()
          .section('%', 0, 0);
    };
    QCOMPARE(accuracy_text(device_row), accuracy_text(desktop_row));
    QCOMPARE(runs->runs()[size_t(device_row)].result["correct"],
             runs->runs()[size_t(desktop_row)].result["correct"]);
    QCOMPARE(runs->data(runs->index(desktop_row, ui::RunTableModel::kDevice)).toString(),
             QString("desktop"));
    QVERIFY(page->results_plot()->graphCount() >= 2);  // device and desktop accuracy

    // Try it: test example 2, its true label shown, the device's answer and scores back. The
    // first try starts the model on the device; it stays loaded for the next.
    const fs::path gguf = folder / "Demo_gestures" / "current" / "model.gguf";
    auto runtimes = [&] { return test::processes_in_folder(folder, "tinyllm-run"); };
    auto* try_panel = page->try_panel();
    auto* said = try_panel->result_label();
    try_panel->example_spin()->setValue(2);
    const auto examples = test::read_jsonl(project_ / "data/prepared/task_test.jsonl");
    const QString truth = QString::fromStdString(examples[1].value("label", ""));
    QVERIFY(try_panel->example_label()->text().contains(truth));
    try_panel->run_button()->click();
    QCOMPARE(said->text(), QString("Starting the model on the device..."));
    QVERIFY(!try_panel->run_button()->isEnabled());  // one try at a time
    QTRY_VERIFY_WITH_TIMEOUT(said->text().contains("Answer: <b>"), 120000);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    QVERIFY(said->text().contains("true answer is " + truth));
    QVERIFY2(said->text().contains("started on pi-a for this try"), qPrintable(said->text()));
    QVERIFY(try_panel->scores_plot()->plottableCount() > 0);
    const json first = json::parse(run_program(std::string(TINYLLM_BINARY_DIR) + "/bin/tinyllm-run",
                                               {"classify", "--model", gguf.string(), "--prompt",
                                                examples[1].value("prompt", ""), "--json"})
                                       .out);
    QVERIFY(said->text().contains("Answer: <b>" + QString::fromStdString(first["label"]) + "</b>"));
    const auto loaded = runtimes();
    QCOMPARE(loaded.size(), size_t{1});
    const qint64 cli = page->try_server()->process_id();
    QVERIFY(cli > 0);

    // The second try: the same CLI and the same process on the device answer; no reload.
    QTRY_VERIFY(try_panel->run_button()->isEnabled());
    try_panel->example_spin()->setValue(3);
    try_panel->run_button()->click();
    QCOMPARE(said->text(), QString("Running on pi-a..."));
    QTRY_VERIFY_WITH_TIMEOUT(said->text().contains("Answer: <b>"), 60000);
    QVERIFY2(said->text().contains("already loaded on pi-a"), qPrintable(said->text()));
    QVERIFY(said->text().contains(" ms ("));  // the latency the device measured
    QCOMPARE(runtimes(), loaded);
    QCOMPARE(page->try_server()->process_id(), cli);

    // Another step shown: the model is let go, on the device and here.
    window.step_rail()->setCurrentRow(3);
    QTRY_VERIFY_WITH_TIMEOUT(runtimes().empty(), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(!test::process_alive(pid_t(cli)), 20000);
    QVERIFY(!page->try_server()->running());

    // Back, and the runtime killed on the device while loaded: the next try says so clearly;
    // the one after starts the model again.
    window.step_rail()->setCurrentRow(4);
    try_panel->run_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(said->text().contains("Answer: <b>"), 120000);
    QCOMPARE(runtimes().size(), size_t{1});
    ::kill(runtimes().front(), SIGKILL);
    try_panel->run_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(said->text().contains("could not answer"), 60000);
    QVERIFY2(said->text().contains("stopped on the device") && said->text().contains("signal 9"),
             qPrintable(said->text()));
    QTRY_VERIFY_WITH_TIMEOUT(!page->try_server()->running(), 20000);
    try_panel->run_button()->click();
    QCOMPARE(said->text(), QString("Starting the model on the device..."));
    QTRY_VERIFY_WITH_TIMEOUT(said->text().contains("Answer: <b>"), 120000);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));

    // The window closes: nothing is left running, here or on the device.
    const qint64 last_cli = page->try_server()->process_id();
    QVERIFY(last_cli > 0);
    window.close();
    QTRY_VERIFY_WITH_TIMEOUT(runtimes().empty(), 20000);
    QTRY_VERIFY_WITH_TIMEOUT(!test::process_alive(pid_t(last_cli)), 20000);
  }

  // A key with a passphrase: the CLI asks, the page shows a password dialog, the answer logs in;
  // the passphrase is nowhere in the project.
  void passphraseAskedInADialog() {
    const fs::path key = server_.passphrase_key();
    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString(project_.string())));
    auto* page = window.deploy_page();
    const int before = page->device_model()->rowCount();
    ModalAnswers answers;
    answers.then(fill_device("locked", key, server_.dir() / "known_hosts-locked",
                             server_.dir() / "locked-device"));
    answers.then(accept_host_key(nullptr));  // the host key comes first, before any login
    bool password_mode = false;
    answers.then([&](QWidget* w) {
      auto* input = qobject_cast<QInputDialog*>(w);
      QVERIFY(input);
      password_mode = input->textEchoMode() == QLineEdit::Password;
      input->setTextValue(SshServer::kKeyPassphrase);
      input->accept();
    });
    page->add_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(answers.all_answered() && !page->busy(), 60000);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    QVERIFY(password_mode);
    QCOMPARE(page->device_model()->rowCount(), before + 1);
    QVERIFY(
        test::read_text(project_ / "deployments/devices.json").find(SshServer::kKeyPassphrase) ==
        std::string::npos);
  }

  // A changed host key: a loud error (never an accept dialog), the device not added, and a
  // deploy to a device whose key changed installs nothing.
  void changedHostKeyIsRefusedLoudly() {
    // known_hosts names this server with another (valid) key: its real key is "changed".
    const fs::path known = server_.dir() / "known_hosts-changed";
    const std::string other = test::read_text(server_.other_key().string() + ".pub");
    std::ofstream(known) << "[127.0.0.1]:" << server_.port() << " "
                         << other.substr(0, other.rfind(' ')) << "\n";
    const fs::path folder = server_.dir() / "evil-device";

    ui::MainWindow window;
    window.show();
    QVERIFY(window.open_project(QString::fromStdString(project_.string())));
    auto* page = window.deploy_page();
    const int before = page->device_model()->rowCount();
    ModalAnswers answers;
    answers.then(fill_device("evil", server_.client_key(), known, folder));
    QString error;
    QMessageBox::Icon icon = QMessageBox::NoIcon;
    answers.then([&](QWidget* w) {
      auto* box = qobject_cast<QMessageBox*>(w);
      QVERIFY(box);
      error = box->text() + "\n" + box->detailedText();
      icon = box->icon();
      box->accept();
    });
    page->add_button()->click();
    QTRY_VERIFY_WITH_TIMEOUT(answers.all_answered() && !page->busy(), 60000);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    QCOMPARE(icon, QMessageBox::Critical);
    QVERIFY2(
        error.contains("identity (host key) has changed") && error.contains("HOST KEY HAS CHANGED"),
        qPrintable(error));
    QCOMPARE(page->device_model()->rowCount(), before);
    QVERIFY(!fs::exists(folder));

    // The same device already in the project (its key changed since): Deploy sends nothing.
    deploy::DeviceProfile d;
    d.name = "evil";
    d.ssh = {"127.0.0.1", server_.port(), server_.user(), server_.client_key().string(),
             known.string()};
    d.install_dir = folder.string();
    TINYLLM_VERIFY_OK(deploy::put_device(project_, d));
    window.session().reload();
    auto* targets = page->deploy_targets();
    for (int i = 0; i < targets->count(); ++i)
      targets->item(i)->setCheckState(targets->item(i)->text() == "evil" ? Qt::Checked
                                                                         : Qt::Unchecked);
    page->deploy_button()->click();
    test::wait_idle(page);
    QVERIFY2(answers.unexpected_.isEmpty(), qPrintable(answers.unexpected_.join('\n')));
    QVERIFY2(page->progress_label("evil")->text().contains("failed"),
             qPrintable(page->progress_label("evil")->text()));
    QVERIFY(page->progress_bar("evil")->value() < 100);
    QVERIFY(!fs::exists(folder));
  }
};

QTEST_MAIN(TestGuiDeploy)
#include "test_gui_deploy.moc"
