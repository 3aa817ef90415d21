// Training on other hosts over SSH (issue 15), on two "hosts" made on this machine: two network
// namespaces, each with its own address, its own sshd and its own working folder, joined to each
// other by a veth pair (the network Gloo talks over, tlnet0 in both) and to this namespace (the
// desktop's) by one veth pair each (the SSH connections). Uploads, copies home and the
// rendezvous all cross real network stacks. Needs root (ip netns); says so and skips otherwise.
#include <QtTest>

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>

#include <qcustomplot.h>
#include <nlohmann/json.hpp>

#include "deploy/device.h"
#include "finetune_page.h"
#include "main_window.h"
#include "pipeline/pretrain_step.h"
#include "pretrain_page.h"
#include "process_probe.h"
#include "project/project.h"
#include "project_session.h"
#include "run_on_picker.h"
#include "safetensors/safetensors.h"
#include "test_support.h"
#include "test_verify.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Run {
  int code = -1;
  std::string out, err;
};

Run run_program(const std::string& program, const QStringList& args, int timeout_ms = 120000) {
  QProcess p;
  p.start(QString::fromStdString(program), args);
  Run r;
  if (!p.waitForStarted()) {
    r.err = "cannot start " + program;
    return r;
  }
  if (!p.waitForFinished(timeout_ms)) {
    p.kill();
    p.waitForFinished();
  }
  r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  r.out = p.readAllStandardOutput().toStdString();
  r.err = p.readAllStandardError().toStdString();
  return r;
}

Run ip(const QStringList& args) {
  return run_program("ip", args, 20000);
}

std::string worker_path() {
  return std::string(TINYLLM_BINARY_DIR) + "/bin/tinyllm-train";
}

// Two hosts, "ta" and "tb", in network namespaces; torn down on destruction.
class NamespaceHosts {
 public:
  static constexpr const char* kNames[2] = {"tlltest-a", "tlltest-b"};
  static constexpr const char* kSshAddr[2] = {"10.231.1.2", "10.231.2.2"};
  static constexpr const char* kLinkAddr[2] = {"10.231.3.1", "10.231.3.2"};
  static constexpr const char* kLinkIface = "tlnet0";

  ~NamespaceHosts() { teardown(); }

