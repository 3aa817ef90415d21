// The Debian package, installed the way a user installs it (issue 14): CPack makes the .deb
// from this build, its dependencies are the ones dpkg-shlibdeps computed, its desktop entry and
// AppStream file validate, and in a clean Debian root made here by debootstrap, `apt-get install
// ./tinyllm-workbench_*.deb` pulls exactly those dependencies from the Debian registry; then the
// installed CLI runs the demo's first steps (a project, prepared data, a tokenizer, a short
// pre-training through the installed tinyllm-train worker) and finds the device runtimes.
//
// Label "package": it downloads about 400 MB and takes several minutes; it needs root (chroot,
// mounting /proc), debootstrap and the Debian registry, and skips with the reason without them.
#include <sys/mount.h>
#include <unistd.h>

#include <QProcess>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include "base/version.h"

namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out;  // stdout and stderr together: what a failure message needs
};

Run run(const std::string& program, const QStringList& args, int timeout_s = 900) {
  QProcess p;
  p.setProcessChannelMode(QProcess::MergedChannels);
  p.start(QString::fromStdString(program), args);
  Run r;
  if (!p.waitForFinished(timeout_s * 1000)) {
    p.kill();
    p.waitForFinished();
    r.out = "timed out or did not start: " + program + "\n";
  } else {
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
  }
  r.out += p.readAll().toStdString();
  return r;
}

std::string tail(const std::string& text, size_t n = 3000) {
  return text.size() > n ? "..." + text.substr(text.size() - n) : text;
}

bool on_path(const char* program) {
  return run("sh", {"-c", QString("command -v %1").arg(program)}).code == 0;
}

// The Debian mirror this machine's apt uses (deb822 or one-line sources), else deb.debian.org.
std::string debian_mirror() {
  for (const char* file : {"/etc/apt/sources.list.d/debian.sources", "/etc/apt/sources.list"}) {
    std::ifstream in(file);
    std::string line;
    const std::regex uri(R"((?:URIs:\s*|^deb\s+(?:\[[^\]]*\]\s*)?)(https?://\S+/debian)\b)");
    std::smatch m;
    while (std::getline(in, line))
      if (std::regex_search(line, m, uri)) return m[1];
  }
  return "http://deb.debian.org/debian";
}

// A clean root with /proc mounted while it lives; unmounted before anything is removed, so that
// removing the root can never reach the host's /proc.
class CleanRoot {
 public:
  explicit CleanRoot(fs::path dir) : dir_(std::move(dir)) {}
  CleanRoot(const CleanRoot&) = delete;
  CleanRoot& operator=(const CleanRoot&) = delete;
  ~CleanRoot() {
    if (proc_mounted_ && ::umount2((dir_ / "proc").c_str(), MNT_DETACH) != 0) return;  // keep it
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }
  bool mount_proc() {
    proc_mounted_ = ::mount("proc", (dir_ / "proc").c_str(), "proc", 0, nullptr) == 0;
    return proc_mounted_;
  }
  // A shell command inside the root, as root, with a plain environment.
  Run sh(const std::string& command, int timeout_s = 900) const {
    return run("chroot",
               {QString::fromStdString(dir_.string()), "/usr/bin/env", "-i",
                "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8",
                "DEBIAN_FRONTEND=noninteractive", "/bin/sh", "-c", QString::fromStdString(command)},
               timeout_s);
  }

 private:
  fs::path dir_;
  bool proc_mounted_ = false;
};

}  // namespace

