// The static edge runtimes that the normal build makes (cmake/Runtimes.cmake): aarch64 under
// qemu-aarch64 and armhf under qemu-arm answer exactly as the x86_64 one does, on the same tiny
// GGUF (seeded weights, the demo project's tokenizer and task): `info`, `classify` on a few
// prompts, `eval` with its per-example predictions, greedy `generate`. Every field is compared
// except the timing ones (kExcludedFields). All run the portable scalar kernels with two threads;
// then the aarch64 runtime's NEON kernels, on an emulated CPU with the dot-product extension
// (qemu's `max`) and on one without (`cortex-a72`, a Raspberry Pi 4), pass `tinyllm-run kernels`
// and answer exactly as x86_64's scalar kernels do (they give the reference's floats; x86_64's
// AVX2 set sums in another order and is checked in test_infer).
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "gguf/export.h"
#include "gguf/keys.h"
#include "model/names.h"
#include "test_verify.h"
#include "text/tokenizer.h"

using namespace tinyllm;
namespace fs = std::filesystem;

namespace {

// Fields that measure time and nothing else: they differ from run to run on one machine too.
const QStringList kExcludedFields = {"load_ms", "latency_ms", "mean_latency_ms", "prompt_ms",
                                     "generate_ms"};

struct Run {
  int code = -1;
  QString out, err;
};

Run run(const QString& program, const QStringList& args, int timeout_ms = 600000) {
  QProcess p;
  p.start(program, args);
  if (!p.waitForFinished(timeout_ms)) p.kill(), p.waitForFinished();
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
          QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

QString runtime_path(const QString& arch) {
  return QString(TINYLLM_BINARY_DIR) + "/runtimes/" + arch + "/tinyllm-run";
}

// How a runtime of `arch` starts on this (x86_64) machine: qemu-user for the ARM ones.
QString emulator_of(const QString& arch) {
  if (arch == "aarch64") return "qemu-aarch64";
  if (arch == "armhf") return "qemu-arm";
  return {};
}

// `cpu`: the CPU model qemu emulates (`-cpu`), "" for its default.
Run run_runtime(const QString& arch, const QStringList& args, const QString& cpu = {}) {
  const QString emulator = emulator_of(arch);
  if (emulator.isEmpty()) return run(runtime_path(arch), args);
  const QStringList cpu_args = cpu.isEmpty() ? QStringList{} : QStringList{"-cpu", cpu};
  return run(emulator, cpu_args + QStringList{runtime_path(arch)} + args);
}

// One JSON object per line, the timing fields removed, written back in a canonical form.
// `also`: more fields to leave out (the kernel set's name, when two sets are compared).
QString without_timing(const QString& json_lines, const QStringList& also = {}) {
  QStringList out;
  for (const QString& line : json_lines.split('\n', Qt::SkipEmptyParts)) {
    QJsonParseError error{};
    QJsonObject object = QJsonDocument::fromJson(line.toUtf8(), &error).object();
    if (error.error != QJsonParseError::NoError) return "not JSON: " + line;
    for (const QString& field : kExcludedFields + also)
      object.remove(field);
    out << QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
  }
  return out.join('\n');
}

std::vector<float> seeded_values(size_t count, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(count);
  for (auto& x : v)
    x = normal(rng);
  return v;
}

}  // namespace

class TestRuntimes : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path project_;
  QString examples_;                   // a few task examples (JSON Lines)
  QStringList prompts_;                // their prompts
  std::map<QString, QString> models_;  // "f32", "q8_0" -> GGUF path

  // A runtime that the build did not make (its cross compiler is missing) is skipped.
  static bool built(const QString& arch) { return QFile::exists(runtime_path(arch)); }