  // Empty when everything is up; else why not (the caller skips with it).
  std::string start(const fs::path& dir) {
    dir_ = dir;
    fs::create_directories(dir);
    unsupported_ = true;
    if (::geteuid() != 0) return "needs root to make network namespaces (ip netns)";
    if (!fs::exists("/usr/sbin/sshd")) return "needs OpenSSH's sshd (openssh-server)";
    if (ip({"netns", "list"}).code != 0) return "needs iproute2 (ip)";
    unsupported_ = false;
    teardown();  // a namespace left by a killed earlier run
    for (int h = 0; h < 2; ++h) {
      const QString ns = kNames[h];
      const Run made = ip({"netns", "add", ns});
      if (made.code != 0) {
        unsupported_ = true;
        return "cannot make a network namespace here (" + made.err +
               "): a container without CAP_SYS_ADMIN";
      }
      made_[h] = true;
      // The desktop's link to this host.
      const QString outside = QString("tllh%1").arg(h), inside = QString("tllp%1").arg(h);
      const QString subnet = QString("10.231.%1.").arg(h + 1);
      for (const QStringList& a :
           {QStringList{"link", "add", outside, "type", "veth", "peer", "name", inside},
            QStringList{"link", "set", inside, "netns", ns},
            QStringList{"addr", "add", subnet + "1/24", "dev", outside},
            QStringList{"link", "set", outside, "up"},
            QStringList{"-n", ns, "addr", "add", subnet + "2/24", "dev", inside},
            QStringList{"-n", ns, "link", "set", inside, "up"},
            QStringList{"-n", ns, "link", "set", "lo", "up"}}) {
        const Run r = ip(a);
        if (r.code != 0) return "ip " + a.join(' ').toStdString() + ": " + r.err;
      }
    }
    // The hosts' own network, one interface name in both (so one GLOO_SOCKET_IFNAME serves).
    for (const QStringList& a :
         {QStringList{"link", "add", "tllab", "type", "veth", "peer", "name", "tllba"},
          QStringList{"link", "set", "tllab", "netns", kNames[0]},
          QStringList{"link", "set", "tllba", "netns", kNames[1]},
          QStringList{"-n", kNames[0], "link", "set", "tllab", "name", kLinkIface},
          QStringList{"-n", kNames[1], "link", "set", "tllba", "name", kLinkIface},
          QStringList{"-n", kNames[0], "addr", "add", QString(kLinkAddr[0]) + "/24", "dev",
                      kLinkIface},
          QStringList{"-n", kNames[1], "addr", "add", QString(kLinkAddr[1]) + "/24", "dev",
                      kLinkIface},
          QStringList{"-n", kNames[0], "link", "set", kLinkIface, "up"},
          QStringList{"-n", kNames[1], "link", "set", kLinkIface, "up"}}) {
      const Run r = ip(a);
      if (r.code != 0) return "ip " + a.join(' ').toStdString() + ": " + r.err;
    }
    for (const char* key : {"host_key", "client_key"}) {
      const Run r = run_program("ssh-keygen", {"-q", "-t", "ed25519", "-N", "", "-f",
                                               QString::fromStdString((dir / key).string())});
      if (r.code != 0) return "ssh-keygen: " + r.err;
    }
    fs::copy_file(dir / "client_key.pub", dir / "authorized_keys");
    std::error_code ec;
    fs::create_directories("/run/sshd", ec);
    for (int h = 0; h < 2; ++h) {
      const fs::path config = dir / ("sshd_config-" + std::to_string(h));
      std::ofstream(config) << "ListenAddress " << kSshAddr[h] << "\nPort 22\nHostKey "
                            << (dir / "host_key").string() << "\nAuthorizedKeysFile "
                            << (dir / "authorized_keys").string() << "\nPidFile "
                            << pid_file(h).string()
                            << "\nStrictModes no\nUsePAM no\nPasswordAuthentication no\n"
                               "KbdInteractiveAuthentication no\n"
                               "PermitRootLogin prohibit-password\n"
                               "Subsystem sftp internal-sftp\nMaxStartups 50\n";
      const Run r =
          ip({"netns", "exec", kNames[h], "/usr/sbin/sshd", "-f",
              QString::fromStdString(config.string()), "-E",
              QString::fromStdString((dir / ("sshd-" + std::to_string(h) + ".log")).string())});
      if (r.code != 0) return "sshd in " + std::string(kNames[h]) + ": " + r.err;
      for (int i = 0; i < 100 && sshd_pid(h) <= 0; ++i)
        QThread::msleep(50);
      if (sshd_pid(h) <= 0) return "sshd in " + std::string(kNames[h]) + " did not start";
      fs::create_directories(host_dir(h));
    }
    return {};
  }

  // Whether start() failed because this machine cannot have namespaces (skip), not a fault.
  bool unsupported() const { return unsupported_; }
  fs::path host_dir(int h) const { return dir_ / (std::string("host-") + "ab"[h]); }
  fs::path client_key() const { return dir_ / "client_key"; }
  fs::path known_hosts() const { return dir_ / "known_hosts"; }
  pid_t sshd_pid(int h) const {
    std::ifstream in(pid_file(h));
    long pid = 0;
    return (in >> pid) ? pid_t(pid) : 0;
  }
  // Kills everything host h's sshd serves: its connections drop, its worker dies with them.
  int cut(int h) const {
    int killed = 0;
    for (pid_t pid : test::descendant_processes(sshd_pid(h)))
      killed += ::kill(pid, SIGKILL) == 0;
    return killed;
  }
  // The training workers host h runs now.
  std::vector<pid_t> workers(int h) const {
    std::vector<pid_t> out;
    for (pid_t pid : test::descendant_processes(sshd_pid(h)))
      if (test::command_name(pid) == "tinyllm-train" && test::process_alive(pid))
        out.push_back(pid);
    return out;
  }

 private:
  fs::path pid_file(int h) const { return dir_ / ("sshd-" + std::to_string(h) + ".pid"); }

