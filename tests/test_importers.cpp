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

bool has_guess(const std::vector<data::Guess>& guesses, const std::string& needle) {
  for (const auto& g : guesses)
    if (g.what.find(needle) != std::string::npos) return true;
  return false;
}

std::string finding_text(const data::Report& report, const std::string& kind) {
  for (const auto& f : report.findings())
    if (f.kind == kind) return f.where + ": " + f.message;
  return {};
}

// Accelerometer rows in g (|a| ~ 1) and gyroscope rows in rad/s, `bad_tenths` of them with a
// NaN, inf or 1e30 reading: the kind of values a flaky logger writes.
std::string imu_g_csv(int rows, int bad_tenths) {
  std::string text = "time_ms,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z,label\n";
  const char* bad[] = {"nan", "inf", "1e30", "-inf", "NaN"};
  for (int i = 0; i < rows; ++i) {
    std::string ax = std::to_string(0.01 * (i % 5)), gz = std::to_string(0.1 * (i % 3));
    std::string az = "0.98";
    if (i % 10 < bad_tenths) {
      az = bad[i % 5];
      gz = "1e30";
    }
    text += std::to_string(i * 20) + "," + ax + ",0.02," + az + ",0.01,-0.02," + gz + ",tap\n";
  }
  return text;
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
    // SOURCE.md: 10 named people; the numbered "negative" captures (1..5, ccw_1, ccw_2) are
    // recordings, not people, and have no person.
    const std::set<std::string> named = {"dengyl", "hyw",    "jiangyh", "liucx",  "lsj",
                                         "pengxl", "shiyun", "tangsy",  "xunkai", "zhangxy"};
    std::set<std::string> without_unknown = people;
    without_unknown.erase("");
    QCOMPARE(without_unknown, named);
    QVERIFY(people.count(""));
    // First segment of output_negative_1.txt sorts first: check a real first sample row.
    auto first = opened->read(0);
    TINYLLM_VERIFY_OK(first);
    QVERIFY(first->rows() > 0);
    QCOMPARE(first->values.size(), first->rows() * 3);
  }

  // The capture naming convention without the shared dataset: output_<gesture>_<person>.txt for
  // people, numbered captures (output_negative_1.txt, output_negative_ccw_2.txt) for recordings
  // that name nobody. The people counted are the named ones only (the full set: 10, not 17).
  void magicWandNumberedCapturesAreNotPeople() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    auto capture = [&](const std::string& folder, const std::string& name, int gestures) {
      std::string text = "Script started on 2019-07-30\r\n\x1b[?1049h\r\n";
      for (int g = 0; g < gestures; ++g) {
        text += "-,-,-\r\n";
        for (int i = 0; i < 40; ++i)
          text += std::to_string(100 + 7 * i) + ".0," + std::to_string(-50 + g) + ".0,980.0\r\n";
      }
      test::write_text(root / folder / name, text);
    };
    capture("wing", "output_wing_anna.txt", 3);
    capture("wing", "output_wing_bo.txt", 2);
    capture("ring", "output_ring_anna.txt", 2);
    capture("negative", "output_negative_1.txt", 1);
    capture("negative", "output_negative_2.txt", 1);
    capture("negative", "output_negative_ccw_1.txt", 2);
    capture("negative", "output_negative_bo.txt", 1);
    auto registry = test::builtin_registry();
    auto r = import(*registry, {root}, root / "w.tls");
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(QString::fromStdString(r->importer), QString("wand-capture"));
    QCOMPARE(r->stats.series, uint64_t(12));
    // Statistics file the captures that name nobody under "(none)", which is not a person.
    std::set<std::string> people;
    for (const auto& [subject, rows] : r->stats.subject_rows)
      people.insert(subject);
    QCOMPARE(people, (std::set<std::string>{"(none)", "anna", "bo"}));
    auto opened = data::SeriesStore::open(root / "w.tls");
    TINYLLM_VERIFY_OK(opened);
    for (const auto& s : opened->series()) {
      const bool numbered = s.id.rfind("negative_1", 0) == 0 || s.id.rfind("negative_2", 0) == 0 ||
                            s.id.rfind("negative_ccw", 0) == 0;
      QVERIFY2(numbered == s.subject.empty(), (s.id + " -> '" + s.subject + "'").c_str());
    }
  }

  // Two sessions of one person in two folders: the same file names, every series still its own.
  void sameFileNamesInTwoFoldersKeepTheirSeriesApart() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    for (const char* day : {"monday", "tuesday"}) {
      fs::create_directories(root / day);
      fs::copy_file(test::magic_wand_dir() / "raw" / "wing" / "output_wing_hyw.txt",
                    root / day / "output_wing_hyw.txt");
    }
    auto r = import(*registry, {root / "monday", root / "tuesday"}, root / "w.tls");
    TINYLLM_VERIFY_OK(r);
    auto opened = data::SeriesStore::open(root / "w.tls");
    TINYLLM_VERIFY_OK(opened);
    std::set<std::string> ids;
    for (const auto& s : opened->series())
      QVERIFY2(ids.insert(s.id).second, s.id.c_str());
    QCOMPARE(ids.size(), size_t(r->stats.series));
    QVERIFY(ids.count("wing_hyw_000") && ids.count("wing_hyw_000#2"));
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

  // Units from values ignore NaN, inf and impossible readings: g stays g, rad/s stays rad/s.
  void unitGuessIgnoresNonFiniteAndHugeValues() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    for (int bad_tenths : {1, 6}) {  // a few bad readings, and most rows
      const fs::path csv = root / ("g_" + std::to_string(bad_tenths) + ".csv");
      test::write_text(csv, imu_g_csv(150, bad_tenths));
      auto d = registry->detect(csv, nlohmann::json::object());
      TINYLLM_VERIFY_OK(d);
      QCOMPARE(QString::fromStdString(d->importer), QString("imu-csv"));
      const auto& ch = d->mapping["channels"];
      QCOMPARE(ch.size(), size_t(6));
      QCOMPARE(QString::fromStdString(ch[0]["unit"].get<std::string>()), QString("g"));
      QCOMPARE(QString::fromStdString(ch[3]["unit"].get<std::string>()), QString("rad/s"));
      // Both units came from values only: they are shown as guesses, with the reason.
      QVERIFY(has_guess(d->guesses, "accelerometer unit: g"));
      QVERIFY(has_guess(d->guesses, "gyroscope unit: rad/s"));
      for (const auto& g : d->guesses)
        QVERIFY2(!g.why.empty(), g.what.c_str());
    }
    // The same with readings in m/s^2: gravity must stay ~9.8, not become ~96 after si_units.
    std::string text = "t_ms,ax,ay,az\n";
    for (int i = 0; i < 100; ++i)
      text += std::to_string(i * 10) + ",0.3,-0.2," + (i % 3 == 1 ? "nan" : "9.81") + "\n";
    test::write_text(root / "ms2.csv", text);
    auto d = registry->detect(root / "ms2.csv", nlohmann::json::object());
    TINYLLM_VERIFY_OK(d);
    QCOMPARE(QString::fromStdString(d->mapping["channels"][2]["unit"].get<std::string>()),
             QString("m/s^2"));
  }

  // An axis column with text in a quarter of its rows is read, and those rows count as broken
  // (here past the 5% limit), with the place of the first one.
  void partlyTextAxisCountsAsBrokenRows() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    std::string text = "time_ms,ax,ay,az,label\n";
    for (int i = 0; i < 80; ++i)
      text += std::to_string(i * 20) + ",0.1," + (i % 4 == 2 ? "n/a" : "0.2") + ",0.98,tap\n";
    test::write_text(root / "text.csv", text);
    auto d = registry->detect(root / "text.csv", nlohmann::json::object());
    TINYLLM_VERIFY_OK(d);
    QCOMPARE(d->mapping["channels"].size(), size_t(3));  // ay is not dropped
    QCOMPARE(QString::fromStdString(d->mapping["channels"][1]["column"].get<std::string>()),
             QString("ay"));
    auto r = import(*registry, {root / "text.csv"}, root / "t.tls");
    QVERIFY(!r.ok());
    const std::string message = r.error().to_string();
    // Row i = 2 is on line 4 (the header is line 1); ay is column 3.
    QVERIFY2(message.find("20 of 80 rows are broken") != std::string::npos, message.c_str());
    QVERIFY2(message.find("text.csv:4:3") != std::string::npos, message.c_str());
    QVERIFY(!fs::exists(root / "t.tls"));
  }

  // Duplicate names: two columns claiming one axis are refused with both named; bare x,y,z twice
  // is read by position (accelerometer, then gyroscope) with columns named by number; a mapping
  // that names a duplicated column is refused instead of silently reading the first one.
  void duplicateColumnNames() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    std::string twice = "time_ms,acc_x,acc_y,acc_z,acc_x,acc_y,acc_z,label\n";
    for (int i = 0; i < 30; ++i)
      twice += std::to_string(i * 20) + ",0.1,0.2,0.98,0.5,0.6,0.7,tap\n";
    test::write_text(root / "twice.csv", twice);
    auto refused = registry->detect(root / "twice.csv", nlohmann::json::object());
    QVERIFY(!refused.ok());
    const std::string why = refused.error().to_string();
    QVERIFY2(why.find("columns 2 'acc_x' and 5 'acc_x'") != std::string::npos, why.c_str());

    std::string bare = "t,x,y,z,x,y,z,label\n";
    for (int i = 0; i < 30; ++i)
      bare += std::to_string(i * 0.02) + ",0.1,0.2,0.98,1.5,-1.5,0.25,tap\n";
    test::write_text(root / "bare.csv", bare);
    auto d = registry->detect(root / "bare.csv", nlohmann::json::object());
    TINYLLM_VERIFY_OK(d);
    const auto& ch = d->mapping["channels"];
    QCOMPARE(ch.size(), size_t(6));
    QCOMPARE(QString::fromStdString(ch[3]["name"].get<std::string>()), QString("gx"));
    QCOMPARE(QString::fromStdString(ch[3]["column"].get<std::string>()), QString("5"));
    QVERIFY(has_guess(d->guesses, "accelerometer, then gyroscope"));
    auto r = import(*registry, {root / "bare.csv"}, root / "bare.tls");
    TINYLLM_VERIFY_OK(r);
    auto store = data::SeriesStore::open(root / "bare.tls");
    TINYLLM_VERIFY_OK(store);
    auto s = store->read(0);
    TINYLLM_VERIFY_OK(s);
    QCOMPARE(s->values[0], 0.1f);   // ax from column 2
    QCOMPARE(s->values[3], 1.5f);   // gx from column 5, not a copy of ax
    QCOMPARE(s->values[4], -1.5f);  // gy from column 6

    nlohmann::json by_name = {{"channels",
                               {{{"column", "x"}, {"name", "ax"}, {"unit", "g"}},
                                {{"column", "x"}, {"name", "gx"}, {"unit", "rad/s"}}}}};
    auto ambiguous = import(*registry, {root / "bare.csv"}, root / "amb.tls", by_name);
    QVERIFY(!ambiguous.ok());
    const std::string amb = ambiguous.error().to_string();
    QVERIFY2(amb.find("2 columns are named 'x' (columns 2 and 5)") != std::string::npos,
             amb.c_str());
  }

  // A capture whose file name does not say the gesture imports with a warning, and the rate the
  // importer assumed is shown as a guess.
  void captureWithoutLabelInName() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    std::string text = "-,-,-\r\n";
    for (int i = 0; i < 40; ++i)
      text += std::to_string(i) + ",-20,980\r\n";
    test::write_text(root / "capture_01.txt", text);
    auto d = registry->detect(root / "capture_01.txt", nlohmann::json::object());
    TINYLLM_VERIFY_OK(d);
    QCOMPARE(QString::fromStdString(d->importer), QString("wand-capture"));
    QVERIFY(has_guess(d->guesses, "sample rate: 25 Hz"));
    bool warned = false;
    for (const auto& n : d->notes)
      warned |= n.find("does not say the gesture") != std::string::npos;
    QVERIFY(warned);
    auto r = import(*registry, {root / "capture_01.txt"}, root / "c.tls");
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(r->report.count("no_label"), uint64_t(1));
    QVERIFY2(finding_text(r->report, "no_label").find("capture_01.txt") == 0,
             finding_text(r->report, "no_label").c_str());
    QVERIFY(has_guess(r->guesses, "sample rate: 25 Hz"));
    // With the label given there is nothing to warn about.
    auto labelled = import(*registry, {root / "capture_01.txt"}, root / "d.tls",
                           {{"label", {{"value", "wing"}}}});
    TINYLLM_VERIFY_OK(labelled);
    QCOMPARE(labelled->report.count("no_label"), uint64_t(0));
    QCOMPARE(labelled->classes, std::vector<std::string>{"wing"});
  }

  // One recording per file, a session column, no person column: one unknown person (said in a
  // warning), not one person per file.
  void noPersonColumnIsOneUnknownPerson() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    for (int f = 0; f < 6; ++f) {
      std::string text = "timestamp_ms,accX,accY,accZ,activity,session\n";
      for (int i = 0; i < 60; ++i)
        text += std::to_string(i * 20) + ",0.1,0.2,9.8," + (f % 2 ? "walk" : "sit") + ",s" +
                std::to_string(f) + "\n";
      test::write_text(root / "rec" / ("rec_" + std::to_string(f) + ".csv"), text);
    }
    auto d = registry->detect(root / "rec" / "rec_0.csv", nlohmann::json::object());
    TINYLLM_VERIFY_OK(d);
    QVERIFY(d->mapping["subject"].is_null());
    QVERIFY(has_guess(d->guesses, "one unknown person"));
    auto r = import(*registry, {root / "rec"}, root / "rec.tls");
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(r->stats.series, uint64_t(6));
    QCOMPARE(r->stats.subject_rows.size(), size_t(1));  // one (unknown) person, not six
    QCOMPARE(r->report.count("no_person"), uint64_t(1));
    QVERIFY2(finding_text(r->report, "no_person").find("session") != std::string::npos,
             finding_text(r->report, "no_person").c_str());
    auto store = data::SeriesStore::open(root / "rec.tls");
    TINYLLM_VERIFY_OK(store);
    QCOMPARE(QString::fromStdString(store->series()[3].session), QString("s3"));
  }

  // The person named by the file name holds for the whole file: its series is named after the
  // file alone ("rec_p1", not "rec_p1_p1"); a person column that changes within a file still
  // gives each person's rows their own series, named after the file and the person.
  void seriesNamesSayEachPersonOnce() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    for (const char* person : {"p1", "p2"}) {
      std::string text = "timestamp_ms,accX,accY,accZ,activity\n";
      for (int i = 0; i < 60; ++i)
        text += std::to_string(i * 20) + ",0.1,0.2,9.8," + (i < 30 ? "sit" : "walk") + "\n";
      test::write_text(root / "named" / ("rec_" + std::string(person) + ".csv"), text);
    }
    auto named = import(*registry, {root / "named"}, root / "named.tls",
                        {{"subject", {{"from_filename", "rec_(p[0-9]+)"}}}});
    TINYLLM_VERIFY_OK(named);
    auto store = data::SeriesStore::open(root / "named.tls");
    TINYLLM_VERIFY_OK(store);
    std::set<std::pair<std::string, std::string>> ids;
    for (const auto& s : store->series())
      ids.insert({s.id, s.subject});
    QVERIFY(
        (ids == std::set<std::pair<std::string, std::string>>{{"rec_p1", "p1"}, {"rec_p2", "p2"}}));

    std::string text = "timestamp_ms,accX,accY,accZ,activity,person\n";
    for (int i = 0; i < 60; ++i)
      text += std::to_string(i * 20) + ",0.1,0.2,9.8,sit," + (i < 30 ? "ann" : "bob") + "\n";
    test::write_text(root / "mixed" / "lab.csv", text);
    auto mixed = import(*registry, {root / "mixed" / "lab.csv"}, root / "mixed.tls");
    TINYLLM_VERIFY_OK(mixed);
    auto mixed_store = data::SeriesStore::open(root / "mixed.tls");
    TINYLLM_VERIFY_OK(mixed_store);
    ids.clear();
    for (const auto& s : mixed_store->series())
      ids.insert({s.id, s.subject});
    QVERIFY((ids == std::set<std::pair<std::string, std::string>>{{"lab_ann", "ann"},
                                                                  {"lab_bob", "bob"}}));
  }

  // Beacon tables in other people's conventions: numeric beacon ids as column names, letter +
  // digits with a semicolon delimiter, "not heard" as 100, -110 or an empty cell.
  void rssiBeaconColumnsFoundByValues() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    const std::vector<std::string> zones = {"kitchen", "hall", "office", "lab"};
    auto rssi = [](int beacon, int row, int zone) {
      return -45 - 8 * std::abs(beacon - 2 * zone) - (row % 5);
    };
    // 1) "1001".."1008", a person column, not heard = 100.
    std::string text = "1001,1002,1003,1004,1005,1006,1007,1008,user,zone\n";
    for (int row = 0; row < 120; ++row) {
      const int zone = row % 4;
      for (int b = 0; b < 8; ++b) {
        const int v = rssi(b, row, zone);
        text += (v < -95 ? std::string("100") : std::to_string(v)) + ",";
      }
      text += "p" + std::to_string(row / 40) + "," + zones[size_t(zone)] + "\n";
    }
    test::write_text(root / "numeric.csv", text);
    auto d = registry->detect(root / "numeric.csv", nlohmann::json::object());
    TINYLLM_VERIFY_OK(d);
    QCOMPARE(QString::fromStdString(d->importer), QString("rssi-csv"));
    QCOMPARE(d->mapping["channels"].size(), size_t(8));
    QCOMPARE(d->mapping["not_heard"].get<double>(), 100.0);
    QVERIFY(has_guess(d->guesses, "access points: 8 columns (1001 .. 1008)"));
    auto r = import(*registry, {root / "numeric.csv"}, root / "n.tls");
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(r->stats.rows, uint64_t(120));
    QCOMPARE(r->classes.size(), size_t(4));
    // The per-class table: 3 people's series each hold every zone, 30 fingerprints per zone.
    QCOMPARE(r->stats.series, uint64_t(3));
    for (const auto& z : zones) {
      QCOMPARE(r->stats.class_series.at(z), uint64_t(3));
      QCOMPARE(r->stats.class_rows.at(z), uint64_t(30));
    }

    // 2) "b12".."b17" with semicolons, -110 for not heard, no person, a numeric room id.
    std::string semi = "ts;b12;b13;b14;b15;b16;b17;room\n";
    for (int row = 0; row < 60; ++row) {
      semi += std::to_string(1000 + row);
      for (int b = 0; b < 6; ++b) {
        const int v = rssi(b, row, row % 3);
        semi += ";" + (v < -95 ? std::string(b % 2 ? "" : "-110") : std::to_string(v));
      }
      semi += ";" + std::to_string(row % 3 + 1) + "\n";
    }
    test::write_text(root / "semi.csv", semi);
    auto ds = registry->detect(root / "semi.csv", nlohmann::json::object());
    TINYLLM_VERIFY_OK(ds);
    QCOMPARE(QString::fromStdString(ds->importer), QString("rssi-csv"));
    QCOMPARE(ds->mapping["channels"].size(), size_t(6));
    QCOMPARE(QString::fromStdString(ds->mapping["channels"][0]["column"].get<std::string>()),
             QString("b12"));
    auto rs = import(*registry, {root / "semi.csv"}, root / "s.tls");
    TINYLLM_VERIFY_OK(rs);
    QCOMPARE(rs->classes.size(), size_t(3));
    for (const auto& [cls, n] : rs->stats.class_rows) {
      QCOMPARE(n, uint64_t(20));
      QCOMPARE(rs->stats.class_series.at(cls), uint64_t(1));
    }
    QCOMPARE(rs->report.count("no_person"), uint64_t(1));

    // 3) Names and values that detection cannot read: a forced importer with a full mapping
    //    is obeyed, never refused for "fewer than 3 access-point columns".
    std::string odd = "kitchen_tag,door_tag,hall_tag,where\n";
    for (int row = 0; row < 30; ++row)
      odd += "-" + std::to_string(50 + row % 7) + ",5,-" + std::to_string(60 + row % 3) + "," +
             (row % 2 ? "in" : "out") + "\n";
    test::write_text(root / "odd.csv", odd);
    nlohmann::json mapping = {{"channels",
                               {{{"column", "kitchen_tag"}, {"unit", "dBm"}},
                                {{"column", "door_tag"}, {"unit", "dBm"}},
                                {{"column", "hall_tag"}, {"unit", "dBm"}}}},
                              {"not_heard", 5},
                              {"label", {{"columns", {"where"}}}}};
    auto forced = import(*registry, {root / "odd.csv"}, root / "o.tls", mapping, "rssi-csv");
    TINYLLM_VERIFY_OK(forced);
    QCOMPARE(QString::fromStdString(forced->importer), QString("rssi-csv"));
    QCOMPARE(forced->schema.channels.size(), size_t(3));
    QCOMPARE(forced->stats.rows, uint64_t(30));
    QCOMPARE(forced->stats.channels[1].count, uint64_t(0));  // door_tag: 5 = never heard
    QCOMPARE(forced->stats.class_rows.at("in"), uint64_t(15));
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