 private slots:
  void initTestCase() {
    const fs::path root(dir_.path().toStdString());
    project_ = root / "demo";
    const QString p = QString::fromStdString(project_.string());
    const QString cli = QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm";
    for (const QStringList& args : {QStringList{"project", "new", p, "--demo", "imu"},
                                    QStringList{"data", "prepare", "--project", p},
                                    QStringList{"tokenizer", "train", "--project", p, "--quiet"}}) {
      const auto r = run(cli, args);
      QVERIFY2(r.code == 0, qPrintable(args.join(' ') + ": " + r.err));
    }
    auto tokenizer_bytes = read_file(project_ / "tokenizer" / "tokenizer.model");
    TINYLLM_VERIFY_OK(tokenizer_bytes);
    auto tokenizer = text::Tokenizer::from_bytes(*tokenizer_bytes, "tokenizer.model");
    TINYLLM_VERIFY_OK(tokenizer);
    auto prepared_text = read_file(project_ / "data" / "prepared" / "prepared.json");
    TINYLLM_VERIFY_OK(prepared_text);
    const auto prepared = nlohmann::json::parse(*prepared_text);

    // Six test examples whose prompts fit the model's context.
    model::ModelConfig config;
    config.n_layer = 2;
    config.n_head = 2;
    config.n_embd = 64;
    config.n_ff = 128;
    config.n_ctx = 512;
    config.n_vocab = tokenizer->vocab_size();
    std::ifstream lines(project_ / "data" / "prepared" / "task_test.jsonl");
    std::string examples;
    for (std::string line; std::getline(lines, line) && prompts_.size() < 6;) {
      const auto example = nlohmann::json::parse(line);
      const std::string prompt = example["prompt"].get<std::string>();
      if (tokenizer->encode(prompt).size() + 8 > size_t(config.n_ctx)) continue;
      prompts_ << QString::fromStdString(prompt);
      examples += line + "\n";
    }
    QVERIFY2(prompts_.size() >= 3, "the demo project has too few short test examples");
    examples_ = QString::fromStdString((root / "examples.jsonl").string());
    TINYLLM_VERIFY_OK(write_file_atomic(examples_.toStdString(), examples));

    std::map<std::string, std::vector<float>> weights;
    uint32_t seed = 11;
    for (const auto& spec : model::gpt2_tensors(config))
      weights[spec.name] = seeded_values(size_t(spec.numel()), seed++, 0.2f);
    const gguf::TensorSource source = [&](const std::string& name) -> Result<std::vector<float>> {
      return weights.at(name);
    };
    sensortext::Schema schema;
    for (const auto& name : prepared["channels"])
      schema.channels.push_back({name.get<std::string>(), "m/s^2"});
    schema.sample_rate_hz = 50;
    for (const auto type : {gguf::TensorType::f32, gguf::TensorType::q8_0}) {
      gguf::Writer w;
      TINYLLM_VERIFY_OK(gguf::add_gpt2_model(w, config, source, type));
      TINYLLM_VERIFY_OK(
          gguf::add_vocabulary(w, *tokenizer_bytes, "tokenizer.model", config.n_vocab));
      TINYLLM_VERIFY_OK(gguf::add_task_metadata(w, prepared, schema));
      const QString name = QString(gguf::to_string(type)).toLower();
      const fs::path path = root / ("tiny-" + name.toStdString() + ".gguf");
      TINYLLM_VERIFY_OK(w.write(path));
      models_[name] = QString::fromStdString(path.string());
    }
  }

  // `--version` names the version from project(VERSION) and the arch the binary was built for.
  void versionNamesTheArch_data() {
    QTest::addColumn<QString>("arch");
    for (const char* arch : {"x86_64", "aarch64", "armhf"})
      QTest::newRow(arch) << QString(arch);
  }
  void versionNamesTheArch() {
    QFETCH(QString, arch);
    if (!built(arch)) QSKIP(qPrintable("no " + arch + " runtime was built (see configure's note)"));
    auto r = run_runtime(arch, {"--version"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString("tinyllm-run %1 %2\n").arg(TINYLLM_PROJECT_VERSION, arch));
    r = run_runtime(arch, {"--version", "--json"});
    QCOMPARE(r.code, 0);
    QCOMPARE(r.out, QString("{\"name\":\"tinyllm-run\",\"version\":\"%1\",\"arch\":\"%2\"}\n")
                        .arg(TINYLLM_PROJECT_VERSION, arch));
  }

  // The x86_64 runtime is static (it runs on any x86_64 Linux, like the ARM ones on the Pi).
  void runtimesAreStatic_data() { versionNamesTheArch_data(); }
  void runtimesAreStatic() {
    QFETCH(QString, arch);
    if (!built(arch)) QSKIP(qPrintable("no " + arch + " runtime was built (see configure's note)"));
    QFile f(runtime_path(arch));
    QVERIFY(f.open(QIODevice::ReadOnly));
    const QByteArray elf = f.read(1 << 20);
    QVERIFY(
        elf.startsWith("\x7f"
                       "ELF"));
    // A dynamically linked executable names its loader (PT_INTERP) near the start.
    QVERIFY2(!elf.contains("/lib/ld-linux") && !elf.contains("/lib64/ld-linux"),
             qPrintable(arch + " runtime asks for a dynamic loader"));
  }

  void outputsMatchNative_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<QString>("type");
    for (const char* arch : {"aarch64", "armhf"})
      for (const char* type : {"f32", "q8_0"})
        QTest::newRow(qPrintable(QString("%1 %2").arg(arch, type)))
            << QString(arch) << QString(type);
  }
  void outputsMatchNative() {
    QFETCH(QString, arch);
    QFETCH(QString, type);
    if (!built("x86_64")) QSKIP("no x86_64 runtime was built (see configure's note)");
    if (!built(arch)) QSKIP(qPrintable("no " + arch + " runtime was built (see configure's note)"));
    const QString model = models_[type];
    const QStringList common = {"--model", model,       "--json", "--kernels",
                                "scalar",  "--threads", "2"};
    QList<QStringList> commands = {QStringList{"info"} + common};
    for (const QString& prompt : prompts_)
      commands << QStringList{"classify", "--prompt", prompt} + common;
    commands << QStringList{"generate", "--prompt", prompts_.first(), "--max-tokens", "24"} +
                    common;
    for (const QStringList& args : commands) {
      const auto native = run_runtime("x86_64", args);
      const auto other = run_runtime(arch, args);
      QVERIFY2(native.code == 0, qPrintable(args.first() + " (x86_64): " + native.err));
      QVERIFY2(other.code == 0, qPrintable(args.first() + " (" + arch + "): " + other.err));
      QCOMPARE(without_timing(other.out), without_timing(native.out));
    }
    // eval: the summary and every example's prediction and scores.
    QString predictions[2];
    QString summaries[2];
    const QString archs[2] = {"x86_64", arch};
    for (int i = 0; i < 2; ++i) {
      const QString file = dir_.path() + "/predictions-" + archs[i] + ".jsonl";
      const auto r = run_runtime(
          archs[i], QStringList{"eval", "--file", examples_, "--predictions", file} + common);
      QVERIFY2(r.code == 0, qPrintable("eval (" + archs[i] + "): " + r.err));
      summaries[i] = without_timing(r.out);
      QFile f(file);
      QVERIFY(f.open(QIODevice::ReadOnly));
      predictions[i] = without_timing(QString::fromUtf8(f.readAll()));
    }
    QCOMPARE(summaries[1], summaries[0]);
    QCOMPARE(predictions[1], predictions[0]);
    QCOMPARE(predictions[0].count('\n') + 1, prompts_.size());
  }