  void teardown() {
    for (int h = 0; h < 2; ++h) {
      if (!dir_.empty())
        if (const pid_t pid = sshd_pid(h); pid > 0) {
          for (pid_t child : test::descendant_processes(pid))
            ::kill(child, SIGKILL);
          ::kill(pid, SIGTERM);
        }
      ip({"netns", "delete", kNames[h]});  // also removes the veth ends inside it
      ip({"link", "delete", QString("tllh%1").arg(h)});
      made_[h] = false;
    }
  }

  fs::path dir_;
  bool made_[2] = {false, false};
  bool unsupported_ = false;
};

// The model and batch for every run here: tiny, one thread, the same global batch whatever the
// number of hosts (grad accumulation makes up the difference).
QStringList tiny_model(int steps) {
  return {"--steps",        QString::number(steps),
          "--n_layer",      "1",
          "--n_head",       "2",
          "--n_embd",       "32",
          "--n_ctx",        "32",
          "--batch_size",   "2",
          "--batch_tokens", "128",
          "--threads",      "1",
          "--warmup_steps", "2",
          "--lr",           "3e-3",
          "--eval_batches", "2",
          "--sample_every", "0",
          "--peak_flops",   "1e10"};
}

std::vector<double> step_losses(const std::string& jsonl) {
  std::vector<double> losses;
  std::istringstream lines(jsonl);
  for (std::string line; std::getline(lines, line);) {
    const json e = json::parse(line, nullptr, false);
    if (e.is_object() && e.value("event", "") == "step") losses.push_back(e.value("loss", 0.0));
  }
  return losses;
}

std::vector<float> tensor_values(const safetensors::SafetensorsFile& file,
                                 const std::string& name) {
  const auto* t = file.find(name);
  if (!t) qFatal("no tensor %s in %s", name.c_str(), file.path().c_str());
  if (t->dtype != safetensors::StDtype::F32) qFatal("tensor %s is not F32", name.c_str());
  std::vector<float> values(t->numel());
  auto read = file.read(*t, values.data(), values.size() * sizeof(float));
  if (!read) qFatal("%s", read.error().to_string().c_str());
  return values;
}

}  // namespace

class TestRemoteTrain : public QObject {
  Q_OBJECT

  QTemporaryDir tmp_;
  NamespaceHosts hosts_;
  std::string skip_;
  fs::path project_;

  fs::path root() const { return fs::path(tmp_.path().toStdString()); }
  std::string p() const { return project_.string(); }

  Run cli(const QStringList& args, int timeout_ms = 300000) {
    return run_program(test::tinyllm_cli(), args, timeout_ms);
  }
  // The hosts' profiles say their worker, address and interface (initTestCase).
  QStringList on_hosts() const { return {"--on", "ta,tb", "--dist_port", "29611"}; }

 private slots:
  void initTestCase() {
    QVERIFY(tmp_.isValid());
    test::isolate_gui_test(tmp_.path() + "/home");
    skip_ = hosts_.start(root() / "net");
    if (!skip_.empty() && !hosts_.unsupported()) QFAIL(skip_.c_str());
    if (!skip_.empty()) return;
    // A demo project with its prepared data and tokenizer, and the two hosts as its devices.
    project_ = root() / "demo";
    Run r = cli({"project", "new", QString::fromStdString(p()), "--demo", "imu"});
    QVERIFY2(r.code == 0, r.err.c_str());
    r = cli({"data", "prepare", "--project", QString::fromStdString(p())});
    QVERIFY2(r.code == 0, r.err.c_str());
    r = cli({"tokenizer", "train", "--project", QString::fromStdString(p()), "--quiet"});
    QVERIFY2(r.code == 0, r.err.c_str());
    for (int h = 0; h < 2; ++h) {
      r = cli({"device",
               "add",
               "--project",
               QString::fromStdString(p()),
               h ? "tb" : "ta",
               "--host",
               NamespaceHosts::kSshAddr[h],
               "--user",
               "root",
               "--key",
               QString::fromStdString(hosts_.client_key().string()),
               "--known-hosts",
               QString::fromStdString(hosts_.known_hosts().string()),
               "--dir",
               QString::fromStdString(hosts_.host_dir(h).string()),
               "--accept-new-host-key",
               "--worker",
               QString::fromStdString(worker_path()),
               "--train-addr",
               NamespaceHosts::kLinkAddr[h],
               "--train-iface",
               NamespaceHosts::kLinkIface});
      QVERIFY2(r.code == 0, (r.err + r.out).c_str());
    }
  }