class TestPackage : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path deb_;

 private slots:
  void initTestCase() {
    if (::geteuid() != 0) QSKIP("the package test needs root (debootstrap, chroot, mount)");
    for (const char* program : {"cpack", "dpkg-deb", "dpkg-shlibdeps", "debootstrap", "chroot"})
      if (!on_path(program))
        QSKIP(
            qPrintable(QString("%1 is not installed (scripts/setup.sh installs it)").arg(program)));
    QVERIFY(dir_.isValid());
  }

  // CPack packs this build; the package holds every program, the runtimes deploy sends, the
  // desktop files and man pages, and depends on what dpkg-shlibdeps found the binaries need.
  void cpackMakesTheDebianPackage() {
    const fs::path out = fs::path(dir_.path().toStdString()) / "packages";
    const Run cpack = run("cpack",
                          {"--config", TINYLLM_BINARY_DIR "/CPackConfig.cmake", "-B",
                           QString::fromStdString(out.string())},
                          1200);
    QVERIFY2(cpack.code == 0, tail(cpack.out).c_str());
    for (const auto& entry : fs::directory_iterator(out))
      if (entry.path().extension() == ".deb") deb_ = entry.path();
    QVERIFY2(!deb_.empty(), cpack.out.c_str());
    QVERIFY2(deb_.filename().string().find(std::string("tinyllm-workbench_") +
                                           tinyllm::kWorkbenchVersion + "_") == 0,
             deb_.filename().c_str());

    const Run contents = run("dpkg-deb", {"--contents", QString::fromStdString(deb_.string())});
    QCOMPARE(contents.code, 0);
    for (const char* path :
         {"./usr/bin/tinyllm", "./usr/bin/tinyllm-studio", "./usr/bin/tinyllm-train",
          "./usr/bin/tinyllm-run", "./usr/lib/tinyllm/runtimes/x86_64/tinyllm-run",
          "./usr/lib/tinyllm/runtimes/aarch64/tinyllm-run",
          "./usr/lib/tinyllm/runtimes/armhf/tinyllm-run",
          "./usr/share/applications/tinyllm-studio.desktop",
          "./usr/share/metainfo/org.tinyllm.workbench.metainfo.xml",
          "./usr/share/icons/hicolor/scalable/apps/tinyllm-studio.svg",
          "./usr/share/icons/hicolor/256x256/apps/tinyllm-studio.png",
          "./usr/share/man/man1/tinyllm.1", "./usr/share/man/man1/tinyllm-run.1",
          "./usr/share/tinyllm/device-scripts/imu_mpu6050.py"})
      QVERIFY2(contents.out.find(std::string(path) + "\n") != std::string::npos ||
                   contents.out.find(std::string(path) + " ") != std::string::npos,
               (std::string(path) + " is not in the package").c_str());

    // Computed dependencies: the libraries the binaries link, by their Debian package names.
    const Run depends =
        run("dpkg-deb", {"--field", QString::fromStdString(deb_.string()), "Depends"});
    QCOMPARE(depends.code, 0);
    for (const char* package :
         {"libqt6widgets6", "libtorch", "libssh-4", "libsentencepiece", "libopenblas0-pthread"})
      QVERIFY2(depends.out.find(package) != std::string::npos,
               ("Depends lacks " + std::string(package) + ": " + depends.out).c_str());
  }

  // The runtime archives for a device: each holds the static runtime and its checksum, and the
  // runtime in it runs (under qemu-user for the ARM ones, where it is installed).
  void runtimeArchivesHoldWorkingRuntimes() {
    const fs::path x = fs::path(dir_.path().toStdString()) / "archives";
    fs::create_directories(x);
    for (const std::string arch : {"x86_64", "aarch64", "armhf"}) {
      const std::string name =
          std::string("tinyllm-run-") + tinyllm::kWorkbenchVersion + "-" + arch;
      const fs::path archive = fs::path(TINYLLM_BINARY_DIR) / "packages" / (name + ".tar.gz");
      QVERIFY2(fs::exists(archive), archive.c_str());
      Run r = run("tar", {"xzf", QString::fromStdString(archive.string()), "-C",
                          QString::fromStdString(x.string())});
      QVERIFY2(r.code == 0, r.out.c_str());
      r = run("sh", {"-c", QString::fromStdString("cd '" + (x / name).string() +
                                                  "' && sha256sum -c SHA256SUMS")});
      QVERIFY2(r.code == 0 && r.out == "tinyllm-run: OK\n", r.out.c_str());
      const std::string runner = arch == "aarch64" ? "qemu-aarch64 "
                                 : arch == "armhf" ? "qemu-arm "
                                                   : "";
      if (!runner.empty() && !on_path(runner.substr(0, runner.size() - 1).c_str())) continue;
      r = run("sh",
              {"-c", QString::fromStdString(runner + "'" + (x / name / "tinyllm-run").string() +
                                            "' --version")});
      QCOMPARE(r.out, "tinyllm-run " + std::string(tinyllm::kWorkbenchVersion) + " " + arch + "\n");
    }
  }

  // The man page is the CLI's own help, and the desktop files pass their validators.
  void installedFilesValidate() {
    QVERIFY(!deb_.empty());
    const fs::path x = fs::path(dir_.path().toStdString()) / "extracted";
    QCOMPARE(run("dpkg-deb",
                 {"-x", QString::fromStdString(deb_.string()), QString::fromStdString(x.string())})
                 .code,
             0);
    std::ifstream man(x / "usr/share/man/man1/tinyllm.1");
    const std::string page((std::istreambuf_iterator<char>(man)), {});
    for (const char* section : {".SS tinyllm export", ".SS tinyllm deploy", "--project P"})
      QVERIFY2(page.find(section) != std::string::npos, section);
    if (on_path("desktop-file-validate")) {
      const Run r = run(
          "desktop-file-validate",
          {QString::fromStdString((x / "usr/share/applications/tinyllm-studio.desktop").string())});
      QVERIFY2(r.code == 0 && r.out.empty(), r.out.c_str());
    }
    if (on_path("appstreamcli")) {
      const Run r =
          run("appstreamcli",
              {"validate", "--no-net", "--pedantic",
               QString::fromStdString(
                   (x / "usr/share/metainfo/org.tinyllm.workbench.metainfo.xml").string())});
      QVERIFY2(r.code == 0, r.out.c_str());
    }
  }

  // A clean Debian root: apt installs the package with its dependencies; the installed CLI runs
  // the demo's first steps there and finds the device runtimes beside itself.
  void installsAndRunsInACleanRoot() {
    QVERIFY(!deb_.empty());
    CleanRoot root(fs::path(dir_.path().toStdString()) / "root");
    const std::string mirror = debian_mirror();
    const Run boot =
        run("debootstrap",
            {"--variant=minbase", "bookworm", QString::fromStdString(root.dir().string()),
             QString::fromStdString(mirror)},
            1200);
    if (boot.code != 0 && boot.out.find("Failed getting release file") != std::string::npos)
      QSKIP(qPrintable(QString::fromStdString("the Debian registry is not reachable: " + mirror)));
    QVERIFY2(boot.code == 0, tail(boot.out).c_str());
    QVERIFY(root.mount_proc());
    fs::copy_file("/etc/resolv.conf", root.dir() / "etc/resolv.conf",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(deb_, root.dir() / "root" / deb_.filename());

    Run r = root.sh("apt-get update -q && apt-get install -y -q --no-install-recommends ./root/" +
                        deb_.filename().string(),
                    1500);
    QVERIFY2(r.code == 0, tail(r.out).c_str());
    // Every library the programs need came with the package's dependencies.
    r = root.sh(
        "ldd /usr/bin/tinyllm /usr/bin/tinyllm-studio /usr/bin/tinyllm-train "
        "/usr/bin/tinyllm-run | grep 'not found' || true");
    QVERIFY2(r.code == 0 && r.out.empty(), r.out.c_str());

    // libtorch's BLAS is OpenBLAS, not Debian's reference BLAS (15-30x slower training).
    r = root.sh("update-alternatives --query libblas.so.3-x86_64-linux-gnu | grep '^Value:'");
    QVERIFY2(r.out.find("openblas") != std::string::npos, r.out.c_str());

    r = root.sh("tinyllm --version");
    QCOMPARE(r.out, std::string("tinyllm ") + tinyllm::kWorkbenchVersion + "\n");
    // The desktop program starts (offscreen: the root has no display) and knows its version.
    r = root.sh("QT_QPA_PLATFORM=offscreen tinyllm-studio --version");
    QVERIFY2(r.code == 0 && r.out.find(tinyllm::kWorkbenchVersion) != std::string::npos,
             r.out.c_str());
    r = root.sh("/usr/lib/tinyllm/runtimes/x86_64/tinyllm-run --version");
    QCOMPARE(r.out, std::string("tinyllm-run ") + tinyllm::kWorkbenchVersion + " x86_64\n");

    r = root.sh(
        "set -e; cd /root; tinyllm project new demo --demo imu; "
        "tinyllm data prepare --project demo; tinyllm tokenizer train --project demo --quiet; "
        "tinyllm train --project demo --steps 4 --n_layer 1 --n_embd 32 --n_head 2 --n_ctx 32 "
        "--batch_size 2 --eval_every 4 --eval_batches 1 --warmup_steps 1 --threads 2; "
        "tinyllm project info demo",
        900);
    QVERIFY2(r.code == 0, tail(r.out).c_str());
    QVERIFY2(fs::exists(root.dir() / "root/demo/tokenizer/tokenizer.model"), r.out.c_str());
    bool checkpoint = false;
    for (const auto& e : fs::recursive_directory_iterator(root.dir() / "root/demo/checkpoints"))
      checkpoint = checkpoint || e.path().filename() == "model.safetensors";
    QVERIFY2(checkpoint, tail(r.out).c_str());
  }
};

QTEST_GUILESS_MAIN(TestPackage)
#include "test_package.moc"