  // `tinyllm-run kernels` lists the sets each runtime has on its CPU, picks the fastest, and
  // every set passes the check against the scalar reference. The aarch64 runtime is one binary
  // for both ARM CPUs: SDOT only where the CPU reports the dot-product extension.
  void kernelsModeChecksEverySet_data() {
    QTest::addColumn<QString>("arch");
    QTest::addColumn<QString>("cpu");
    QTest::addColumn<QStringList>("sets");  // empty: whatever this x86-64 CPU has
    QTest::newRow("x86_64") << "x86_64"
                            << "" << QStringList{};
    QTest::newRow("aarch64 max (dot product)")
        << "aarch64"
        << "max" << QStringList{"scalar", "neon", "neon-dotprod"};
    QTest::newRow("aarch64 cortex-a72 (Pi 4, no dot product)")
        << "aarch64"
        << "cortex-a72" << QStringList{"scalar", "neon"};
    QTest::newRow("armhf") << "armhf"
                           << "" << QStringList{"scalar"};
  }
  void kernelsModeChecksEverySet() {
    QFETCH(QString, arch);
    QFETCH(QString, cpu);
    QFETCH(QStringList, sets);
    if (!built(arch)) QSKIP(qPrintable("no " + arch + " runtime was built (see configure's note)"));
    const auto r = run_runtime(arch, {"kernels", "--json"}, cpu);
    QVERIFY2(r.code == 0, qPrintable(r.out + r.err));
    const QJsonObject report = QJsonDocument::fromJson(r.out.toUtf8()).object();
    QCOMPARE(report["arch"].toString(), arch);
    QCOMPARE(report["passed"].toBool(), true);
    QStringList names;
    for (const auto& set : report["sets"].toArray()) {
      const QJsonObject o = set.toObject();
      names << o["name"].toString();
      QVERIFY2(o["passed"].toBool(), qPrintable(o["mismatch"].toString()));
      QVERIFY(o["values"].toInt() > 10000);
      if (arch != "x86_64") QVERIFY(o["reference_bits"].toBool());
    }
    if (sets.isEmpty()) {
      QCOMPARE(names.first(), QString("scalar"));
      QVERIFY2(names.size() > 1, "an x86-64 CPU without AVX2 runs only the scalar kernels");
    } else {
      QCOMPARE(names, sets);
    }
    QCOMPARE(report["auto"].toString(), names.last());
  }

