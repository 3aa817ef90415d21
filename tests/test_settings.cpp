// tinyllm_settings: the typed table every group of settings goes through (training, prepare,
// tokenizer): JSON and key=value input, ranges, the echo, the JSON dump, and errors that name the
// key in the user's words (never a raw nlohmann exception).
#include <QtTest>

#include "settings/settings.h"

using namespace tinyllm;
using nlohmann::json;

namespace {

struct Example {
  double resample_hz = 0;
  int threads = 0;
  uint64_t seed = 7;
  bool fast = false;
  std::string mode = "auto";
  std::vector<std::string> files;
  double split_train = 0.8;
  std::string group_by = "subject";
};

settings::Table table_for(Example& e) {
  using settings::Range;
  settings::Table t("example setting");
  t.number("resample_hz", e.resample_hz,
           Range::between(1, 1000).or_value(0, "keep the source rate"), "resample to this rate");
  t.integer("threads", e.threads, Range::between(1, 4096).or_value(0, "all cores"), "threads");
  t.integer("seed", e.seed, Range::between(0, 18446744073709551615.0), "seed");
  t.flag("fast", e.fast, "go fast");
  t.text("mode", e.mode, {"auto", "cpu", "cuda"}, "where to run");
  t.text_list("files", e.files, "extra files");
  t.number("split.train", e.split_train, Range::between(0, 1), "train share");
  t.text("split.group_by", e.group_by, {}, "grouping");
  return t;
}

std::string text(const Status& s) {
  return s.ok() ? "" : s.error().to_string();
}

}  // namespace

class TestSettings : public QObject {
  Q_OBJECT
 private slots:
  void rangeErrorsNameTheKeyAndTheRange() {
    Example e;
    auto t = table_for(e);
    auto s = t.apply_override("resample_hz", "1e7");
    QVERIFY(!s.ok());
    QCOMPARE(QString::fromStdString(text(s)),
             QString("resample_hz: 10000000 is out of range [1, 1000] (or 0: keep the source "
                     "rate)"));
    QCOMPARE(e.resample_hz, 0.0);  // unchanged
    s = t.apply_json({{"threads", -1}}, "run.json");
    QCOMPARE(QString::fromStdString(text(s)),
             QString("run.json: threads: -1 is out of range [1, 4096] (or 0: all cores)"));
    QVERIFY(t.apply_override("resample_hz", "0").ok());  // the special value
    QVERIFY(t.apply_override("seed", "18446744073709551615").ok());
    QCOMPARE(e.seed, uint64_t(18446744073709551615ull));
    QVERIFY(!t.apply_override("seed", "-1").ok());
    QVERIFY(!t.apply_override("threads", "nan").ok());
  }

  void unknownKeysSuggestTheNearest() {
    Example e;
    auto t = table_for(e);
    auto s = t.apply_json({{"resampel_hz", 50}}, "prepare settings");
    QVERIFY(!s.ok());
    QVERIFY2(s.error().where.find("resampel_hz") != std::string::npos, text(s).c_str());
    QVERIFY2(s.error().message.find("did you mean 'resample_hz'") != std::string::npos,
             text(s).c_str());
    // Nothing close: the valid keys are listed.
    s = t.apply_override("zzzzzzzzzz", "1");
    QVERIFY(s.error().message.find("valid: resample_hz, threads") != std::string::npos);
    // Nested groups address dotted names; an unknown key inside one is named with its path.
    QVERIFY(t.apply_json({{"split", {{"train", 0.7}}}}, "x").ok());
    QCOMPARE(e.split_train, 0.7);
    s = t.apply_json({{"split", {{"trian", 0.7}}}}, "x");
    QVERIFY2(s.error().where == "x: split.trian", text(s).c_str());
    QVERIFY(s.error().message.find("split.train") != std::string::npos);
  }

