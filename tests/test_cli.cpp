// The tinyllm CLI, run as a user would: real processes, real datasets, exit codes and output.
#include <QtTest>

#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/version.h"
#include "test_support.h"

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Run {
  int code = -1;
  QString out, err;
};

Run run_cli(const QStringList& args,
            const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment()) {
  QProcess p;
  p.setProcessEnvironment(env);
  p.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm", args);
  p.waitForFinished(600000);
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
          QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

// A small, fast training run on a project (the tiny preset shrunk further).
QStringList tiny_train(const QString& project, int steps) {
  return {"train",
          "--project",
          project,
          "--n_layer",
          "1",
          "--n_embd",
          "32",
          "--n_head",
          "2",
          "--n_ctx",
          "32",
          "--batch_size",
          "2",
          "--steps",
          QString::number(steps),
          "--eval_every",
          "2",
          "--eval_batches",
          "1",
          "--warmup_steps",
          "1",
          "--threads",
          "1",
          "--peak_flops",
          "1e10"};
}

// Every file of a tree by relative path, with its sha256.
std::map<std::string, std::string> tree_hashes(const fs::path& root) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file())
      out[fs::relative(e.path(), root).string()] = *tinyllm::sha256_file(e.path());
  return out;
}

bool tree_mentions(const fs::path& root, const std::string& text) {
  for (const auto& e : fs::recursive_directory_iterator(root))
    if (e.is_regular_file() && e.path().extension() == ".json" &&
        tinyllm::test::read_text(e.path()).find(text) != std::string::npos)
      return true;
  return false;
}

}  // namespace

class TestCli : public QObject {
  Q_OBJECT
  QTemporaryDir shared_;
  QString ready_;  // a demo project with prepared text and a tokenizer, copied by the tests

  // A fresh copy of the ready project at `folder`.
  void copy_ready(const QString& folder) {
    fs::copy(ready_.toStdString(), folder.toStdString(), fs::copy_options::recursive);
  }

 private slots:
  void initTestCase() {
    ready_ = shared_.path() + "/ready";
    for (const QStringList& args :
         {QStringList{"project", "new", ready_, "--demo", "imu"},
          QStringList{"data", "prepare", "--project", ready_},
          QStringList{"tokenizer", "train", "--project", ready_, "--quiet"}}) {
      auto r = run_cli(args);
      QVERIFY2(r.code == 0, qPrintable(r.err));
    }
  }