  void init() {
    if (!skip_.empty()) QSKIP(("network namespaces: " + skip_).c_str());
  }

  // The probe says what a training host has, and that the worker runs there.
  void probeSaysWhatATrainingHostHas() {
    const Run r = cli({"device", "probe", "--project", QString::fromStdString(p()), "ta",
                       "--training", "--json"});
    QVERIFY2(r.code == 0, (r.err + r.out).c_str());
    const json probe = json::parse(r.out);
    QVERIFY(probe["cores"].get<int>() >= 1);
    QVERIFY(probe["memory_bytes"].get<double>() > 0);
    QCOMPARE(probe["worker_installed"].get<bool>(), true);
    QVERIFY(probe["worker_version"].contains("libtorch_version"));
    const Run missing = cli({"device", "probe", "--project", QString::fromStdString(p()), "ta",
                             "--training", "--worker", "/nonexistent/tinyllm-train", "--json"});
    QVERIFY2(missing.code == 0, missing.err.c_str());
    QCOMPARE(json::parse(missing.out)["worker_installed"].get<bool>(), false);
    // The profile remembers the GPUs the worker saw (none: Debian's libtorch is CPU-only).
    auto ta = deploy::find_device(project_, "ta");
    TINYLLM_VERIFY_OK(ta);
    QCOMPARE(ta->train_gpus, 0);
  }

