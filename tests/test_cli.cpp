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
