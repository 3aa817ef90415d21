// Bad input: each case gives a clear message that says what and where, and leaves the project as
// it was (no store, no manifest change).
#include <QtTest>

#include <filesystem>
#include <thread>

#include "base/files.h"
#include "pipeline/data_step.h"
#include "test_support.h"

using namespace tinyllm;
namespace fs = std::filesystem;

class TestBadInput : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  fs::path root_;
  std::unique_ptr<data::PluginRegistry> registry_;
  std::string manifest_before_;

  fs::path file(const std::string& name) {
    return fs::path(dir_.path().toStdString()) / "in" / name;
  }

  // Imports and expects failure whose text contains every needle; checks the project is unchanged.
  void expect_failure(data::ImportRequest request, std::vector<std::string> needles) {
    auto project = project::open_project(root_);
    QVERIFY(project.ok());
    auto r = pipeline::import_source(*project, *registry_, request);
    QVERIFY2(!r.ok(), "the import should have failed");
    const std::string text = r.error().to_string();
    for (const auto& n : needles)
      QVERIFY2(text.find(n) != std::string::npos, (text + "  [missing: " + n + "]").c_str());
    QCOMPARE(QString::fromStdString(test::read_text(root_ / "project.json")),
             QString::fromStdString(manifest_before_));
    int stores = 0;
    for (const auto& e : fs::directory_iterator(root_ / "data" / "imported"))
      stores += e.exists();
    QCOMPARE(stores, 0);
  }
  data::ImportRequest request(const fs::path& p) {
    data::ImportRequest r;
    r.inputs = {p};
    return r;
  }
  std::string imu_rows(int n, int start = 0) {
    std::string text;
    for (int i = start; i < start + n; ++i)
      text += std::to_string(i * 20) + "," + std::to_string(0.1 * (i % 7)) + ",0.2,9.8,wave\n";
    return text;
  }

 private slots:
  void init() {
    QVERIFY(dir_.isValid());
    root_ = fs::path(dir_.path().toStdString()) / ("proj" + std::to_string(std::rand()));
    QVERIFY(project::create_project(root_, "P", "").ok());
    registry_ = test::builtin_registry();
    manifest_before_ = test::read_text(root_ / "project.json");
  }

  void emptyFile() {
    test::write_text(file("empty.csv"), "");
    expect_failure(request(file("empty.csv")), {"empty.csv", "empty"});
  }

  void headerOnly() {
    test::write_text(file("header.csv"), "time_ms,ax,ay,az,label\n");
    expect_failure(request(file("header.csv")), {"header.csv", "header", "no data rows"});
  }

  void wrongDelimiterForced() {
    std::string text = "time_ms;ax;ay;az;label\n";
    for (int i = 0; i < 20; ++i)
      text += std::to_string(i * 20) + ";0.1;0.2;9.8;wave\n";
    test::write_text(file("semi.csv"), text);
    auto r = request(file("semi.csv"));
    r.overrides = {{"delimiter", ","}};
    expect_failure(r, {"semi.csv", "comma", "semicolon"});
    // Auto-detection reads the same file.
    auto project = project::open_project(root_);
    auto ok = pipeline::import_source(*project, *registry_, request(file("semi.csv")));
    TINYLLM_VERIFY_OK(ok);
    QCOMPARE(ok->details.stats.rows, uint64_t(20));
  }

  void nonNumericCellInRow10000() {
    std::string text = "time_ms,ax,ay,az,label\n" + imu_rows(9999);
    text += "199980,0.1,abc,9.8,wave\n";  // data row 10,000 is line 10,001
    text += imu_rows(100, 10000);
    test::write_text(file("cell.csv"), text);
    // Strict: stops with the exact place.
    auto strict = request(file("cell.csv"));
    strict.options.on_bad_row = data::BadRowPolicy::fail;
    expect_failure(strict, {"cell.csv:10001:3", "'abc' is not a number", "ay"});
    // Default: the row is skipped and reported with the same place.
    auto project = project::open_project(root_);
    auto ok = pipeline::import_source(*project, *registry_, request(file("cell.csv")));
    TINYLLM_VERIFY_OK(ok);
    QCOMPARE(ok->details.stats.rows, uint64_t(10099));
    QCOMPARE(ok->details.report.count("bad_row"), uint64_t(1));
    QCOMPARE(QString::fromStdString(ok->details.report.findings().front().where),
             QString("cell.csv:10001:3"));
  }

  // "The first is at": the first broken row's own line and column, past a BOM, blank lines and a
  // quoted field that holds a line break (read as one row), and not a later finding's place.
  void firstBrokenRowLineIsExact() {
    std::string text = "\xEF\xBB\xBFtime_ms,ax,ay,az,label,note\n";  // line 1
    text += "0,0.1,0.2,9.8,wave,plain\n";                            // line 2
    text += "\n";                                                    // line 3
    text += "20,0.1,0.2,9.8,wave,\"two\n";                           // line 4
    text += "lines\"\n";                                             // line 5
    text += "40,0.1,,9.8,wave,missing ay\n";                         // line 6: NaN, filled
    text += "60,0.1,abc,9.8,wave,broken\n";                          // line 7: first broken
    for (int i = 4; i < 40; ++i)
      text += std::to_string(i * 20) + ",0.1," + (i % 3 ? "0.2" : "x") + ",9.8,wave,\n";
    text += "\n\n";
    test::write_text(file("lines.csv"), text);
    expect_failure(request(file("lines.csv")),
                   {"rows are broken", "the first is at lines.csv:7:3"});
    auto strict = request(file("lines.csv"));
    strict.options.on_bad_row = data::BadRowPolicy::fail;
    expect_failure(strict, {"lines.csv:7:3", "'abc' is not a number"});
    // Without a header: the first line is data, so a broken third line is line 3.
    std::string bare = "0.1,0.2,9.8\n\n0.1,xx,9.8\n";
    for (int i = 0; i < 20; ++i)
      bare += i % 10 ? "0.1,0.2,9.8\n" : "0.1,0.2,?\n";
    test::write_text(file("bare.csv"), bare);
    auto headerless = request(file("bare.csv"));
    headerless.overrides = {{"sample_rate_hz", 50}};
    expect_failure(headerless, {"rows are broken", "the first is at bare.csv:3:2"});
    // The quoted line break is one row: with the broken rows fixed, the file imports whole.
    std::string fixed = text;
    for (size_t pos; (pos = fixed.find(",x,")) != std::string::npos;)
      fixed.replace(pos, 3, ",0.2,");
    fixed.replace(fixed.find(",abc,"), 5, ",0.2,");
    test::write_text(file("fixed.csv"), fixed);
    auto project = project::open_project(root_);
    auto ok = pipeline::import_source(*project, *registry_, request(file("fixed.csv")));
    TINYLLM_VERIFY_OK(ok);
    QCOMPARE(ok->details.stats.rows, uint64_t(2 + 2 + 36));
    QCOMPARE(ok->details.report.count("bad_row"), uint64_t(0));
  }

  void labelColumnAllEmpty() {
    std::string text = "time_ms,ax,ay,az,label\n";
    for (int i = 0; i < 30; ++i)
      text += std::to_string(i * 20) + ",0.1,0.2,9.8,\n";
    test::write_text(file("nolabel.csv"), text);
    expect_failure(request(file("nolabel.csv")),
                   {"nolabel.csv", "label", "column 5", "empty in all 30 rows"});
  }

  void mixedTimestampUnits() {
    std::string text = "time,ax,ay,az,label\n";
    for (int i = 0; i < 50; ++i)
      text += std::to_string(i * 0.02) + ",0.1,0.2,9.8,wave\n";  // seconds
    for (int i = 50; i < 100; ++i)
      text += std::to_string(i * 20) + ",0.1,0.2,9.8,wave\n";  // then ms
    test::write_text(file("mixed.csv"), text);
    expect_failure(request(file("mixed.csv")), {"mixed.csv:52", "mixes time units"});
  }

  void unknownEncodingAndBom() {
    // UTF-16 with a BOM: refused with the reason.
    std::string utf16 = "\xFF\xFE";
    for (char c : std::string("time_ms,ax\n0,1\n")) {
      utf16 += c;
      utf16 += '\0';
    }
    test::write_text(file("utf16.csv"), utf16);
    expect_failure(request(file("utf16.csv")), {"utf16.csv", "UTF-16"});
    // Latin-1 bytes: not UTF-8, the place is given.
    test::write_text(file("latin1.csv"),
                     "time_ms,ax,ay,az,label\n0,1,2,3,caf\xE9\n20,1,2,3,caf\xE9\n");
    expect_failure(request(file("latin1.csv")), {"latin1.csv:2:", "not valid UTF-8", "0xE9"});
    // A UTF-8 BOM is fine.
    test::write_text(file("bom.csv"), "\xEF\xBB\xBFtime_ms,ax,ay,az,label\n" + imu_rows(20));
    auto project = project::open_project(root_);
    auto ok = pipeline::import_source(*project, *registry_, request(file("bom.csv")));
    TINYLLM_VERIFY_OK(ok);
    QCOMPARE(QString::fromStdString(ok->details.mapping["time"]["column"].get<std::string>()),
             QString("time_ms"));
  }

  void fileVanishesMidImport() {
    std::string text = "time_ms,ax,ay,az,label\n" + imu_rows(400000);  // ~8 MB, read in chunks
    const fs::path path = file("vanish.csv");
    test::write_text(path, text);
    auto r = request(path);
    bool cut = false;
    r.options.progress = [&](uint64_t done, uint64_t) {
      if (done > 0 && !cut) {
        fs::resize_file(path, 1000);  // the USB stick is pulled: the file shrinks under us
        cut = true;
      }
      return true;
    };
    expect_failure(r, {"vanish.csv", "changed while it was being read"});
    // Deleted while read.
    test::write_text(path, text);
    cut = false;
    r.options.progress = [&](uint64_t done, uint64_t) {
      if (done > 0 && !cut) {
        fs::remove(path);
        cut = true;
      }
      return true;
    };
    expect_failure(r, {"vanish.csv", "vanished"});
  }

  void unreadableMapping() {
    test::write_text(file("ok.csv"), "time_ms,ax,ay,az,label\n" + imu_rows(20));
    auto r = request(file("ok.csv"));
    r.overrides = {{"channels", {{{"column", "nope"}, {"name", "ax"}, {"unit", "m/s^2"}}}}};
    expect_failure(r, {"ok.csv", "column 'nope' is not in the file", "time_ms, ax"});
  }
};

QTEST_APPLESS_MAIN(TestBadInput)
#include "test_bad_input.moc"