  // --gpus on hosts whose worker has no CUDA: refused before anything is sent, naming the host,
  // what its worker is and what --gpus needs.
  void gpusAreRefusedWhereTheWorkerHasNoCuda() {
    const Run r = cli(QStringList{"train", "--project", QString::fromStdString(p()), "--gpus", "2"}
                      << tiny_model(2) << on_hosts());
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.find("host ta: tinyllm-train has no CUDA (libtorch ") != std::string::npos,
             r.err.c_str());
    QVERIFY2(r.err.find(" CPU); --gpus needs a CUDA build, see docs/training-hosts.md") !=
                 std::string::npos,
             r.err.c_str());
    for (int h = 0; h < 2; ++h)
      QVERIFY(!fs::exists(hosts_.host_dir(h) / "train"));
    const Run here = cli(QStringList{"train", "--project", QString::fromStdString(p()), "--gpus",
                                     "2", "--steps", "1"});
    QVERIFY(here.code != 0);
    QVERIFY2(here.err.find("--gpus: is for --on") != std::string::npos, here.err.c_str());
  }

  // Two hosts, one worker each, with the same global batch as one local process: the same
  // losses step by step and the same weights, the checkpoint home in the project, recorded with
  // where it ran; the hosts got the project's files, and a second start sends only what changed.
  void twoHostsTrainAsOneProcess() {
    Run local = cli(QStringList{"train", "--project", QString::fromStdString(p()), "--run", "local",
                                "--json", "--eval_every", "4", "--checkpoint_every", "0"}
                    << tiny_model(4));
    QVERIFY2(local.code == 0, local.err.c_str());
    Run two = cli(QStringList{"train", "--project", QString::fromStdString(p()), "--run", "two",
                              "--json", "--eval_every", "4", "--checkpoint_every", "0"}
                  << tiny_model(4) << on_hosts());
    QVERIFY2(two.code == 0, (two.err + two.out).c_str());
    const auto a = step_losses(local.out), b = step_losses(two.out);
    QCOMPARE(a.size(), size_t{4});
    QCOMPARE(b.size(), a.size());
    for (size_t i = 0; i < a.size(); ++i) {
      qInfo("step %zu: 1 local process %.6f, 2 hosts %.6f", i + 1, a[i], b[i]);
      QVERIFY(std::abs(a[i] - b[i]) < 1e-4 * std::abs(a[i]));
    }
    // The weights at the end, as the project now holds them (copied home from the first host).
    auto mine = project::open_project(project_);
    TINYLLM_VERIFY_OK(mine);
    const auto* artifact = mine->find_artifact(pipeline::checkpoint_artifact_id("two"));
    QVERIFY(artifact);
    QCOMPARE(artifact->outcome["ran_on"], json({"ta", "tb"}));
    const fs::path home = project::resolve_path(project_, artifact->path);
    QVERIFY2(fs::is_regular_file(home / "model.safetensors"), home.c_str());
    const auto* reference = mine->find_artifact(pipeline::checkpoint_artifact_id("local"));
    QVERIFY(reference);
    const fs::path ref = project::resolve_path(project_, reference->path);
    auto x = safetensors::SafetensorsFile::open(ref / "model.safetensors");
    auto y = safetensors::SafetensorsFile::open(home / "model.safetensors");
    TINYLLM_VERIFY_OK(x);
    TINYLLM_VERIFY_OK(y);
    QCOMPARE(x->tensors().size(), y->tensors().size());
    double worst = 0;
    for (const auto& t : x->tensors()) {
      const auto a = tensor_values(*x, t.name), b = tensor_values(*y, t.name);
      QCOMPARE(a.size(), b.size());
      for (size_t i = 0; i < a.size(); ++i)
        worst = std::max(worst, double(std::abs(a[i] - b[i])));
    }
    qInfo("weights: max |1 process - 2 hosts| = %.2e over %zu tensors", worst, x->tensors().size());
    QVERIFY(worst < 1e-4);
    // Each host has its own copy of what the worker read; only the first writes checkpoints.
    for (int h = 0; h < 2; ++h)
      QVERIFY(fs::is_regular_file(hosts_.host_dir(h) / "train" / "Demo_gestures" / "project.json"));
    QVERIFY(!pipeline::run_has_checkpoints(hosts_.host_dir(1) / "train" / "Demo_gestures" /
                                           "checkpoints" / "two"));
    QVERIFY(two.out.find("files sent") != std::string::npos);
    Run again = cli(QStringList{"train", "--project", QString::fromStdString(p()), "--run", "three",
                                "--eval_every", "0", "--checkpoint_every", "0"}
                    << tiny_model(1) << on_hosts());
    QVERIFY2(again.code == 0, (again.err + again.out).c_str());
    // Only project.json changed since (it now records run "two"): the data stays where it is.
    QVERIFY2(again.out.find("ta: 1 of ") != std::string::npos, again.out.c_str());
    QVERIFY2(again.out.find("tb: 1 of ") != std::string::npos, again.out.c_str());
  }

  // The Pre-train page trains on both hosts: its events reach the plots as they come, the run
  // list says where it ran.
  void pretrainPageTrainsOnTheHosts() {
    ui::MainWindow window;
    window.show();
    window.open_project(QString::fromStdString(p()));
    QTRY_VERIFY_WITH_TIMEOUT(window.session().is_open(), 30000);
    window.step_rail()->setCurrentRow(1);
    auto* page = window.pretrain_page();
    QVERIFY(page->isVisible());
    const int both = page->run_on()->findData("ta,tb");
    QVERIFY2(both > 0, "the page offers both hosts together");
    QCOMPARE(page->run_on()->findData("ta") > 0, true);
    page->run_on()->setCurrentIndex(both);
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    page->steps()->setValue(3);
    QSignalSpy finished(page, &ui::PretrainPage::trainingFinished);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    // While it runs on the hosts, the points arrive in the plot.
    QTRY_VERIFY_WITH_TIMEOUT(page->loss_points() >= 1 || finished.count() > 0, 180000);
    QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 180000);
    QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(page->status_label()->text()));
    QCOMPARE(page->loss_points(), 3);
    bool listed = false;
    for (int i = 0; i < page->runs()->count(); ++i)
      listed = listed || page->runs()->item(i)->text().contains("(on ta, tb)");
    QVERIFY(listed);
    // The step rail says where the newest run was trained.
    QTRY_VERIFY2(window.step_rail()->item(1)->text().contains("on ta, tb"),
                 qPrintable(window.step_rail()->item(1)->text()));
    QVERIFY(window.step_rail()->item(1)->toolTip().contains("trained on ta, tb"));
  }

  // "GPUs per host" appears only for hosts whose worker reported GPUs, up to the fewest, and
  // becomes --gpus; the hosts here have none (CPU libtorch), as their probe recorded.
  void gpusPerHostFollowsTheChosenHosts() {
    ui::MainWindow window;
    window.show();
    window.open_project(QString::fromStdString(p()));
    QTRY_VERIFY_WITH_TIMEOUT(window.session().is_open(), 30000);
    window.step_rail()->setCurrentRow(1);
    auto* page = window.pretrain_page();
    page->run_on()->setCurrentIndex(page->run_on()->findData("ta,tb"));
    QVERIFY(page->gpus_per_host()->isHidden());
    QCOMPARE(ui::run_on_arguments(page->run_on(), page->gpus_per_host()),
             QStringList({"--on", "ta,tb"}));
    // As a later probe of GPU hosts would record them (this machine has no GPU to probe).
    const auto original = deploy::load_devices(project_);
    TINYLLM_VERIFY_OK(original);
    int gpus = 4;
    for (auto d : *original) {
      d.train_gpus = gpus;
      gpus = 2;
      TINYLLM_VERIFY_OK(deploy::put_device(project_, d));
    }
    ui::fill_run_on_picker(page->run_on(), project_);
    ui::update_gpus_per_host(page->gpus_per_host(), page->run_on());
    QVERIFY(!page->gpus_per_host()->isHidden());
    QCOMPARE(ui::gpus_per_host_spin(page->gpus_per_host())->maximum(), 2);
    ui::gpus_per_host_spin(page->gpus_per_host())->setValue(1);
    QCOMPARE(ui::run_on_arguments(page->run_on(), page->gpus_per_host()),
             QStringList({"--on", "ta,tb", "--gpus", "1"}));
    page->run_on()->setCurrentIndex(0);  // this computer
    QVERIFY(page->gpus_per_host()->isHidden());
    QVERIFY(ui::run_on_arguments(page->run_on(), page->gpus_per_host()).isEmpty());
    TINYLLM_VERIFY_OK(deploy::save_devices(project_, *original));
  }

  // The Fine-tune page fine-tunes on both hosts (data-parallel): its events reach the loss and
  // accuracy plots as they come, the best checkpoint lands in the project, the rail says where.
  void finetunePageTrainsOnTheHosts() {
    ui::MainWindow window;
    window.show();
    window.open_project(QString::fromStdString(p()));
    QTRY_VERIFY_WITH_TIMEOUT(window.session().is_open(), 30000);
    window.step_rail()->setCurrentRow(2);
    auto* page = window.finetune_page();
    QVERIFY(page->isVisible());
    const int both = page->run_on()->findData("ta,tb");
    QVERIFY2(both > 0, "the page offers both hosts together");
    page->run_on()->setCurrentIndex(both);
    page->from_scratch()->setChecked(true);
    page->preset()->setCurrentIndex(page->preset()->findData("tiny"));
    page->extra_settings()->setText(
        "--n_layer 1 --n_embd 32 --n_head 2 --batch_size 4 --eval_every 2 --log_every 1 --threads "
        "1");
    emit page->extra_settings()->editingFinished();
    QTRY_VERIFY_WITH_TIMEOUT(page->context_fits().value_or(false), 30000);
    page->steps()->setValue(4);
    QSignalSpy trained(page, &ui::FinetunePage::trainingFinished);
    QSignalSpy evaluated(page, &ui::FinetunePage::evaluationFinished);
    QTest::mouseClick(page->start_button(), Qt::LeftButton);
    QVERIFY(page->training());
    QTRY_COMPARE_WITH_TIMEOUT(trained.count(), 1, 180000);
    QVERIFY2(trained.at(0).at(0).toBool(), qPrintable(page->status_label()->text()));
    QVERIFY(page->loss_plot()->graph(0)->dataCount() >= 4);
    QVERIFY(page->accuracy_plot()->graph(0)->data()->size() >= 2);  // steps 2 and 4
    auto mine = project::open_project(project_);
    TINYLLM_VERIFY_OK(mine);
    const auto run = pipeline::latest_run_id(*mine, pipeline::kFinetuneRuns);
    QVERIFY(run);
    const auto* artifact =
        mine->find_artifact(pipeline::checkpoint_artifact_id(*run, pipeline::kFinetuneRuns));
    QVERIFY(artifact);
    QCOMPARE(artifact->outcome["ran_on"], json({"ta", "tb"}));
    const fs::path best = project_ / "finetune" / *run / "best" / "model.safetensors";
    QVERIFY2(fs::is_regular_file(best), best.c_str());
    // Only the first host writes checkpoints; the second trained its share of every step.
    QVERIFY(
        !fs::exists(hosts_.host_dir(1) / "train" / "Demo_gestures" / "finetune" / *run / "best"));
    bool listed = false;
    for (int i = 0; i < page->runs()->count(); ++i)
      listed = listed || page->runs()->item(i)->text().contains("(on ta, tb)");
    QVERIFY(listed);
    QTRY_VERIFY2(window.step_rail()->item(2)->text().contains("on ta, tb"),
                 qPrintable(window.step_rail()->item(2)->text()));
    // The evaluation that follows reads the checkpoint that came home.
    QTRY_COMPARE_WITH_TIMEOUT(evaluated.count(), 1, 180000);
    QVERIFY2(evaluated.at(0).at(0).toBool(), qPrintable(page->summary_label()->text()));
  }

  // One host's connection cut mid-run: the run stops on every host with a clear message, the
  // last checkpoint is in the project, no worker is left running; --resume continues it.
  void cutHostStopsTheRunAndResumeContinues() {
    QProcess run;
    QByteArray out;
    connect(&run, &QProcess::readyReadStandardOutput, this,
            [&] { out += run.readAllStandardOutput(); });
    run.start(QString::fromStdString(test::tinyllm_cli()),
              QStringList{"train", "--project", QString::fromStdString(p()), "--run", "cut",
                          "--json", "--eval_every", "0", "--checkpoint_every", "3"}
                  << tiny_model(100000) << on_hosts());
    QVERIFY(run.waitForStarted());
    auto notes = [&] {
      QByteArray said = run.readAllStandardError();
      for (const QByteArray& line : out.split('\n'))
        if (line.contains("\"note\"")) said += line + '\n';
      return said;
    };
    QTRY_VERIFY2_WITH_TIMEOUT(out.contains(" copied home\""), notes().constData(), 60000);
    QVERIFY(!hosts_.workers(1).empty());
    QVERIFY(hosts_.cut(1) > 0);
    QVERIFY(run.waitForFinished(120000));
    const QString err = run.readAllStandardError();
    QVERIFY(run.exitCode() != 0);
    QVERIFY2(err.contains("lost the connection to tb"), qPrintable(err));
    QVERIFY2(err.contains("--resume --run cut"), qPrintable(err));
    QTRY_VERIFY_WITH_TIMEOUT(hosts_.workers(0).empty() && hosts_.workers(1).empty(), 30000);
    const fs::path latest = project_ / "checkpoints" / "cut" / "latest.json";
    QVERIFY(fs::is_regular_file(latest));
    const int64_t saved = json::parse(test::read_text(latest)).value("step", int64_t{0});
    QVERIFY2(saved >= 3, test::read_text(latest).c_str());

    // Resume on both hosts: the first host gets the checkpoint back only if it lacks it.
    Run resumed =
        cli(QStringList{"train", "--project", QString::fromStdString(p()), "--run", "cut",
                        "--resume", "--json", "--eval_every", "0", "--checkpoint_every", "0"}
            << tiny_model(int(saved) + 2) << on_hosts());
    QVERIFY2(resumed.code == 0, (resumed.err + resumed.out).c_str());
    const auto losses = step_losses(resumed.out);
    QCOMPARE(losses.size(), size_t{2});
    QCOMPARE(json::parse(test::read_text(latest)).value("step", int64_t{0}), saved + 2);
  }
};

QTEST_MAIN(TestRemoteTrain)
#include "test_remote_train.moc"