  void wrongTypesAreWordedNotLibraryErrors() {
    Example e;
    auto t = table_for(e);
    for (const json& bad : {json{{"threads", "four"}}, json{{"fast", 1}}, json{{"mode", 3}},
                            json{{"files", {1, 2}}}, json{{"threads", 2.5}}, json::array()}) {
      auto s = t.apply_json(bad, "f.json");
      QVERIFY2(!s.ok(), bad.dump().c_str());
      QVERIFY2(text(s).find("json.exception") == std::string::npos, text(s).c_str());
      QVERIFY2(text(s).find("f.json") != std::string::npos, text(s).c_str());
    }
    auto s = t.apply_override("mode", "gpu");
    QCOMPARE(QString::fromStdString(text(s)),
             QString("mode: \"gpu\" is not one of auto, cpu, cuda"));
    s = t.apply_override("threads", "many");
    QCOMPARE(QString::fromStdString(text(s)), QString("threads: expected an integer, got 'many'"));
    auto parsed = settings::parse_json("{\"a\": }", "run.json");
    QVERIFY(!parsed.ok());
    QVERIFY2(parsed.error().to_string().find("json.exception") == std::string::npos,
             parsed.error().to_string().c_str());
    QVERIFY(parsed.error().message.find("line 1, column") != std::string::npos);
  }

  void overridesParseAsTheKeysTypeAndEcho() {
    Example e;
    auto t = table_for(e);
    std::string was, now;
    QVERIFY(t.apply_override("threads", "4", &was, &now).ok());
    QCOMPARE(e.threads, 4);
    QCOMPARE(QString::fromStdString(was), QString("0"));
    QCOMPARE(QString::fromStdString(now), QString("4"));
    QVERIFY(t.apply_override("mode", "cpu").ok());  // text as it is, no quotes needed
    QVERIFY(t.apply_override("split.group_by", "123").ok());
    QCOMPARE(QString::fromStdString(e.group_by), QString("123"));
    QVERIFY(t.apply_override("fast", "true").ok());
    QVERIFY(e.fast);
    QVERIFY(t.apply_override("threads", "1e3").ok());  // an integral number is an integer
    QCOMPARE(e.threads, 1000);
    QVERIFY(t.apply_assignment("files=a.txt").ok());
    QCOMPARE(e.files, std::vector<std::string>{"a.txt"});
    // A list as typed on a command line; a JSON array keeps a comma inside an item.
    QVERIFY(t.apply_assignment("files=a.txt, b.txt,c.txt").ok());
    QCOMPARE(e.files, (std::vector<std::string>{"a.txt", "b.txt", "c.txt"}));
    QVERIFY(t.apply_assignment("files=[\"a,b.txt\"]").ok());
    QCOMPARE(e.files, std::vector<std::string>{"a,b.txt"});
    QVERIFY(!t.apply_assignment("threads").ok());
  }

  void dumpNestsDottedNamesAndRoundTrips() {
    Example e;
    e.threads = 3;
    auto t = table_for(e);
    const json dumped = t.to_json();
    QCOMPARE(dumped["split"]["train"].get<double>(), 0.8);
    QCOMPARE(dumped["threads"].get<int>(), 3);
    Example back;
    auto t2 = table_for(back);
    QVERIFY(t2.apply_json(dumped, "dump").ok());
    QCOMPARE(t2.to_json(), dumped);
    // check() catches values set directly in code.
    back.threads = -5;
    QVERIFY(!t2.check().ok());
  }

  void markdownListsEveryEntry() {
    Example e;
    const std::string md = table_for(e).markdown();
    QVERIFY(md.find("| `resample_hz` | number | `0` | [1, 1000] (or 0: keep the source rate) | "
                    "resample to this rate |") != std::string::npos);
    QVERIFY(md.find("| `mode` | text | `\"auto\"` | `auto`, `cpu`, `cuda` | where to run |") !=
            std::string::npos);
  }
};

QTEST_APPLESS_MAIN(TestSettings)
#include "test_settings.moc"