  // The aarch64 runtime's own kernels (NEON, with and without SDOT) answer exactly as x86_64's
  // scalar ones: info (but for the set's name), classify, greedy generate and eval.
  void neonAnswersAsScalar_data() {
    QTest::addColumn<QString>("cpu");
    QTest::addColumn<QString>("kernels");
    QTest::addColumn<QString>("type");
    for (const char* type : {"f32", "q8_0"}) {
      QTest::newRow(qPrintable(QString("max %1").arg(type))) << "max"
                                                             << "neon-dotprod" << QString(type);
      QTest::newRow(qPrintable(QString("cortex-a72 %1").arg(type))) << "cortex-a72"
                                                                    << "neon" << QString(type);
    }
  }
  void neonAnswersAsScalar() {
    QFETCH(QString, cpu);
    QFETCH(QString, kernels);
    QFETCH(QString, type);
    if (!built("x86_64")) QSKIP("no x86_64 runtime was built (see configure's note)");
    if (!built("aarch64")) QSKIP("no aarch64 runtime was built (see configure's note)");
    const QStringList common = {"--model", models_[type], "--json", "--threads", "2"};
    const QStringList scalar = QStringList{"--kernels", "scalar"};
    const auto info = run_runtime("aarch64", QStringList{"info"} + common, cpu);
    QVERIFY2(info.code == 0, qPrintable(info.err));
    QCOMPARE(QJsonDocument::fromJson(info.out.toUtf8()).object()["kernels"].toString(), kernels);
    QList<QStringList> commands = {QStringList{"info"}};
    for (const QString& prompt : prompts_)
      commands << QStringList{"classify", "--prompt", prompt};
    commands << QStringList{"generate", "--prompt", prompts_.first(), "--max-tokens", "24"};
    commands << QStringList{"eval", "--file", examples_};
    for (const QStringList& args : commands) {
      const auto native = run_runtime("x86_64", args + common + scalar);
      const auto neon = run_runtime("aarch64", args + common, cpu);
      QVERIFY2(native.code == 0, qPrintable(args.first() + " (x86_64): " + native.err));
      QVERIFY2(neon.code == 0, qPrintable(args.first() + " (aarch64): " + neon.err));
      QCOMPARE(without_timing(neon.out, {"kernels"}), without_timing(native.out, {"kernels"}));
    }
  }

  // A GGUF over 2 GiB cannot be held by a 32-bit runtime: armhf says so instead of wrapping or
  // dying in the allocator. The file is sparse (no disk space used).
  void bigFileRefusedByThe32BitRuntime() {
    if (!built("armhf")) QSKIP("no armhf runtime was built (see configure's note)");
    const fs::path big = fs::path(dir_.path().toStdString()) / "big.gguf";
    { std::ofstream(big) << "GGUF"; }
    fs::resize_file(big, (uint64_t(5) << 29) + 7);  // 2.5 GiB
    const auto r = run_runtime("armhf", {"info", "--model", QString::fromStdString(big.string())});
    fs::remove(big);
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("big.gguf") && r.err.contains("32-bit runtime loads at most"),
             qPrintable(r.err));
  }

  // A KV cache larger than a 32-bit address space (64 layers x 65536 positions x 1024 wide: 32
  // GiB) is refused from the header alone instead of wrapping to a small allocation. A 64-bit
  // runtime gets past that check and stops at the missing tensors.
  void hugeKvCacheRefusedByThe32BitRuntime() {
    if (!built("armhf")) QSKIP("no armhf runtime was built (see configure's note)");
    namespace keys = gguf::keys;
    gguf::Writer w;
    w.set_string(keys::kArchitecture, keys::kArchGpt2);
    w.set_u32(keys::kContextLength, 65536);
    w.set_u32(keys::kEmbeddingLength, 1024);
    w.set_u32(keys::kFeedForwardLength, 4096);
    w.set_u32(keys::kBlockCount, 64);
    w.set_u32(keys::kHeadCount, 16);
    w.set_f32(keys::kLayerNormEpsilon, 1e-5f);
    const fs::path path = fs::path(dir_.path().toStdString()) / "huge-context.gguf";
    TINYLLM_VERIFY_OK(w.write(path));
    const QString model = QString::fromStdString(path.string());
    const auto r = run_runtime("armhf", {"info", "--model", model});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("huge-context.gguf") &&
                 r.err.contains("the KV cache would take 34359738368 bytes"),
             qPrintable(r.err));
    if (!built("aarch64")) return;
    const auto wide = run_runtime("aarch64", {"info", "--model", model});
    QCOMPARE(wide.code, 1);
    QVERIFY2(wide.err.contains("token_embd.weight"), qPrintable(wide.err));
  }
};

QTEST_GUILESS_MAIN(TestRuntimes)
#include "test_runtimes.moc"
