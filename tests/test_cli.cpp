// The tinyllm CLI, run as a user would: real processes, real datasets, exit codes and output.
#include <QtTest>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Run {
  int code = -1;
  QString out, err;
};

Run run_cli(const QStringList& args) {
  QProcess p;
  p.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm", args);
  p.waitForFinished(600000);
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
          QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
 private slots:
  void usageAndUnknownCommands() {
    auto r = run_cli({"--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("data"));
    r = run_cli({"frobnicate"});
    QCOMPARE(r.code, 2);
    QVERIFY(r.err.contains("unknown command"));
    r = run_cli({"data", "import", "--projct", "x"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("unknown option --projct"));
  }

  void magicWandThroughTheCli() {
    TINYLLM_REQUIRE_DATASETS();
    QTemporaryDir dir;
    const QString project = dir.path() + "/wand";
    auto r = run_cli({"project", "new", project, "--task", "gesture"});
    QCOMPARE(r.code, 0);
    r = run_cli({"data", "import", "--project", project,
                 QString::fromStdString((tinyllm::test::magic_wand_dir() / "raw").string()),
                 "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    json imported = json::parse(r.out.toStdString());
    QCOMPARE(imported["stats"]["rows"].get<uint64_t>(), uint64_t(65373));
    QCOMPARE(imported["classes"].size(), size_t(4));
    r = run_cli({"data", "prepare", "--project", project, "--set", "resample_hz=20", "--set",
                 "split.seed=7"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("### Instruction:"));
    QVERIFY(r.out.contains("sampled at 20 Hz"));
    r = run_cli({"data", "inspect", "--project", project, "--json"});
    QCOMPARE(r.code, 0);
    json info = json::parse(r.out.toStdString());
    QCOMPARE(info["prepared"]["settings"]["split"]["seed"].get<int>(), 7);
    QCOMPARE(info["prepared_stale"].get<bool>(), false);
    r = run_cli({"data", "inspect", "--project", project});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("clipping"));
    r = run_cli({"project", "info", project});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("prepared-data"));
  }

  void errorsSayWhatAndWhere() {
    QTemporaryDir dir;
    const QString project = dir.path() + "/p";
    QCOMPARE(run_cli({"project", "new", project}).code, 0);
    auto r = run_cli({"data", "import", "--project", project, dir.path() + "/missing.csv"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("missing.csv: no such file or folder"));
    r = run_cli({"data", "prepare", "--project", project});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("no imported data"));
    r = run_cli({"data", "prepare", "--project", project, "--set", "windw_s=3"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("'windw_s'"));
    r = run_cli({"data", "inspect", "--project", dir.path() + "/nothing"});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("not a TinyLLM project"));
  }

  // The main help promises '<command> --help' for every command: each subcommand (and each
  // action) prints its usage and exits 0, wherever --help stands.
  void everySubcommandHasHelp() {
    const std::vector<QStringList> commands = {{"project"},
                                               {"project", "new"},
                                               {"project", "info"},
                                               {"data"},
                                               {"data", "detect"},
                                               {"data", "import"},
                                               {"data", "inspect"},
                                               {"data", "prepare"},
                                               {"plugins"},
                                               {"tokenizer"},
                                               {"tokenizer", "train"},
                                               {"tokenizer", "encode"},
                                               {"tokenizer", "decode"},
                                               {"tokenizer", "stats"},
                                               {"train"},
                                               {"sample"},
                                               {"demo"}};
    for (const auto& command : commands)
      for (const char* flag : {"--help", "-h"}) {
        auto r = run_cli(QStringList(command) << flag);
        const QString what = command.join(' ') + " " + flag;
        QVERIFY2(r.code == 0, qPrintable(what + ": " + r.err));
        QVERIFY2(r.out.contains("usage: tinyllm " + command[0]), qPrintable(what + ": " + r.out));
      }
    // After other options too, and never doing the work.
    auto r = run_cli({"data", "detect", "/nonexistent", "--set", "x=1", "--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("usage: tinyllm data"));
    r = run_cli({"train", "--project", "/nonexistent", "--help"});
    QCOMPARE(r.code, 0);
    QVERIFY(r.out.contains("usage: tinyllm train"));
  }

  void settingsAreCheckedWhereTheUserGivesThem() {
    TINYLLM_REQUIRE_DATASETS();
    QTemporaryDir dir;
    const QString project = dir.path() + "/wand";
    QCOMPARE(run_cli({"project", "new", project, "--task", "gesture"}).code, 0);
    const QString raw = QString::fromStdString((tinyllm::test::magic_wand_dir() / "raw").string());
    // An unknown mapping key at import is refused (it would be saved and do nothing).
    auto r = run_cli({"data", "import", "--project", project, raw, "--set", "sample_rat_hz=25"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("sample_rat_hz") && r.err.contains("did you mean 'sample_rate_hz'") &&
                 r.err.contains("valid: kind, delimiter"),
             qPrintable(r.err));
    QVERIFY(!fs::exists(fs::path(project.toStdString()) / "data" / "imported") ||
            fs::is_empty(fs::path(project.toStdString()) / "data" / "imported"));
    r = run_cli({"data", "import", "--project", project, raw, "--set", "sample_rate_hz=0"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("sample_rate_hz: 0 is out of range"), qPrintable(r.err));
    r = run_cli({"data", "import", "--project", project, raw});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    // Prepare: ranges, and split fractions that do not add up.
    r = run_cli({"data", "prepare", "--project", project, "--set", "resample_hz=1e7"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("resample_hz: 10000000 is out of range [1, 1000]"), qPrintable(r.err));
    r = run_cli({"data", "prepare", "--project", project, "--set", "split.train=0.9", "--set",
                 "split.val=0.9", "--set", "split.test=0.1"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("split.train 0.9 + split.val 0.9 + split.test 0.1 = 1.9"),
             qPrintable(r.err));
    QVERIFY(!fs::exists(fs::path(project.toStdString()) / "data" / "prepared" / "prepared.json"));
    // Training: a negative thread count is named with its range before the worker starts work.
    r = run_cli({"train", "--project", project, "--threads", "-1"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("--threads: -1 is out of range [1, 4096]"), qPrintable(r.err));
    QVERIFY(fs::is_empty(fs::path(project.toStdString()) / "checkpoints"));
    r = run_cli({"sample", "--project", project, "--tokens", "-5"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("--tokens: -5 is out of range"), qPrintable(r.err));
  }

  void demoRunsHeadless() {
    // The README's main job without a display: data, tokenizer, pre-training, a sample.
    QTemporaryDir dir;
    const QString demo = dir.path() + "/demo";
    auto r = run_cli({"demo", demo, "--kind", "imu", "--steps", "3"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("Classify the gesture"));
    QVERIFY(r.out.contains("== step 2: tokenizer =="));
    QVERIFY(r.out.contains("done (completed) at step 3"));
    QVERIFY(r.out.contains("== a sample from the model =="));
    QVERIFY(fs::exists(fs::path(demo.toStdString()) / "checkpoints/demo/latest.json"));
    // The tokenizer's numbers for the task prompts, as machine output.
    r = run_cli({"tokenizer", "stats", "--project", demo, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(!json::parse(r.out.toStdString()).empty());
    // A second run reuses the project and continues the same training run.
    r = run_cli({"demo", demo, "--kind", "imu", "--steps", "5"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("using the demo project"));
    QVERIFY(r.out.contains("done (completed) at step 5"));
    r = run_cli({"demo", dir.path() + "/demo-rssi", "--kind", "rssi", "--steps", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("Which zone"));
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
