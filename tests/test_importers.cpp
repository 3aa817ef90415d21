// Importers on real recordings: the magic-wand captures and tidy CSV, UJIIndoorLoc, the demo
// CSVs, and the example plugin loaded as a shared library.
#include <QtTest>

#include <filesystem>
#include <set>

#include "data/demo.h"
#include "data/import.h"
#include "data/store.h"
#include "test_support.h"

using namespace tinyllm;
namespace fs = std::filesystem;

namespace {

Result<data::ImportResult> import(const data::PluginRegistry& registry,
                                  std::vector<fs::path> inputs, const fs::path& store,
                                  nlohmann::json overrides = nlohmann::json::object(),
                                  std::string importer = {}) {
  data::ImportRequest request;
  request.inputs = std::move(inputs);
  request.overrides = std::move(overrides);
  request.importer = std::move(importer);
  return data::import_to_store(registry, request, store);
}

}  // namespace

class TestImporters : public QObject {
  Q_OBJECT
 private slots:
  void magicWandRawCaptures() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path store = fs::path(dir.path().toStdString()) / "wand.tls";
    auto r = import(*registry, {test::magic_wand_dir() / "raw"}, store);
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(QString::fromStdString(r->importer), QString("wand-capture"));
    QCOMPARE(r->files.size(), size_t(38));
    // SOURCE.md: 732 segments, 65,373 x,y,z lines; wing 223, ring 218, slope 228, negative 63.
    QCOMPARE(r->stats.series, uint64_t(732));
    QCOMPARE(r->stats.rows, uint64_t(65373));
    QCOMPARE(r->stats.class_series.at("wing"), uint64_t(223));
    QCOMPARE(r->stats.class_series.at("ring"), uint64_t(218));
    QCOMPARE(r->stats.class_series.at("slope"), uint64_t(228));
    QCOMPARE(r->stats.class_series.at("negative"), uint64_t(63));
    QCOMPARE(r->schema.channels.size(), size_t(3));
    QCOMPARE(QString::fromStdString(r->schema.channels[0].unit), QString("mg"));
    QCOMPARE(r->schema.sample_rate_hz, 25.0);
    // The +-2 g sensor clips at 2040 mg: the cleaning report must say so.
    QVERIFY(r->report.count("clipping") > 0);
    QVERIFY(r->report.count("ignored_lines") > 0);  // terminal noise in the captures
    auto opened = data::SeriesStore::open(store);
    TINYLLM_VERIFY_OK(opened);
    std::set<std::string> people;
    for (const auto& s : opened->series())
      people.insert(s.subject);
    for (const char* person : {"dengyl", "hyw", "jiangyh", "liucx", "lsj", "pengxl", "shiyun",
                               "tangsy", "xunkai", "zhangxy"})
      QVERIFY2(people.count(person), person);
    // First segment of output_negative_1.txt sorts first: check a real first sample row.
    auto first = opened->read(0);
    TINYLLM_VERIFY_OK(first);
    QVERIFY(first->rows() > 0);
    QCOMPARE(first->values.size(), first->rows() * 3);
  }

  void magicWandTidyCsvMatchesCaptures() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path csv = test::magic_wand_dir() / "magic_wand_samples.csv";
    auto detection = registry->detect(csv, nlohmann::json::object());
    TINYLLM_VERIFY_OK(detection);
    QCOMPARE(QString::fromStdString(detection->importer), QString("imu-csv"));
    const auto& m = detection->mapping;
    QCOMPARE(QString::fromStdString(m["time"]["unit"].get<std::string>()), QString("index"));
    QCOMPARE(QString::fromStdString(m["channels"][0]["unit"].get<std::string>()), QString("mg"));
    QCOMPARE(QString::fromStdString(m["label"]["columns"][0].get<std::string>()),
             QString("gesture"));
    QCOMPARE(QString::fromStdString(m["subject"]["columns"][0].get<std::string>()),
             QString("person"));
    QCOMPARE(QString::fromStdString(m["series_by"][0].get<std::string>()), QString("sample_id"));
    // Without the sample rate the import explains what is missing.
    auto missing_rate = import(*registry, {csv}, fs::path(dir.path().toStdString()) / "a.tls");
    QVERIFY(!missing_rate.ok());
    QVERIFY2(missing_rate.error().message.find("sample rate") != std::string::npos,
             missing_rate.error().to_string().c_str());
    QVERIFY(!fs::exists(fs::path(dir.path().toStdString()) / "a.tls"));
    auto r = import(*registry, {csv}, fs::path(dir.path().toStdString()) / "b.tls",
                    {{"sample_rate_hz", 25}});
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(r->stats.rows, uint64_t(65373));
    QCOMPARE(r->stats.series, uint64_t(732));
    QCOMPARE(r->stats.class_series.at("wing"), uint64_t(223));
    QCOMPARE(r->stats.subject_rows.size(), size_t(17));  // 10 people + 7 other negative sources
    QVERIFY(std::abs(r->stats.sample_rate_hz - 25.0) < 1e-9);
  }

  void ujiValidationFingerprints() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    auto r = import(*registry, {test::uji_dir() / "validationData.csv"},
                    fs::path(dir.path().toStdString()) / "v.tls");
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(QString::fromStdString(r->importer), QString("rssi-csv"));
    QCOMPARE(r->schema.channels.size(), size_t(520));
    QCOMPARE(QString::fromStdString(r->schema.channels[0].name), QString("WAP001"));
    QCOMPARE(r->mapping["not_heard"].get<double>(), 100.0);
    QCOMPARE(r->schema.targets.size(), size_t(2));
    QCOMPARE(r->stats.rows, uint64_t(1111));
    // Building/floor classes as B<building>F<floor>; validation covers all 13 combinations.
    QCOMPARE(r->classes.size(), size_t(13));
    QVERIFY(r->stats.class_rows.count("B1F1"));
    // ~96.6% of the values mean "not heard".
    QVERIFY(r->stats.missing_share() > 0.95 && r->stats.missing_share() < 0.99);
    // The first row hears only WAP037 at -91 dBm.
    auto store = data::SeriesStore::open(fs::path(dir.path().toStdString()) / "v.tls");
    TINYLLM_VERIFY_OK(store);
    auto s = store->read(0);
    TINYLLM_VERIFY_OK(s);
    int heard = 0;
    for (size_t c = 0; c < 520; ++c)
      heard += !std::isnan(s->values[c]);
    QCOMPARE(heard, 1);
    QCOMPARE(s->values[36], -91.0f);
    QVERIFY(std::abs(s->targets[0] - (-7515.9168f)) < 0.01f);
  }

  void ujiTrainingSubset() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    auto r = import(*registry, {test::uji_dir() / "trainingData_every3rd.csv"},
                    fs::path(dir.path().toStdString()) / "t.tls");
    TINYLLM_VERIFY_OK(r);
    // 6,646 rows, 24 of which hear no access point at all: dropped and reported.
    QCOMPARE(r->stats.rows, uint64_t(6646 - 24));
    QCOMPARE(r->report.count("empty_fingerprint"), uint64_t(24));
    QCOMPARE(r->classes.size(), size_t(13));
    QCOMPARE(r->stats.subject_rows.size(), size_t(18));  // USERID 1..18
  }

  void demoRecordingsDetected() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    auto imu_files = data::write_demo_imu(root / "imu", {});
    TINYLLM_VERIFY_OK(imu_files);
    auto d = registry->detect(imu_files->front(), nlohmann::json::object());
    TINYLLM_VERIFY_OK(d);
    QCOMPARE(QString::fromStdString(d->importer), QString("imu-csv"));
    QCOMPARE(QString::fromStdString(d->mapping["time"]["unit"].get<std::string>()), QString("ms"));
    QCOMPARE(d->mapping["channels"].size(), size_t(6));
    QCOMPARE(QString::fromStdString(d->mapping["channels"][0]["unit"].get<std::string>()),
             QString("m/s^2"));
    QCOMPARE(QString::fromStdString(d->mapping["channels"][3]["unit"].get<std::string>()),
             QString("rad/s"));
    auto rssi_file = data::write_demo_rssi(root / "rssi", {});
    TINYLLM_VERIFY_OK(rssi_file);
    auto r = import(*registry, {*rssi_file}, root / "rssi.tls");
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(QString::fromStdString(r->importer), QString("rssi-csv"));
    QCOMPARE(r->mapping["not_heard"].get<double>(), -110.0);
    QCOMPARE(r->classes.size(), size_t(6));
    QCOMPARE(r->schema.targets.size(), size_t(2));
  }

  void exampleJsonlPluginLoads() {
    auto registry = test::builtin_registry();
    const fs::path plugin = fs::path(TINYLLM_BINARY_DIR) / "plugins" / "example_jsonl.so";
    QVERIFY2(fs::exists(plugin), plugin.c_str());
    TINYLLM_VERIFY_OK(registry->load_plugin(plugin));
    QVERIFY(registry->importer("example-jsonl") != nullptr);
    QTemporaryDir dir;
    const fs::path log = fs::path(dir.path().toStdString()) / "log.jsonl";
    std::string text;
    for (int i = 0; i < 50; ++i)
      text += "{\"t\": " + std::to_string(i * 0.02) +
              ", \"ax\": 0.1, \"ay\": 0.2, \"az\": 9.8, \"label\": \"" + (i < 25 ? "tap" : "idle") +
              "\", \"subject\": \"p1\"}\n";
    test::write_text(log, text);
    auto r = import(*registry, {log}, fs::path(dir.path().toStdString()) / "j.tls");
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(QString::fromStdString(r->importer), QString("example-jsonl"));
    QCOMPARE(r->stats.rows, uint64_t(50));
    QCOMPARE(r->classes.size(), size_t(2));
    // A library that is not a plugin is refused with a reason.
    auto bad = registry->load_plugin("/nonexistent/libnothing.so");
    QVERIFY(!bad.ok());
  }
};

QTEST_APPLESS_MAIN(TestImporters)
#include "test_importers.moc"
