// Step 5 against a real OpenSSH server on loopback (tests/sshd_fixture.h): host keys (unknown,
// accepted, changed), key, agent and refused logins, the install (checksums on the device, a
// resumed upload after the server-side session is killed, a damaged upload, a full disk, hostile
// names), rollback and uninstall, the CLI end to end (device add, deploy to two devices in
// parallel, remote bench/eval beside the desktop), the model kept loaded on the device behind an
// SSH tunnel (deploy::ModelServer, `tinyllm remote serve`), and the aarch64 runtime under qemu.
#include <QtTest>

#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/version.h"
#include "deploy/device.h"
#include "deploy/install.h"
#include "deploy/model_server.h"
#include "deploy/project_deploy.h"
#include "deploy/remote_run.h"
#include "deploy/runtimes.h"
#include "deploy/shell.h"
#include "deploy/ssh.h"
#include "deploy/worker_plan.h"
#include "pipeline/steps.h"
#include "process_probe.h"
#include "project/project.h"
#include "sshd_fixture.h"
#include "test_support.h"
#include "test_verify.h"

namespace fs = std::filesystem;
using nlohmann::json;
using namespace tinyllm;
using tinyllm::test::run_program;
using tinyllm::test::SshServer;

class TestDeploy : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  fs::path project_;  // a demo project with a tiny fine-tuned model exported as f32 and q8_0
  SshServer server_;
  SshServer second_;

  fs::path root() const { return dir_.path().toStdString(); }

  // A profile for `server` with its own known_hosts file and install folder.
  deploy::DeviceProfile device(const SshServer& server, const std::string& name) const {
    deploy::DeviceProfile d;
    d.name = name;
    d.ssh.host = "127.0.0.1";
    d.ssh.port = server.port();
    d.ssh.user = server.user();
    d.ssh.key_file = server.client_key().string();
    d.ssh.known_hosts = (server.dir() / "known_hosts").string();
    d.install_dir = (server.dir() / ("device-" + deploy::safe_name(name))).string();
    return d;
  }

  Result<deploy::SshSession> connect(const deploy::DeviceProfile& d) const {
    deploy::ConnectOptions o;
    o.accept_new_host_key = true;
    return deploy::SshSession::connect(d.ssh, o);
  }

  // Connects, probes and packages `type`'s export for `d`.
  deploy::Package package(deploy::DeviceProfile& d, deploy::SshSession& s,
                          const std::string& type) {
    auto probe = deploy::probe_device(s, d);
    if (!probe) qFatal("probe: %s", probe.error().to_string().c_str());
    d.probe = *probe;
    auto project = project::open_project(project_);
    auto choice = deploy::choose_export(*project, type);
    if (!choice) qFatal("choose_export: %s", choice.error().to_string().c_str());
    auto p = deploy::package_for(*project, d, *choice);
    if (!p) qFatal("package_for: %s", p.error().to_string().c_str());
    return *p;
  }

  fs::path model_dir(const deploy::DeviceProfile& d) const {
    return fs::path(d.install_dir) / deploy::safe_name(project::open_project(project_)->name);
  }

  std::string model_name() const { return project::open_project(project_)->name; }

  // The desktop runtime's `classify --json` of `prompt` with `gguf`.
  static json classify_locally(const fs::path& gguf, const std::string& prompt) {
    const auto r =
        run_program(std::string(TINYLLM_BINARY_DIR) + "/bin/tinyllm-run",
                    {"classify", "--model", gguf.string(), "--prompt", prompt, "--json"});
    if (r.code != 0) qFatal("tinyllm-run classify: %s", r.err.c_str());
    return json::parse(r.out);
  }

  // The same label and the same score for every answer (to float printing), latency aside.
  static void same_classification(const json& device, const json& desktop) {
    QCOMPARE(device.value("label", ""), desktop.value("label", ""));
    QCOMPARE(device.value("prompt_tokens", 0), desktop.value("prompt_tokens", 0));
    const json scores = desktop.value("scores", json::object());
    QVERIFY(!scores.empty());
    QCOMPARE(device.value("scores", json::object()).size(), scores.size());
    for (const auto& [label, score] : scores.items())
      QVERIFY2(std::abs(device["scores"][label].get<double>() - score.get<double>()) < 1e-4,
               (label + ": " + device.dump() + " vs " + desktop.dump()).c_str());
  }

  // The `tinyllm-run` processes running in the device's install folder (serve or any other).
  static std::vector<pid_t> runtimes_on(const deploy::DeviceProfile& d) {
    return test::processes_in_folder(d.install_dir, "tinyllm-run");
  }

 private slots:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    if (!fs::exists("/usr/sbin/sshd")) QSKIP("openssh-server is not installed");
    TINYLLM_VERIFY_OK(server_.start());
    TINYLLM_VERIFY_OK(second_.start());
    project_ = root() / "demo";
    TINYLLM_VERIFY_OK(test::make_deployable_demo(test::tinyllm_cli(), project_, "f32,q8_0"));
    auto runtime = deploy::find_runtime("x86_64");
    QVERIFY2(runtime.ok(), runtime.ok() ? "" : runtime.error().to_string().c_str());
  }

  // An unknown host key is shown with the fingerprint ssh-keygen prints, refused until accepted,
  // then remembered in known_hosts; a changed key is refused before any login is tried.
  void hostKeysUnknownAcceptedChanged() {
    auto d = device(server_, "keys");
    d.ssh.known_hosts = (server_.dir() / "known_hosts-keys").string();
    auto info = deploy::SshSession::check_host_key(d.ssh);
    TINYLLM_VERIFY_OK(info);
    QCOMPARE(int(info->state), int(deploy::HostKeyState::kUnknown));
    QCOMPARE(info->fingerprint, server_.host_fingerprint());

    auto refused = deploy::SshSession::connect(d.ssh, {});
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.find(info->fingerprint) != std::string::npos,
             refused.error().message.c_str());
    QVERIFY(!fs::exists(d.ssh.known_hosts));

    deploy::ConnectOptions wrong;
    wrong.accept_fingerprint = "SHA256:not-the-one-shown";
    QVERIFY(!deploy::SshSession::connect(d.ssh, wrong).ok());

    deploy::ConnectOptions accept;
    accept.accept_fingerprint = info->fingerprint;
    TINYLLM_VERIFY_OK(deploy::SshSession::connect(d.ssh, accept));
    QVERIFY(fs::file_size(d.ssh.known_hosts) > 0);
    TINYLLM_VERIFY_OK(deploy::SshSession::connect(d.ssh, {}));  // known now

    // The second server's key filed under the first server's name: a changed key.
    auto other = device(second_, "changed");
    other.ssh.known_hosts = (second_.dir() / "known_hosts-changed").string();
    const std::string line = test::read_text(d.ssh.known_hosts);
    const std::string first_name = "[127.0.0.1]:" + std::to_string(server_.port());
    const std::string second_name = "[127.0.0.1]:" + std::to_string(second_.port());
    std::string moved = line;
    moved.replace(moved.find(first_name), first_name.size(), second_name);
    test::write_text(other.ssh.known_hosts, moved);
    const int logins_before = second_.accepted_logins();
    auto changed = deploy::SshSession::connect(other.ssh, accept);
    QVERIFY(!changed.ok());
    QVERIFY2(changed.error().message.find("HOST KEY HAS CHANGED") != std::string::npos,
             changed.error().message.c_str());
    QVERIFY(changed.error().message.find(second_.host_fingerprint()) != std::string::npos);
    QCOMPARE(test::read_text(other.ssh.known_hosts), moved);  // not "fixed" behind the user's back
    QCOMPARE(second_.accepted_logins(), logins_before);       // no login was even tried
  }

  void keyAgentAndRefusedLogins() {
    auto d = device(server_, "auth");
    TINYLLM_VERIFY_OK(connect(d));

    auto wrong = d;
    wrong.ssh.key_file = server_.other_key().string();
    auto refused = connect(wrong);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.find("refused the login") != std::string::npos,
             refused.error().message.c_str());
    QVERIFY(refused.error().message.find(server_.other_key().string()) != std::string::npos);

    auto missing = d;
    missing.ssh.key_file = (server_.dir() / "no-such-key").string();
    auto unreadable = connect(missing);
    QVERIFY(!unreadable.ok());
    QVERIFY(unreadable.error().message.find("no-such-key") != std::string::npos);

    // A key with a passphrase: asked for once, never needed again from disk.
    auto locked = d;
    locked.ssh.key_file = server_.passphrase_key().string();
    deploy::ConnectOptions ask;
    ask.accept_new_host_key = true;
    int asked = 0;
    ask.ask = [&](const std::string& prompt) -> std::optional<std::string> {
      ++asked;
      if (prompt.find("passphrase_key") == std::string::npos) return std::nullopt;
      return std::string(SshServer::kKeyPassphrase);
    };
    TINYLLM_VERIFY_OK(deploy::SshSession::connect(locked.ssh, ask));
    QCOMPARE(asked, 1);
    ask.ask = [](const std::string&) { return std::optional<std::string>("wrong"); };
    auto bad_passphrase = deploy::SshSession::connect(locked.ssh, ask);
    QVERIFY(!bad_passphrase.ok());
    QVERIFY2(bad_passphrase.error().message.find("wrong passphrase") != std::string::npos,
             bad_passphrase.error().message.c_str());
    QVERIFY(!connect(locked).ok());  // nothing can ask: a clear error, not a hang

    auto agent_only = d;
    agent_only.ssh.key_file.clear();
    {
      qunsetenv("SSH_AUTH_SOCK");
      QVERIFY(!connect(agent_only).ok());  // no agent, no default key: refused
      test::SshAgent agent;
      TINYLLM_VERIFY_OK(agent.start(server_.client_key()));
      TINYLLM_VERIFY_OK(connect(agent_only));
    }

    auto unreachable = d;
    unreachable.ssh.port = 1;
    auto down = connect(unreachable);
    QVERIFY(!down.ok());
    QVERIFY(down.error().message.find("cannot reach") != std::string::npos);
  }

  void probeSaysWhatTheDeviceIs() {
    auto d = device(server_, "probe");
    auto s = connect(d);
    TINYLLM_VERIFY_OK(s);
    auto probe = deploy::probe_device(*s, d);
    TINYLLM_VERIFY_OK(probe);
    QCOMPARE(QString::fromStdString(probe->machine), QString("x86_64"));
    QCOMPARE(probe->userland_bits, 64);
    QVERIFY(probe->cores >= 1);
    QVERIFY(probe->memory_bytes > (64ull << 20));
    QVERIFY(probe->disk_free_bytes > 0);
    QVERIFY(fs::is_directory(d.install_dir));  // made by the probe
    QCOMPARE(*deploy::runtime_arch_for(*probe), std::string("x86_64"));

    deploy::ProbeResult pi32 = *probe;
    pi32.machine = "aarch64";
    pi32.userland_bits = 32;  // a 64-bit kernel under a 32-bit Raspberry Pi OS
    QCOMPARE(*deploy::runtime_arch_for(pi32), std::string("armhf"));
    pi32.userland_bits = 64;
    QCOMPARE(*deploy::runtime_arch_for(pi32), std::string("aarch64"));
    pi32.machine = "armv6l";
    QVERIFY(!deploy::runtime_arch_for(pi32).ok());
  }

  // A mismatch between the runtime on the device, this workbench and the model's writer is
  // spelled out (the CLI and the Deploy page show these notes), never silent.
  void versionMismatchesAreNoted() {
    const std::string v = kWorkbenchVersion;
    QVERIFY(deploy::version_notes({{"runtime_version", v}, {"workbench_version", v}}).empty());
    auto notes = deploy::version_notes({{"runtime_version", "0.0.1"}, {"workbench_version", v}});
    QCOMPARE(notes.size(), size_t{2});
    QVERIFY(notes[0].find("runtime is version 0.0.1, this workbench " + v) != std::string::npos);
    QVERIFY(notes[1].find("exported by workbench " + v + ", the runtime is 0.0.1") !=
            std::string::npos);
    notes = deploy::version_notes({{"runtime_version", v}});
    QCOMPARE(notes.size(), size_t{1});
    QVERIFY(notes[0].find("does not record the workbench version") != std::string::npos);
    notes = deploy::version_notes(nlohmann::json::object());
    QVERIFY(notes.size() == 2 && notes[0].find("does not report its version") != std::string::npos);
  }

  // Install, reinstall (nothing sent), a second version, rollback and uninstall.
  void installChecksSwitchesRollsBack() {
    auto d = device(server_, "install");
    auto s = connect(d);
    TINYLLM_VERIFY_OK(s);
    const auto q8 = package(d, *s, "q8_0");
    auto first = deploy::install(*s, d, q8);
    TINYLLM_VERIFY_OK(first);
    const fs::path dir = model_dir(d);
    QCOMPARE(fs::read_symlink(dir / "current").string(), q8.version);
    for (const auto& f : q8.files)
      QCOMPARE(*sha256_file(dir / q8.version / f.name), f.sha256);
    QVERIFY(!fs::exists(dir / (".incoming-" + q8.version)));
    QCOMPARE(first->info.value("type", ""), std::string("Q8_0"));
    // Model, runtime and workbench from this build: the same version, nothing to note.
    QCOMPARE(first->info.value("runtime_version", ""), std::string(kWorkbenchVersion));
    QCOMPARE(first->info.value("workbench_version", ""), std::string(kWorkbenchVersion));
    QVERIFY(first->notes.empty());
    QCOMPARE(first->bytes_sent, fs::file_size(q8.files[0].local) +
                                    fs::file_size(q8.files[1].local) +
                                    fs::file_size(q8.files[2].local));

    // The probe now finds the model and its runtime's version.
    auto probed = deploy::probe_device(*s, d);
    TINYLLM_VERIFY_OK(probed);
    QCOMPARE(probed->installed.size(), size_t{1});
    QCOMPARE(probed->installed[0].current, q8.version);
    QVERIFY2(probed->installed[0].runtime.rfind("tinyllm-run ", 0) == 0 &&
                 probed->installed[0].runtime.find("x86_64") != std::string::npos,
             probed->installed[0].runtime.c_str());

    auto again = deploy::install(*s, d, q8);
    TINYLLM_VERIFY_OK(again);
    QVERIFY(again->unchanged);
    QCOMPARE(again->bytes_sent, uint64_t{0});

    const auto f32 = package(d, *s, "f32");
    QVERIFY(f32.version != q8.version);
    auto second = deploy::install(*s, d, f32);
    TINYLLM_VERIFY_OK(second);
    QCOMPARE(second->previous, q8.version);
    QCOMPARE(fs::read_symlink(dir / "current").string(), f32.version);

    auto rolled = deploy::rollback(*s, d, project::open_project(project_)->name);
    TINYLLM_VERIFY_OK(rolled);
    QCOMPARE(*rolled, q8.version);
    QCOMPARE(fs::read_symlink(dir / "current").string(), q8.version);
    const std::string model = project::open_project(project_)->name;
    QVERIFY(!deploy::uninstall(*s, d, model, q8.version).ok());  // the current one: refused
    TINYLLM_VERIFY_OK(deploy::uninstall(*s, d, model, f32.version));
    QVERIFY(!fs::exists(dir / f32.version));
    QVERIFY(!deploy::rollback(*s, d, model).ok());  // nothing left to roll back to
    TINYLLM_VERIFY_OK(deploy::uninstall(*s, d, model));
    QVERIFY(!fs::exists(dir));
  }

  // The server-side session is killed mid-upload: the error says the connection was lost,
  // `current` still runs the previous version, and the next deploy resumes where it stopped.
  void interruptedUploadResumes() {
    auto d = device(server_, "resume");
    auto s = connect(d);
    TINYLLM_VERIFY_OK(s);
    const auto q8 = package(d, *s, "q8_0");
    TINYLLM_VERIFY_OK(deploy::install(*s, d, q8));
    const auto f32 = package(d, *s, "f32");
    uint64_t total = 0;
    for (const auto& f : f32.files)
      total += f.bytes;
    bool killed = false;
    // Cut once the device has written part of the first file (loopback buffers can hold a few
    // MiB, so "bytes sent" alone says little about what arrived).
    const fs::path part = model_dir(d) / (".incoming-" + f32.version) / "tinyllm-run.part";
    auto cut = deploy::install(*s, d, f32, [&](const deploy::DeployEvent& e) {
      std::error_code ec;
      if (!killed && e.stage == "upload" && fs::file_size(part, ec) >= (256u << 10) && !ec) {
        killed = server_.kill_sessions() > 0;
      }
    });
    QVERIFY(killed);
    QVERIFY(!cut.ok());
    QVERIFY2(cut.error().message.find("connection was lost") != std::string::npos,
             cut.error().message.c_str());
    const fs::path dir = model_dir(d);
    QCOMPARE(fs::read_symlink(dir / "current").string(), q8.version);
    const auto still = run_program((dir / "current" / "tinyllm-run").string(),
                                   {"info", "--model", (dir / "current" / "model.gguf").string()});
    QCOMPARE(still.code, 0);

    auto s2 = connect(d);
    TINYLLM_VERIFY_OK(s2);
    auto resumed = deploy::install(*s2, d, f32);
    TINYLLM_VERIFY_OK(resumed);
    qInfo("resumed: %llu bytes were on the device, %llu sent of %llu",
          (unsigned long long)resumed->bytes_resumed, (unsigned long long)resumed->bytes_sent,
          (unsigned long long)total);
    QVERIFY(resumed->bytes_resumed > 0);
    QCOMPARE(resumed->bytes_resumed + resumed->bytes_sent, total);
    QCOMPARE(fs::read_symlink(dir / "current").string(), f32.version);
    for (const auto& f : f32.files)
      QCOMPARE(*sha256_file(dir / f32.version / f.name), f.sha256);
  }

  // A partial upload damaged on the device is caught by the checksum on the device; a full disk
  // is reported as such; in both cases the previous version stays current and runs.
  void damagedUploadAndFullDisk() {
    auto d = device(server_, "damage");
    auto s = connect(d);
    TINYLLM_VERIFY_OK(s);
    const auto q8 = package(d, *s, "q8_0");
    TINYLLM_VERIFY_OK(deploy::install(*s, d, q8));
    const auto f32 = package(d, *s, "f32");
    const fs::path incoming = model_dir(d) / (".incoming-" + f32.version);
    fs::create_directories(incoming);
    test::write_text(incoming / "model.gguf.part", std::string(1000, 'x'));  // not a prefix
    auto damaged = deploy::install(*s, d, f32);
    QVERIFY(!damaged.ok());
    QVERIFY2(damaged.error().message.find("checksum mismatch") != std::string::npos,
             damaged.error().message.c_str());
    QVERIFY(!fs::exists(incoming / "model.gguf.part"));
    QCOMPARE(fs::read_symlink(model_dir(d) / "current").string(), q8.version);

    // The kernel's own "No space left on device": the upload's target is /dev/full.
    fs::create_symlink("/dev/full", incoming / "model.gguf.part");
    auto full = deploy::install(*s, d, f32);
    QVERIFY(!full.ok());
    QVERIFY2(full.error().message.find("disk is full") != std::string::npos,
             full.error().message.c_str());
    QVERIFY(full.error().message.find("previous version is still installed") != std::string::npos);
    QCOMPARE(fs::read_symlink(model_dir(d) / "current").string(), q8.version);
    fs::remove(incoming / "model.gguf.part");

    TINYLLM_VERIFY_OK(deploy::install(*s, d, f32));  // and then it goes through
    QCOMPARE(fs::read_symlink(model_dir(d) / "current").string(), f32.version);
  }

  // A runtime that cannot execute there (a forced wrong arch) is caught before the switch.
  void wrongArchitectureNeverBecomesCurrent() {
    auto aarch64 = deploy::find_runtime("aarch64");
    if (!aarch64) QSKIP("no aarch64 runtime in this build");
    auto d = device(server_, "wrong-arch");
    auto s = connect(d);
    TINYLLM_VERIFY_OK(s);
    const auto good = package(d, *s, "q8_0");
    TINYLLM_VERIFY_OK(deploy::install(*s, d, good));
    d.arch = "aarch64";  // but no qemu runner: the x86_64 device cannot run it
    const auto bad = package(d, *s, "q8_0");
    auto r = deploy::install(*s, d, bad);
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.find("wrong architecture") != std::string::npos,
             r.error().message.c_str());
    QCOMPARE(fs::read_symlink(model_dir(d) / "current").string(), good.version);
  }

  // Names that would break a naive remote command: the install folder, the device and the model
  // are quoted everywhere; nothing outside the install folder is created.
  void hostileNamesStayQuoted() {
    auto d = device(server_, "pi'; touch /tmp/tinyllm-pwned #");
    const fs::path canary = server_.dir() / "pwned";
    d.install_dir = (server_.dir() / "dir with 'quotes' $(touch pwned) `touch pwned` ; x").string();
    auto s = connect(d);
    TINYLLM_VERIFY_OK(s);
    auto probe = deploy::probe_device(*s, d);
    TINYLLM_VERIFY_OK(probe);
    d.probe = *probe;
    auto project = project::open_project(project_);
    auto choice = deploy::choose_export(*project, "q8_0");
    TINYLLM_VERIFY_OK(choice);
    auto runtime = deploy::find_runtime("x86_64");
    auto p = deploy::make_package("demo'; rm -rf ~ #$(touch pwned)", choice->gguf, *runtime,
                                  "x86_64", choice->test_examples);
    TINYLLM_VERIFY_OK(p);
    QVERIFY2(
        QRegularExpression("^[A-Za-z0-9._-]+$").match(QString::fromStdString(p->model)).hasMatch(),
        p->model.c_str());
    auto installed = deploy::install(*s, d, *p);
    TINYLLM_VERIFY_OK(installed);
    QVERIFY(fs::is_symlink(fs::path(d.install_dir) / p->model / "current"));
    auto ran = deploy::run_on_device(*s, d, "demo'; rm -rf ~ #$(touch pwned)",
                                     {"info", "--model", "model.gguf"});
    TINYLLM_VERIFY_OK(ran);
    QVERIFY(!fs::exists(canary));
    QVERIFY(!fs::exists("/tmp/tinyllm-pwned"));
    QVERIFY(!fs::exists(fs::path(std::getenv("HOME") ? std::getenv("HOME") : "/") / "pwned"));
    // The device's name becomes a safe local folder.
    const QString folder =
        QString::fromStdString(deploy::device_folder(project_, d.name).filename().string());
    QVERIFY2(QRegularExpression("^[A-Za-z0-9._-]+$").match(folder).hasMatch(), qPrintable(folder));
  }

  // The workbench's way in: an unknown host key is accepted only with exactly the fingerprint
  // the user saw (--accept-fingerprint), and with TINYLLM_ASK_VIA_STDIO=1 a key's passphrase is
  // asked as a JSON line on stdout and answered on stdin (closing stdin cancels); the passphrase
  // never reaches the project.
  void cliAcceptsTheFingerprintShownAndAsksViaStdio() {
    const fs::path key = server_.passphrase_key();
    const std::string p = project_.string();
    const fs::path known = server_.dir() / "known_hosts-fingerprint";
    const std::vector<std::string> add = {"device",
                                          "add",
                                          "--project",
                                          p,
                                          "locked",
                                          "--host",
                                          "127.0.0.1",
                                          "--port",
                                          std::to_string(server_.port()),
                                          "--user",
                                          server_.user(),
                                          "--key",
                                          key.string(),
                                          "--known-hosts",
                                          known.string(),
                                          "--dir",
                                          (server_.dir() / "locked").string()};
    auto wrong = add;
    wrong.insert(wrong.end(), {"--accept-fingerprint", "SHA256:not-the-one-shown"});
    auto r = run_program(test::tinyllm_cli(), wrong);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.find("unknown host key") != std::string::npos, r.err.c_str());
    QVERIFY(!fs::exists(known));

    // Runs `tinyllm args` with the stdio question mode; answers the first question with
    // `answer` (nullptr: closes stdin). Returns the exit code, the question and stdout.
    auto run_asked = [](const std::vector<std::string>& args, const char* answer) {
      QProcess process;
      auto env = QProcessEnvironment::systemEnvironment();
      env.insert("TINYLLM_ASK_VIA_STDIO", "1");
      env.remove("SSH_AUTH_SOCK");
      process.setProcessEnvironment(env);
      QStringList list;
      for (const auto& a : args)
        list << QString::fromStdString(a);
      process.start(QString::fromStdString(test::tinyllm_cli()), list);
      QByteArray out;
      json question;
      while (process.state() != QProcess::NotRunning || process.bytesAvailable()) {
        process.waitForReadyRead(200);
        out += process.readAllStandardOutput();
        const auto line_end = out.indexOf('\n');
        if (question.is_null() && line_end >= 0) {
          question = json::parse(out.left(line_end).toStdString(), nullptr, false);
          if (answer)
            process.write(QByteArray(answer) + "\n");
          else
            process.closeWriteChannel();
        }
        if (process.state() == QProcess::NotRunning) break;
      }
      process.waitForFinished(60000);
      out += process.readAllStandardOutput();
      return std::make_tuple(process.exitCode(), question,
                             out.toStdString() + process.readAllStandardError().toStdString());
    };
    auto right = add;
    right.insert(right.end(), {"--accept-fingerprint", server_.host_fingerprint()});
    auto [code, question, out] = run_asked(right, SshServer::kKeyPassphrase);
    QVERIFY2(code == 0, out.c_str());
    QCOMPARE(question.value("event", ""), std::string("ask"));
    QVERIFY2(question.value("prompt", "").find("Passphrase") != std::string::npos,
             question.dump().c_str());
    QVERIFY(fs::file_size(known) > 0);
    QVERIFY(
        test::read_text(project_ / "deployments/devices.json").find(SshServer::kKeyPassphrase) ==
        std::string::npos);

    auto [cancelled_code, asked, cancelled_out] =
        run_asked({"device", "probe", "--project", p, "locked"}, nullptr);
    QCOMPARE(cancelled_code, 1);
    QCOMPARE(asked.value("event", ""), std::string("ask"));
    QVERIFY2(cancelled_out.find("login cancelled") != std::string::npos, cancelled_out.c_str());
    QCOMPARE(run_program(test::tinyllm_cli(), {"device", "remove", "--project", p, "locked"}).code,
             0);
  }

  // The CLI end to end: add two devices, deploy to both in parallel, bench and evaluate on one
  // beside the desktop, results kept in the project; a second deploy sends nothing.
  void cliDeployToTwoDevicesBenchAndEval() {
    const std::string p = project_.string();
    for (SshServer* server : {&server_, &second_}) {
      const std::string name = server == &server_ ? "pi-a" : "pi-b";
      const std::vector<std::string> add = {"device",
                                            "add",
                                            "--project",
                                            p,
                                            name,
                                            "--host",
                                            "127.0.0.1",
                                            "--port",
                                            std::to_string(server->port()),
                                            "--user",
                                            server->user(),
                                            "--key",
                                            server->client_key().string(),
                                            "--known-hosts",
                                            (server->dir() / "known_hosts-cli").string(),
                                            "--dir",
                                            (server->dir() / "cli").string()};
      auto r = run_program(test::tinyllm_cli(), add);
      QCOMPARE(r.code, 1);  // unknown host key: shown, not accepted
      QVERIFY2(r.err.find(server->host_fingerprint()) != std::string::npos, r.err.c_str());
      QVERIFY(r.err.find("--accept-new-host-key") != std::string::npos);
      auto with_accept = add;
      with_accept.push_back("--accept-new-host-key");
      r = run_program(test::tinyllm_cli(), with_accept);
      QVERIFY2(r.code == 0, r.err.c_str());
      QVERIFY(r.out.find("x86_64") != std::string::npos);
    }
    auto r = run_program(test::tinyllm_cli(),
                         {"deploy", "--project", p, "--device", "pi-a,pi-b", "--json"});
    QVERIFY2(r.code == 0, (r.err + r.out).c_str());
    std::map<std::string, json> results;
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      const json e = json::parse(line);
      if (e["event"] == "result") results[e["device"]] = e;
    }
    QCOMPARE(results.size(), size_t{2});
    for (auto& [name, e] : results) {
      QVERIFY2(e["ok"].get<bool>(), e.dump().c_str());
      QVERIFY(e["bytes_sent"].get<uint64_t>() > 0);
    }
    QVERIFY(fs::is_symlink(second_.dir() / "cli" / "Demo_gestures" / "current"));
    auto installs = deploy::installs(project_, "pi-b");
    TINYLLM_VERIFY_OK(installs);
    QCOMPARE(installs->size(), size_t{1});
    // The step rail (and `tinyllm project info`) now say the model runs on a device.
    const auto deployed =
        pipeline::step_state(*project::open_project(project_), pipeline::StepId::deploy);
    QCOMPARE(int(deployed.status), int(pipeline::StepStatus::done));
    QVERIFY2(deployed.reason.find("Demo_gestures q8_0 runs on pi-") == 0, deployed.reason.c_str());

    r = run_program(test::tinyllm_cli(), {"deploy", "--project", p, "--device", "pi-a", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    QVERIFY(r.out.find("\"unchanged\":true") != std::string::npos);
    QVERIFY(r.out.find("\"bytes_sent\":0") != std::string::npos);

    r = run_program(test::tinyllm_cli(),
                    {"remote", "bench", "--project", p, "--device", "pi-a", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    json bench = json::parse(r.out);
    QVERIFY(bench["result"]["prompt_tokens_per_s"].get<double>() > 0);
    QVERIFY(bench["desktop"]["gen_tokens_per_s"].get<double>() > 0);

    r = run_program(test::tinyllm_cli(),
                    {"remote", "eval", "--project", p, "--device", "pi-a", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    json eval = json::parse(r.out);
    const auto test_lines = test::read_jsonl(project_ / "data/prepared/task_test.jsonl").size();
    QCOMPARE(eval["result"]["examples"].get<size_t>(), test_lines);
    QCOMPARE(eval["result"]["correct"], eval["desktop"]["correct"]);  // the same file, same answers
    QCOMPARE(eval["result"]["confusion"], eval["desktop"]["confusion"]);

    r = run_program(test::tinyllm_cli(), {"remote", "run", "--project", p, "--device", "pi-a",
                                          "--example", "2", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    QVERIFY(json::parse(r.out)["result"].contains("label"));

    auto runs = deploy::load_runs(project_);
    TINYLLM_VERIFY_OK(runs);
    int device_runs = 0, desktop_runs = 0;
    for (const auto& run : *runs) {
      device_runs += run.device == "pi-a";
      desktop_runs += run.device == deploy::kDesktopDevice;
    }
    QCOMPARE(device_runs, 2);
    QCOMPARE(desktop_runs, 2);
    r = run_program(test::tinyllm_cli(), {"remote", "results", "--project", p});
    QVERIFY(r.out.find("pi-a") != std::string::npos && r.out.find("desktop") != std::string::npos);

    // The fleet: both devices evaluated at once, the desktop once for the same file.
    r = run_program(test::tinyllm_cli(),
                    {"remote", "eval", "--project", p, "--device", "pi-a,pi-b", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    const json fleet = json::parse(r.out);
    QCOMPARE(fleet["devices"].size(), size_t{2});
    QCOMPARE(fleet["desktop"].size(), size_t{1});
    for (const auto& d : fleet["devices"])
      QCOMPARE(d["result"]["correct"], fleet["desktop"][0]["result"]["correct"]);
    r = run_program(test::tinyllm_cli(), {"device", "list", "--project", p});
    QVERIFY(r.out.find("pi-a") != std::string::npos && r.out.find("pi-b") != std::string::npos);
    r = run_program(test::tinyllm_cli(), {"device", "remove", "--project", p, "pi-b"});
    QCOMPARE(r.code, 0);
    QCOMPARE(deploy::load_devices(project_)->size(), size_t{1});
  }

  // `tinyllm demo --device USER@HOST:PORT` goes on from the export to the device: the host
  // becomes a device of the demo project, the Q8_0 model is installed, benched and evaluated.
  void demoDeploysToTheDeviceOnItsCommandLine() {
    const fs::path demo = root() / "demo-device";
    const std::string spec = server_.user() + "@127.0.0.1:" + std::to_string(server_.port());
    const auto r =
        run_program(test::tinyllm_cli(),
                    {"demo", demo.string(), "--steps", "3", "--finetune-steps", "2", "--device",
                     spec, "--key", server_.client_key().string(), "--known-hosts",
                     (server_.dir() / "known_hosts-demo").string(), "--device-dir",
                     (server_.dir() / "demo-device").string(), "--accept-new-host-key"},
                    600000);
    QVERIFY2(r.code == 0,
             (r.err + r.out.substr(r.out.size() > 2000 ? r.out.size() - 2000 : 0)).c_str());
    QVERIFY(r.out.find("== step 5: deploy to " + spec) != std::string::npos);
    QVERIFY(fs::is_symlink(server_.dir() / "demo-device" / "Demo_gestures" / "current"));
    auto runs = deploy::load_runs(demo);
    TINYLLM_VERIFY_OK(runs);
    QCOMPARE(runs->size(), size_t{4});  // bench and eval, each on the device and the desktop

    // Before training, the demo recorded a take on the device (issue 13): the example script ran
    // there on its replayed register dump, and every reading of it landed in the project as a
    // labelled recording of a new person, which the prepared data was made from.
    QVERIFY(r.out.find("== step 1: a take recorded on " + spec) != std::string::npos);
    const fs::path dump = server_.dir() / "demo-device" / "sensors" / "demo-circles.bin";
    QVERIFY(fs::is_regular_file(dump));
    QVERIFY(fs::is_regular_file(server_.dir() / "demo-device" / "sensors" / "imu_mpu6050.py"));
    const uint64_t readings = fs::file_size(dump) / 14;
    QVERIFY(readings > 100);
    auto project = project::open_project(demo);
    TINYLLM_VERIFY_OK(project);
    const project::Source* take = nullptr;
    for (const auto& s : project->sources)
      if (s.origin.value("device", "") == "127.0.0.1") take = &s;
    QVERIFY(take);
    QCOMPARE(take->origin.value("label", ""), std::string("circle"));
    QCOMPARE(take->rows, readings);
    const std::string csv = test::read_text(project::resolve_path(demo, take->files.at(0).path));
    QVERIFY2(csv.rfind("time_ms,ax,ay,az,gx,gy,gz,label,person\n0,", 0) == 0,
             csv.substr(0, 80).c_str());
    QCOMPARE(uint64_t(std::count(csv.begin(), csv.end(), '\n')), readings + 1);
    QCOMPARE(csv.find(",circle,pi-demo\n") != std::string::npos, true);
    const auto* prepared = project->find_artifact("prepared");
    QVERIFY(prepared);
    QVERIFY(std::find(prepared->inputs.begin(), prepared->inputs.end(), take->id) !=
            prepared->inputs.end());

    // A second demo on the project records no second take from the same device.
    const auto again = run_program(
        test::tinyllm_cli(),
        {"demo", demo.string(), "--steps", "3", "--finetune-steps", "2", "--device", "127.0.0.1"},
        600000);
    QVERIFY2(again.code == 0, (again.err + again.out).c_str());
    QVERIFY(again.out.find("already has a take from 127.0.0.1") != std::string::npos);
    QCOMPARE(project::open_project(demo)->sources.size(), project->sources.size());
  }

  // The model kept loaded on the device (tinyllm-run serve behind a direct-tcpip tunnel): two
  // classify requests over one connection answer exactly as the desktop's `tinyllm-run classify`
  // of the same file, by one process that stays loaded; closing ends it on the device.
  void modelServerAnswersOverTheTunnel() {
    auto d = device(server_, "serve");
    auto s = connect(d);
    TINYLLM_VERIFY_OK(s);
    const auto q8 = package(d, *s, "q8_0");
    TINYLLM_VERIFY_OK(deploy::install(*s, d, q8));
    QVERIFY(runtimes_on(d).empty());

    auto server = deploy::ModelServer::start(std::move(*s), d, model_name());
    TINYLLM_VERIFY_OK(server);
    QCOMPARE(server->version(), q8.version);
    QCOMPARE(server->gguf_sha256(), q8.files[1].sha256);
    QVERIFY(server->port() > 0);
    const auto loaded = runtimes_on(d);
    QCOMPARE(loaded.size(), size_t{1});

    const auto examples = test::read_jsonl(project_ / "data/prepared/task_test.jsonl");
    QVERIFY(examples.size() >= 2);
    for (size_t i : {size_t{0}, size_t{1}}) {
      const std::string prompt = examples[i].value("prompt", "");
      auto answer = server->request({{"op", "classify"}, {"prompt", prompt}});
      TINYLLM_VERIFY_OK(answer);
      QVERIFY2(!answer->contains("error"), answer->dump().c_str());
      same_classification(*answer, classify_locally(q8.files[1].local, prompt));
      QVERIFY((*answer)["latency_ms"].get<double>() > 0);
    }
    QCOMPARE(runtimes_on(d), loaded);  // the same process answered both: loaded once

    // A request the runtime cannot do is its answer; the server goes on.
    auto unknown = server->request({{"op", "translate"}});
    TINYLLM_VERIFY_OK(unknown);
    QVERIFY2(unknown->value("error", "").find("unknown op") != std::string::npos,
             unknown->dump().c_str());
    auto info = server->request({{"op", "info"}});
    TINYLLM_VERIFY_OK(info);
    QVERIFY2(!info->contains("error"), info->dump().c_str());

    TINYLLM_VERIFY_OK(server->close());
    QVERIFY(runtimes_on(d).empty());  // gone when close() returns, not some time later
    auto closed = server->request({{"op", "info"}});
    QVERIFY(!closed.ok());
    QVERIFY(closed.error().message.find("closed") != std::string::npos);
  }

  // What can go wrong, each said clearly, and nothing left running on the device: the runtime
  // killed there, the connection cut, the runtime failing before it listens (its stderr), a
  // device whose sshd forbids tunnels.
  void modelServerFailuresAreClear() {
    auto d = device(server_, "serve");
    {
      auto s = connect(d);
      TINYLLM_VERIFY_OK(s);
      TINYLLM_VERIFY_OK(
          deploy::install(*s, d, package(d, *s, "q8_0")));  // unchanged after the above
    }
    {
      auto s = connect(d);
      TINYLLM_VERIFY_OK(s);
      auto server = deploy::ModelServer::start(std::move(*s), d, model_name());
      TINYLLM_VERIFY_OK(server);
      const auto pids = runtimes_on(d);
      QCOMPARE(pids.size(), size_t{1});
      ::kill(pids[0], SIGKILL);
      auto answer = server->request({{"op", "info"}});
      QVERIFY(!answer.ok());
      qInfo("runtime killed: %s", answer.error().to_string().c_str());
      QVERIFY2(answer.error().message.find("tinyllm-run serve stopped on the device") !=
                       std::string::npos &&
                   answer.error().message.find("killed by signal 9") != std::string::npos,
               answer.error().to_string().c_str());
      auto later = server->request({{"op", "info"}});  // no second try on a dead server
      QVERIFY(!later.ok());
      QCOMPARE(later.error().message, answer.error().message);
      TINYLLM_VERIFY_OK(server->close());
    }
    {
      auto s = connect(d);
      TINYLLM_VERIFY_OK(s);
      auto server = deploy::ModelServer::start(std::move(*s), d, model_name());
      TINYLLM_VERIFY_OK(server);
      QVERIFY(server_.kill_sessions() > 0);  // the device drops off the network
      auto answer = server->request({{"op", "info"}});
      QVERIFY(!answer.ok());
      qInfo("connection cut: %s", answer.error().to_string().c_str());
      QVERIFY2(answer.error().message.find("connection was lost") != std::string::npos,
               answer.error().to_string().c_str());
      QTRY_VERIFY_WITH_TIMEOUT(runtimes_on(d).empty(), 10000);
    }
    {
      // A broken model file in a version of its own: the runtime exits before it listens.
      auto broken = device(server_, "serve-broken");
      auto s = connect(broken);
      TINYLLM_VERIFY_OK(s);
      TINYLLM_VERIFY_OK(deploy::install(*s, broken, package(broken, *s, "q8_0")));
      const fs::path gguf = fs::canonical(model_dir(broken) / "current") / "model.gguf";
      fs::resize_file(gguf, 100);
      auto server = deploy::ModelServer::start(std::move(*s), broken, model_name());
      QVERIFY(!server.ok());
      qInfo("broken model: %s", server.error().to_string().c_str());
      QVERIFY2(
          server.error().message.find("stopped on the device before it was ready, exit status 1") !=
                  std::string::npos &&
              server.error().message.find("model.gguf") != std::string::npos,
          server.error().to_string().c_str());
      QVERIFY(runtimes_on(broken).empty());
    }
    {
      SshServer no_tunnels;
      TINYLLM_VERIFY_OK(no_tunnels.start("AllowTcpForwarding no\n"));
      auto locked = device(no_tunnels, "no-tunnels");
      auto s = connect(locked);
      TINYLLM_VERIFY_OK(s);
      TINYLLM_VERIFY_OK(deploy::install(*s, locked, package(locked, *s, "q8_0")));
      auto server = deploy::ModelServer::start(std::move(*s), locked, model_name());
      QVERIFY(!server.ok());
      qInfo("no tunnels: %s", server.error().to_string().c_str());
      QVERIFY2(server.error().message.find("refused a tunnel") != std::string::npos &&
                   server.error().message.find("AllowTcpForwarding") != std::string::npos,
               server.error().to_string().c_str());
      QVERIFY(runtimes_on(locked).empty());  // started, then stopped again
    }
    auto missing = device(second_, "never-deployed");
    auto s = connect(missing);
    TINYLLM_VERIFY_OK(s);
    auto server = deploy::ModelServer::start(std::move(*s), missing, model_name());
    QVERIFY(!server.ok());
    QVERIFY2(server.error().message.find("deploy it first") != std::string::npos,
             server.error().to_string().c_str());
  }

  // `tinyllm remote serve`: requests on stdin, answers on stdout, the same as the local runtime;
  // stdin's end stops it on the device; a killed CLI leaves nothing running there either.
  void cliRemoteServe() {
    const std::string p = project_.string();
    auto pi = deploy::find_device(project_, "pi-a");
    if (!pi.ok()) QSKIP("needs the CLI test's device pi-a");
    QVERIFY(runtimes_on(*pi).empty());
    const auto examples = test::read_jsonl(project_ / "data/prepared/task_test.jsonl");
    auto installs = deploy::installs(project_, "pi-a");
    TINYLLM_VERIFY_OK(installs);
    const fs::path gguf = project::open_project(project_)->path(installs->back().value("gguf", ""));

    QProcess cli;
    cli.start(QString::fromStdString(test::tinyllm_cli()),
              {"remote", "serve", "--project", QString::fromStdString(p), "--device", "pi-a"});
    QVERIFY(cli.waitForStarted());
    auto next_line = [&cli]() -> json {
      for (int waited = 0; !cli.canReadLine() && waited < 60000; waited += 100)
        cli.waitForReadyRead(100);
      if (!cli.canReadLine()) return json();
      return json::parse(cli.readLine().toStdString(), nullptr, false);
    };
    const json ready = next_line();
    QVERIFY2(ready.value("event", "") == "ready",
             (ready.dump() + cli.readAllStandardError().toStdString()).c_str());
    QCOMPARE(ready.value("version", ""), installs->back().value("version", ""));
    QCOMPARE(runtimes_on(*pi).size(), size_t{1});
    for (size_t i : {size_t{2}, size_t{3}}) {
      const std::string prompt = examples[i].value("prompt", "");
      const json request = {{"op", "classify"}, {"prompt", prompt}};
      cli.write(QByteArray::fromStdString(request.dump() + "\n"));
      const json answer = next_line();
      QVERIFY2(answer.is_object() && !answer.contains("error"), answer.dump().c_str());
      same_classification(answer, classify_locally(gguf, prompt));
    }
    cli.write("not json\n");
    QVERIFY(next_line().value("error", "").find("not a JSON object") != std::string::npos);
    cli.closeWriteChannel();
    QVERIFY(cli.waitForFinished(30000));
    QCOMPARE(cli.exitCode(), 0);
    QVERIFY(runtimes_on(*pi).empty());  // stopped before the CLI exited

    // Killed (the workbench crashed): the connection drops and sshd ends the runtime.
    cli.start(QString::fromStdString(test::tinyllm_cli()),
              {"remote", "serve", "--project", QString::fromStdString(p), "--device", "pi-a"});
    QCOMPARE(next_line().value("event", ""), std::string("ready"));
    QCOMPARE(runtimes_on(*pi).size(), size_t{1});
    cli.kill();
    QVERIFY(cli.waitForFinished(10000));
    QTRY_VERIFY_WITH_TIMEOUT(runtimes_on(*pi).empty(), 10000);

    // The runtime killed on the device while the command waits for requests: it says so and
    // ends at once, without waiting for the next request.
    cli.start(QString::fromStdString(test::tinyllm_cli()),
              {"remote", "serve", "--project", QString::fromStdString(p), "--device", "pi-a"});
    QCOMPARE(next_line().value("event", ""), std::string("ready"));
    QCOMPARE(runtimes_on(*pi).size(), size_t{1});
    ::kill(runtimes_on(*pi).front(), SIGKILL);
    QVERIFY(cli.waitForFinished(15000));
    QCOMPARE(cli.exitCode(), 1);
    const std::string said = cli.readAllStandardError().toStdString();
    QVERIFY2(said.find("stopped on the device while idle, killed by signal 9") != std::string::npos,
             said.c_str());

    // `remote run` (one classification per command) answers the same.
    const std::string prompt = examples[2].value("prompt", "");
    auto r = run_program(test::tinyllm_cli(), {"remote", "run", "--project", p, "--device", "pi-a",
                                               "--example", "3", "--json"});
    QVERIFY2(r.code == 0, r.err.c_str());
    same_classification(json::parse(r.out)["result"], classify_locally(gguf, prompt));
  }

  // A device whose runtime runs through qemu-aarch64: the aarch64 build is the one deployed,
  // run and measured there, and it answers exactly as the desktop does.
  void aarch64RuntimeUnderQemu() {
    auto aarch64 = deploy::find_runtime("aarch64");
    if (!aarch64) QSKIP("no aarch64 runtime in this build (install g++-aarch64-linux-gnu)");
    if (run_program("qemu-aarch64", {"--version"}).code != 0) QSKIP("qemu-user is not installed");
    auto d = device(server_, "qemu-pi");
    d.arch = "aarch64";
    d.runner = "qemu-aarch64";
    auto s = connect(d);
    TINYLLM_VERIFY_OK(s);
    const auto q8 = package(d, *s, "q8_0");
    QCOMPARE(q8.runtime_arch, std::string("aarch64"));
    auto installed = deploy::install(*s, d, q8);
    TINYLLM_VERIFY_OK(installed);
    const auto file = run_program("file", {(model_dir(d) / "current" / "tinyllm-run").string()});
    if (file.code == 0) QVERIFY2(file.out.find("aarch64") != std::string::npos, file.out.c_str());
    const std::string model = project::open_project(project_)->name;
    auto eval = deploy::run_on_device(
        *s, d, model, {"eval", "--model", "model.gguf", "--file", "task_test.jsonl"});
    TINYLLM_VERIFY_OK(eval);
    const auto desktop = run_program(std::string(TINYLLM_BINARY_DIR) + "/bin/tinyllm-run",
                                     {"eval", "--model", q8.files[1].local.string(), "--file",
                                      q8.files[2].local.string(), "--json"});
    QCOMPARE(desktop.code, 0);
    const json local = json::parse(desktop.out);
    QCOMPARE(eval->result["correct"], local["correct"]);
    QCOMPARE(eval->result["confusion"], local["confusion"]);
  }

  // Recording with the deployed model classifying on the device as the readings stream (issue
  // 13): the take keeps every reading, and the device's labels arrive while it records.
  void liveClassificationWhileRecording() {
    const std::string p = project_.string();
    if (!deploy::find_device(project_, "pi-a").ok()) QSKIP("needs the CLI test's device pi-a");
    const fs::path readings = project_ / "data" / "raw" / "imu_p01.csv";
    const auto rows = test::read_text(readings);
    const size_t expected = size_t(std::count(rows.begin(), rows.end(), '\n')) - 1;
    auto r = run_program(test::tinyllm_cli(),
                         {"record", "--project", p, "--device", "pi-a", "--command",
                          "cut -d, -f1-7 " + readings.string(), "--label", "idle", "--live",
                          "--smooth", "2", "--json"},
                         300000);
    QVERIFY2(r.code == 0, (r.err + r.out).c_str());
    std::istringstream lines(r.out);
    size_t live = 0;
    json take;
    for (std::string line; std::getline(lines, line);) {
      const json e = json::parse(line);
      if (e["event"] == "live") {
        QVERIFY(e["result"]["confidence"].get<double>() > 0);
        QVERIFY(!e["result"]["label"].get<std::string>().empty());
        ++live;
      } else if (e["event"] == "take") {
        take = e;
      }
    }
    qInfo("%zu readings recorded, %zu windows classified on the device", expected, live);
    QVERIFY(live >= 2);
    QCOMPARE(take["rows"].get<size_t>(), expected);
  }

  // Training on hosts (tinyllm train --on ... --gpus N): which workers start where. Pure, so
  // tested here without GPUs; the refusal also for real in test_remote_train.
  void workerPlanOnePerGpuOrPerHost() {
    const json cuda4 = {{"libtorch_version", "2.3.1"}, {"cuda", true}, {"gpus", 4}};
    const json cuda2 = {{"libtorch_version", "2.3.1"}, {"cuda", true}, {"gpus", 2}};
    const json cpu = {{"libtorch_version", "1.13.1"}, {"cuda", false}, {"gpus", 0}};
    auto has = [](const deploy::WorkerLaunch& w, const std::string& arg) {
      return std::find(w.args.begin(), w.args.end(), arg) != w.args.end();
    };
    // Two GPUs on each of two hosts: four ranks, host-major, each on its own GPU.
    auto plan =
        deploy::plan_workers({{"ta", cuda4, "eth1"}, {"tb", cuda2, ""}}, 2, "10.0.0.1", 29600);
    TINYLLM_VERIFY_OK(plan);
    QCOMPARE(plan->world_size, 4);
    QCOMPARE(plan->workers.size(), size_t{4});
    const size_t hosts[] = {0, 0, 1, 1};
    const char* devices[] = {"cuda:0", "cuda:1", "cuda:0", "cuda:1"};
    for (int r = 0; r < 4; ++r) {
      const auto& w = plan->workers[size_t(r)];
      QCOMPARE(w.rank, r);
      QCOMPARE(w.host, hosts[r]);
      QCOMPARE(w.local_rank, r % 2);
      QCOMPARE(w.device, std::string(devices[r]));
      QVERIFY(has(w, "--rank=" + std::to_string(r)));
      QVERIFY(has(w, "--local_rank=" + std::to_string(r % 2)));
      QVERIFY(has(w, "--device=cuda"));
      QVERIFY(has(w, "--world_size=4"));
      QVERIFY(has(w, "--dist_addr=10.0.0.1"));
      QVERIFY(has(w, "--dist_port=29600"));
    }
    // The network interface, for Gloo and NCCL, where the host's profile names one.
    using Env = std::vector<std::pair<std::string, std::string>>;
    QCOMPARE(plan->workers[1].env,
             (Env{{"GLOO_SOCKET_IFNAME", "eth1"}, {"NCCL_SOCKET_IFNAME", "eth1"}}));
    QVERIFY(plan->workers[2].env.empty());
    // One host with two GPUs is already data-parallel.
    plan = deploy::plan_workers({{"ta", cuda2, ""}}, 2, "ta", 29500);
    TINYLLM_VERIFY_OK(plan);
    QCOMPARE(plan->world_size, 2);
    QVERIFY(has(plan->workers[1], "--rank=1") && has(plan->workers[1], "--world_size=2"));
    // Without --gpus: one worker per host on the run's own device setting, CUDA or not.
    plan = deploy::plan_workers({{"ta", cpu, "tlnet0"}, {"tb", cuda4, "tlnet0"}}, 0, "ta", 29500);
    TINYLLM_VERIFY_OK(plan);
    QCOMPARE(plan->world_size, 2);
    for (const auto& w : plan->workers) {
      QCOMPARE(w.device, std::string());
      QVERIFY(!has(w, "--device=cuda") && !has(w, "--local_rank=0"));
      QCOMPARE(w.env, (Env{{"GLOO_SOCKET_IFNAME", "tlnet0"}}));
    }
    QVERIFY(has(plan->workers[1], "--rank=1"));
    plan = deploy::plan_workers({{"ta", cpu, ""}}, 0, "ta", 29500);
    TINYLLM_VERIFY_OK(plan);
    QCOMPARE(plan->world_size, 1);
    QVERIFY(plan->workers[0].args.empty());  // one process: no rendezvous at all

    // Refused, naming the host, what it has and what was asked.
    auto refused = deploy::plan_workers({{"ta", cuda4, ""}, {"tb", cpu, ""}}, 1, "ta", 29500);
    QVERIFY(!refused);
    QCOMPARE(QString::fromStdString(refused.error().to_string()),
             QString("host tb: tinyllm-train has no CUDA (libtorch 1.13.1 CPU); --gpus needs a "
                     "CUDA build, see docs/training-hosts.md"));
    refused = deploy::plan_workers({{"ta", cuda4, ""}, {"tb", cuda2, ""}}, 3, "ta", 29500);
    QVERIFY(!refused);
    QCOMPARE(QString::fromStdString(refused.error().to_string()),
             QString("host tb: tinyllm-train sees 2 GPUs (libtorch 2.3.1 CUDA) but --gpus asks "
                     "for 3 per host; ask for at most 2"));
    refused = deploy::plan_workers({{"ta", json(), ""}}, 1, "ta", 29500);  // an older worker
    QVERIFY(!refused);
    QVERIFY2(refused.error().message.find("does not report CUDA") != std::string::npos,
             refused.error().to_string().c_str());
    QVERIFY(deploy::check_host_gpus({"ta", cpu, ""}, 0).ok());  // no --gpus: nothing to check
  }
};

QTEST_GUILESS_MAIN(TestDeploy)
#include "test_deploy.moc"