  // One version everywhere: `tinyllm --version` says the project's (base/version.h).
  void versionIsTheProjects() {
    auto r = run_cli({"--version"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString("tinyllm %1\n").arg(tinyllm::kWorkbenchVersion));
    r = run_cli({"--version", "--json"});
    QCOMPARE(r.code, 0);
    QCOMPARE(
        r.out,
        QString("{\"name\":\"tinyllm\",\"version\":\"%1\"}\n").arg(tinyllm::kWorkbenchVersion));
    QCOMPARE(run_cli({"--version", "--verbose"}).code, 2);
  }

  // docs/cli.md is the programs' own help: a changed option or command that is not regenerated
  // into the reference fails here (run docs/make-cli-reference.sh).
  void cliReferenceIsTheHelp() {
    QTemporaryDir dir;
    const QString made = dir.path() + "/cli.md";
    QProcess p;
    p.start(QString(TINYLLM_SOURCE_DIR) + "/docs/make-cli-reference.sh",
            {QString(TINYLLM_BINARY_DIR) + "/bin", made});
    QVERIFY(p.waitForFinished(60000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const std::string expected = tinyllm::test::read_text(made.toStdString());
    QVERIFY(expected.find("## tinyllm deploy") != std::string::npos);
    QVERIFY2(tinyllm::test::read_text(fs::path(TINYLLM_SOURCE_DIR) / "docs" / "cli.md") == expected,
             "docs/cli.md differs from the programs' --help: run docs/make-cli-reference.sh");
  }

  void startingAgainMakesANewRunAndKeepsTheFirst() {
    QTemporaryDir dir;
    const QString project = dir.path() + "/p";
    copy_ready(project);
    const fs::path runs = fs::path(project.toStdString()) / "checkpoints";
    auto r = run_cli(tiny_train(project, 2));
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(fs::exists(runs / "run1/latest.json"));
    const auto first = tree_hashes(runs / "run1");
    r = run_cli(tiny_train(project, 2));
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(fs::exists(runs / "run2/latest.json"));
    QVERIFY(first == tree_hashes(runs / "run1"));
    // Naming a trained run without --resume is refused; nothing changes.
    r = run_cli(tiny_train(project, 2) << "--run"
                                       << "run1");
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("already holds trained checkpoints"), qPrintable(r.err));
    QVERIFY(first == tree_hashes(runs / "run1"));
    // --resume continues the latest run.
    r = run_cli(tiny_train(project, 4) << "--resume");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(fs::exists(runs / "run2/step-00000004"));
    QVERIFY(first == tree_hashes(runs / "run1"));
    // The step table says how the run ended.
    r = run_cli({"project", "info", project, "--json"});
    QCOMPARE(r.code, 0);
    const json steps = json::parse(r.out.toStdString())["steps"];
    QCOMPARE(QString::fromStdString(steps[1]["state"].get<std::string>()), QString("done"));
    QVERIFY(steps[1]["reason"].get<std::string>().find("run2 completed") != std::string::npos);
  }

  void copiedOrMovedProjectTrainsOnlyInItself() {
    QTemporaryDir dir;
    const QString original = dir.path() + "/original";
    copy_ready(original);
    auto r = run_cli(tiny_train(original, 2));
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QString copy = dir.path() + "/copy";
    fs::copy(original.toStdString(), copy.toStdString(), fs::copy_options::recursive);
    const auto before = tree_hashes(original.toStdString());
    r = run_cli(tiny_train(copy, 4) << "--resume");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(before == tree_hashes(original.toStdString()));  // not one byte of the original
    QVERIFY(fs::exists(fs::path(copy.toStdString()) / "checkpoints/run1/step-00000004"));
    QVERIFY(!tree_mentions(copy.toStdString(), original.toStdString()));
    // Moved: it resumes where it is now.
    const QString moved = dir.path() + "/moved";
    fs::rename(copy.toStdString(), moved.toStdString());
    r = run_cli(tiny_train(moved, 6) << "--resume");
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(fs::exists(fs::path(moved.toStdString()) / "checkpoints/run1/step-00000006"));
    QVERIFY(!fs::exists(copy.toStdString()));
    QVERIFY(before == tree_hashes(original.toStdString()));
  }

  void sampleUsesTheTokenizerItWasTrainedWith() {
    QTemporaryDir dir;
    const QString project = dir.path() + "/p";
    copy_ready(project);
    auto r = run_cli(tiny_train(project, 2));
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const QString best = project + "/checkpoints/run1/best";
    const QStringList sample = {
        "sample", "--checkpoint", best, "--prompt", "### Response:", "--temperature",
        "0",      "--tokens",     "6",  "--json"};
    auto recorded = run_cli(sample);
    QVERIFY2(recorded.code == 0, qPrintable(recorded.err));
    auto given =
        run_cli(QStringList(sample) << "--tokenizer" << project + "/tokenizer/tokenizer.model");
    QVERIFY2(given.code == 0, qPrintable(given.err));
    // The same prompt ids, so the same greedy continuation.
    auto tokens = [](const QString& out) {
      for (const auto& line : out.split('\n'))
        if (line.contains("\"sample\"")) return json::parse(line.toStdString())["tokens"];
      return json();
    };
    QVERIFY(!tokens(recorded.out).is_null());
    QCOMPARE(tokens(recorded.out), tokens(given.out));
    // For people: the sample as readable text, no replacement characters, no raw control codes.
    auto human = run_cli({"sample", "--checkpoint", best, "--tokens", "80", "--seed", "3"});
    QVERIFY2(human.code == 0, qPrintable(human.err));
    const QString shown = human.out.mid(human.out.indexOf("sample @"));
    QVERIFY2(!shown.isEmpty() && !shown.contains(QChar(0xFFFD)), qPrintable(human.out));
    for (const QChar c : shown)
      QVERIFY2(c == '\n' || c.unicode() >= 0x20, qPrintable(shown));
    // A checkpoint away from its project has no recorded tokenizer: a prompt is refused.
    const QString alone = dir.path() + "/alone";
    fs::copy(best.toStdString(), alone.toStdString(), fs::copy_options::recursive);
    QStringList away = sample;
    away[2] = alone;
    r = run_cli(away);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("--tokenizer"), qPrintable(r.err));
  }

  // A damaged tokenizer.model: `project info` says the Pre-train step needs attention and marks
  // the artifact, and `sample` refuses with an error naming the file instead of printing ids.
  void damagedTokenizerIsSaidAndRefused() {
    QTemporaryDir dir;
    const QString project = dir.path() + "/p";
    copy_ready(project);
    auto r = run_cli(tiny_train(project, 2));
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const fs::path model = fs::path(project.toStdString()) / "tokenizer" / "tokenizer.model";
    const std::string good = tinyllm::test::read_text(model);
    tinyllm::test::write_text(model, good.substr(0, good.size() / 2));

    r = run_cli({"project", "info", project, "--json"});
    QCOMPARE(r.code, 0);
    const json info = json::parse(r.out.toStdString());
    QCOMPARE(info["steps"][1]["state"].get<std::string>(), std::string("needs attention"));
    QVERIFY(info["steps"][1]["reason"].get<std::string>().find("tokenizer.model") !=
            std::string::npos);
    QCOMPARE(info["steps"][2]["state"].get<std::string>(), std::string("needs an earlier step"));
    bool marked = false;
    for (const auto& a : info["artifacts"])
      marked = marked || (a["id"] == "tokenizer" && a.contains("damaged"));
    QVERIFY2(marked, qPrintable(r.out));
    r = run_cli({"project", "info", project});
    QCOMPARE(r.code, 0);
    QVERIFY2(r.out.contains("DAMAGED") && r.out.contains("needs attention"), qPrintable(r.out));

    r = run_cli({"sample", "--project", project, "--tokens", "4", "--json"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("tokenizer.model") && r.err.contains("damaged"), qPrintable(r.err));
    QVERIFY2(!r.out.contains("\"sample\""), qPrintable(r.out));
  }

  void aStepCleansWhatAKilledStepLeft() {
    QTemporaryDir dir;
    const QString project = dir.path() + "/p";
    copy_ready(project);
    const fs::path prepared = fs::path(project.toStdString()) / "data/prepared";
    const pid_t gone = ::fork();  // a pid whose process has exited
    if (gone == 0) ::_exit(0);
    ::waitpid(gone, nullptr, 0);
    const fs::path left = prepared / (".task_val.jsonl.tmp-" + std::to_string(gone) + "-77");
    const fs::path mine = prepared / "my notes.txt";
    tinyllm::test::write_text(left, "half a file");
    tinyllm::test::write_text(mine, "keep me");
    auto r = run_cli({"data", "prepare", "--project", project});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(!fs::exists(left));
    QCOMPARE(QString::fromStdString(tinyllm::test::read_text(mine)), QString("keep me"));
  }

  void badPluginIsReportedOnceAndTheOthersWork() {
    QTemporaryDir plugins;
    const fs::path folder = plugins.path().toStdString();
    tinyllm::test::write_text(folder / "aa_broken.so", "not a library");
    fs::copy_file(fs::path(TINYLLM_BINARY_DIR) / "plugins" / "example_jsonl.so",
                  folder / "example_jsonl.so");
    auto env = QProcessEnvironment::systemEnvironment();
    env.insert("TINYLLM_PLUGIN_PATH", plugins.path());
    auto r = run_cli({"plugins", "--json"}, env);
    QVERIFY2(r.code == 0, qPrintable(r.err));
    // One warning line, naming the library (dlopen's reason repeats the path).
    QCOMPARE(r.err.count("plugin not loaded"), 1);
    QVERIFY(r.err.contains("aa_broken.so"));
    QVERIFY2(r.out.contains("example-jsonl"), qPrintable(r.out));  // loaded after the bad one
    QTemporaryDir dir;
    r = run_cli({"project", "new", dir.path() + "/p"}, env);
    QCOMPARE(r.code, 0);
  }

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
    // The README's main job without a display: data, tokenizer, pre-training, a sample,
    // fine-tuning, evaluation and export.
    QTemporaryDir dir;
    const QString demo = dir.path() + "/demo";
    auto r = run_cli({"demo", demo, "--kind", "imu", "--steps", "3", "--finetune-steps", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("Classify the gesture"));
    QVERIFY(r.out.contains("== step 2: tokenizer =="));
    QVERIFY(r.out.contains("done (completed) at step 3"));
    QVERIFY(r.out.contains("== a sample from the model =="));
    QVERIFY(fs::exists(fs::path(demo.toStdString()) / "checkpoints/demo/latest.json"));
    // Step 3: fine-tuning from the pre-trained run, then the model beside the baselines.
    QVERIFY(r.out.contains("== step 3: fine-tuning =="));
    QVERIFY(r.out.contains("| from checkpoints/demo/"));
    QVERIFY(r.out.contains("majority"));
    QVERIFY(r.out.contains("knn (k=1)"));
    QVERIFY(fs::exists(fs::path(demo.toStdString()) / "reports/demo-test/report.html"));
    // Step 4: the fine-tuned model as GGUF files for the device.
    QVERIFY(r.out.contains("== step 4: export for the device (GGUF) =="));
    for (const char* file : {"exports/demo-f32.gguf", "exports/demo-q8_0.gguf"})
      QVERIFY2(fs::file_size(fs::path(demo.toStdString()) / file) > 1000, file);
    // ...and the edge runtime classifies every test window with the Q8_0 file.
    const auto test_windows =
        tinyllm::test::read_jsonl(fs::path(demo.toStdString()) / "data/prepared/task_test.jsonl");
    QVERIFY2(
        r.out.contains(QString("tinyllm-run classified %1 test windows").arg(test_windows.size())),
        qPrintable(r.out.right(600)));
    // The tokenizer's numbers for the task prompts, as machine output.
    r = run_cli({"tokenizer", "stats", "--project", demo, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(!json::parse(r.out.toStdString()).empty());
    // A second run reuses the project and continues the same training run.
    r = run_cli({"demo", demo, "--kind", "imu", "--steps", "5", "--finetune-steps", "3"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("using the demo project"));
    QVERIFY(r.out.contains("done (completed) at step 5"));
    r = run_cli({"demo", dir.path() + "/demo-rssi", "--kind", "rssi", "--steps", "2",
                 "--finetune-steps", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(r.out.contains("Which zone"));
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
