// tinyllm_data: cleaning, resampling, windows, splits, serialization, and the whole prepare step
// on the magic-wand and UJIIndoorLoc recordings.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "data/clean.h"
#include "data/serialize.h"
#include "data/split.h"
#include "data/store.h"
#include "data/window.h"
#include "pipeline/data_step.h"
#include "test_support.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

data::Series make_series(std::vector<double> times, std::vector<float> values, size_t channels) {
  data::Series s;
  s.id = "s";
  s.origin = "f.csv:2-99";
  s.time_s = std::move(times);
  s.values = std::move(values);
  const size_t rows = s.values.size() / channels;
  s.labels.assign(rows, 0);
  for (size_t r = 0; r < rows; ++r)
    s.lines.push_back(r + 2);
  return s;
}

using test::read_jsonl;

data::Schema imu_schema(size_t channels) {
  data::Schema s;
  for (size_t c = 0; c < channels; ++c)
    s.channels.push_back({"a" + std::to_string(c), "m/s^2"});
  return s;
}

}  // namespace

class TestData : public QObject {
  Q_OBJECT
 private slots:
  void cleaningSortsDedupsFillsAndCuts() {
    // t: 0, 0.02, 0.01 (out of order), 0.02 (duplicate), 0.03, NaN value at 0.04, gap to 1.0.
    auto s = make_series({0, 0.02, 0.01, 0.02, 0.03, 0.04, 0.05, 1.0, 1.01, 1.02},
                         {0, 2, 1, 99, 3, NAN, 5, 10, 11, 12}, 1);
    data::Report report;
    auto parts = data::clean_series(s, imu_schema(1), {}, report);
    QCOMPARE(report.count("out_of_order"), uint64_t(1));
    QCOMPARE(report.count("duplicate_time"), uint64_t(1));
    QCOMPARE(report.count("nan"), uint64_t(1));
    QCOMPARE(report.count("gap"), uint64_t(1));
    QCOMPARE(parts.size(), size_t(2));
    const auto& a = parts[0];
    QCOMPARE(a.rows(), size_t(6));
    QCOMPARE(a.values,
             (std::vector<float>{0, 1, 2, 3, 4, 5}));  // sorted, duplicate dropped, NaN filled
    QCOMPARE(a.lines[1], uint64_t(4));                 // the out-of-order row came from line 4
    QCOMPARE(parts[1].rows(), size_t(3));
    // The gap report points at the line after the pause.
    bool found = false;
    for (const auto& f : report.findings())
      if (f.kind == "gap") found = f.where == "f.csv:9";
    QVERIFY(found);
  }

  void resampleInterpolatesLinearly() {
    auto s = make_series({0, 0.1, 0.2, 0.3}, {0, 10, 20, 30}, 1);
    auto r = data::resample(s, 1, 0, 0, 20);
    QCOMPARE(r.rows(), size_t(7));
    QCOMPARE(r.values[1], 5.0f);
    QCOMPARE(r.values[6], 30.0f);
    // Without a time axis the source rate is used.
    data::Series even = s;
    even.time_s.clear();
    auto r2 = data::resample(even, 1, 0, 10, 5);
    QCOMPARE(r2.rows(), size_t(2));
    QCOMPARE(r2.values[1], 20.0f);
  }

  void windowsFollowLabelPolicy() {
    std::vector<int32_t> labels = {0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2};
    auto seg = data::make_windows(labels, 4, 2, 2, data::LabelPolicy::segments);
    // Run of 6 -> windows at 0,2; run of 3 -> one short window; run of 11 -> 9,11,13,15.
    QCOMPARE(seg.size(), size_t(7));
    QCOMPARE(seg[2].start, size_t(6));
    QCOMPARE(seg[2].rows, size_t(3));
    QCOMPARE(seg[2].label, 1);
    for (const auto& w : seg)
      for (size_t r = w.start; r < w.start + w.rows; ++r)
        QCOMPARE(labels[r], w.label);
    auto maj = data::make_windows(labels, 4, 4, 4, data::LabelPolicy::majority);
    QCOMPARE(maj.size(), size_t(5));
    QCOMPARE(maj[1].label, 0);  // rows 4..7: 0,0,1,1 -> tie goes to the smaller id
    auto center = data::make_windows(labels, 4, 4, 4, data::LabelPolicy::center);
    QCOMPARE(center[1].label, 1);  // row 6
  }

  void splitsKeepGroupsWholeAndStratify() {
    std::vector<data::GroupInfo> groups;
    for (int g = 0; g < 20; ++g)
      groups.push_back(
          {"p" + std::to_string(g), {{0, 50}, {1, 30 + uint64_t(g)}}, 80 + uint64_t(g)});
    data::SplitSettings st;
    auto a = data::assign_splits(groups, st);
    auto b = data::assign_splits(groups, st);
    QCOMPARE(a, b);  // deterministic
    int counts[3] = {0, 0, 0};
    for (auto s : a)
      ++counts[int(s)];
    QVERIFY(counts[0] >= 14 && counts[0] <= 18);
    QVERIFY(counts[1] >= 1 && counts[2] >= 1);
    st.seed = 99;
    auto c = data::assign_splits(groups, st);
    QCOMPARE(c.size(), a.size());
  }

  void numbersAreShortAndStable() {
    std::string out;
    data::append_number(out, -0.04, 1);
    out += ' ';
    data::append_number(out, 981.4, 0);
    out += ' ';
    data::append_number(out, 9.80665, 2);
    QCOMPARE(QString::fromStdString(out), QString("0.0 981 9.81"));
  }

  // A split that leaves a class out of validation or test, or that has the same input on both
  // sides, says so in prepared.json "warnings".
  void splitWarningsOnGeneratedData() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    // Six people do "a"; only p0 also does "b": two of the three splits cannot have a "b".
    test::write_text(root / "in" / "imu.csv", test::imu_csv_with_a_class_of_one_person());
    auto project = project::create_project(root / "imu", "I", "gesture");
    TINYLLM_VERIFY_OK(project);
    data::ImportRequest request;
    request.inputs = {root / "in" / "imu.csv"};
    TINYLLM_VERIFY_OK(pipeline::import_source(*project, *registry, request));
    data::PrepareSettings settings;
    settings.window_s = 1.0;
    settings.stride_s = 0.5;
    auto r = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(r);
    const json& sum = r->summary;
    QCOMPARE(QString::fromStdString(sum["split_by"].get<std::string>()), QString("subject"));
    int lacking = 0;
    for (const char* split : {"train", "val", "test"})
      lacking += sum["splits"][split]["per_class"].value("b", 0) == 0;
    QCOMPARE(lacking, 2);
    std::string all;
    for (const auto& w : sum["warnings"])
      all += w.get<std::string>() + "\n";
    QCOMPARE(sum["warnings"].size(), size_t(2));
    QVERIFY2(all.find("no examples of 1 of 2 classes (b)") != std::string::npos, all.c_str());
    // The warnings are in prepared.json, where the CLI and the Splits tab read them.
    const json saved =
        json::parse(test::read_text(root / "imu" / "data" / "prepared" / "prepared.json"));
    QCOMPARE(saved["warnings"], sum["warnings"]);

    // Fingerprints recorded twice, split row by row: identical inputs on both sides.
    std::string rssi = "WAP001,WAP002,WAP003,WAP004,zone\n";
    for (int i = 0; i < 200; ++i) {
      const int z = i % 4;
      rssi += std::to_string(-40 - 10 * z) + "," + std::to_string(-80 + 5 * z) + ",100," +
              std::to_string(-60 - (i / 4) % 2) + ",z" + std::to_string(z) + "\n";
    }
    test::write_text(root / "in" / "rssi.csv", rssi);
    auto rproject = project::create_project(root / "rssi", "R", "localization");
    TINYLLM_VERIFY_OK(rproject);
    request.inputs = {root / "in" / "rssi.csv"};
    TINYLLM_VERIFY_OK(pipeline::import_source(*rproject, *registry, request));
    data::PrepareSettings zones;
    zones.task = "zone";
    auto rr = pipeline::prepare_data(*rproject, *registry, zones);
    TINYLLM_VERIFY_OK(rr);
    QCOMPARE(QString::fromStdString(rr->summary["split_by"].get<std::string>()), QString("row"));
    all.clear();
    for (const auto& w : rr->summary["warnings"])
      all += w.get<std::string>() + "\n";
    QVERIFY2(all.find("validation examples") != std::string::npos &&
                 all.find("exactly the same input as a training example") != std::string::npos,
             all.c_str());
    // The fallback from people to rows is a warning too: there is no person column.
    QVERIFY2(all.find("split by fingerprint (row)") != std::string::npos, all.c_str());
  }

  // UJIIndoorLoc grouped by user: whole users go to validation and test, so buildings are
  // missing there. Every missing class is warned about, with the split named.
  void splitWarningsOnUjiUsers() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = fs::path(dir.path().toStdString()) / "uji";
    auto project = project::create_project(root, "UJI", "localization");
    TINYLLM_VERIFY_OK(project);
    data::ImportRequest request;
    request.inputs = {test::uji_dir() / "trainingData_every3rd.csv"};
    TINYLLM_VERIFY_OK(pipeline::import_source(*project, *registry, request));
    data::PrepareSettings settings;
    settings.task = "zone";
    auto r = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(r);
    const json& sum = r->summary;
    QCOMPARE(QString::fromStdString(sum["split_by"].get<std::string>()), QString("subject"));
    std::string all;
    for (const auto& w : sum["warnings"])
      all += w.get<std::string>() + "\n";
    size_t splits_missing = 0;
    const std::map<std::string, std::string> names = {{"val", "validation"}, {"test", "test"}};
    for (const auto& [split, name] : names) {
      size_t missing = 0;
      for (const auto& c : sum["classes"])
        missing += sum["splits"][split]["per_class"].value(c.get<std::string>(), 0) == 0;
      if (missing == 0) continue;
      ++splits_missing;
      const std::string expected =
          "the " + name + " split has no examples of " + std::to_string(missing) + " of 13 classes";
      QVERIFY2(all.find(expected) != std::string::npos, (expected + " in:\n" + all).c_str());
    }
    QVERIFY2(splits_missing > 0, "the shared UJI subset no longer shows the problem");
  }

  // No person column, one recording per file with a session: split by session, and say so.
  void noPersonSplitsBySession() {
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    for (int f = 0; f < 8; ++f) {
      std::string text = "time_ms,ax,ay,az,gesture,session\n";
      for (int i = 0; i < 150; ++i)
        text += std::to_string(i * 20) + "," + std::to_string(0.01 * (i % 13)) + ",0.2,9.8," +
                (f % 2 ? "wave" : "tap") + ",day" + std::to_string(f / 2) + "\n";
      test::write_text(root / "in" / ("rec" + std::to_string(f) + ".csv"), text);
    }
    auto project = project::create_project(root / "p", "P", "gesture");
    TINYLLM_VERIFY_OK(project);
    data::ImportRequest request;
    request.inputs = {root / "in"};
    auto imported = pipeline::import_source(*project, *registry, request);
    TINYLLM_VERIFY_OK(imported);
    QCOMPARE(imported->details.stats.subject_rows.size(), size_t(1));
    QCOMPARE(imported->details.report.count("no_person"), uint64_t(1));
    data::PrepareSettings settings;
    settings.window_s = 1.0;
    auto r = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(r);
    const json& sum = r->summary;
    QCOMPARE(QString::fromStdString(sum["split_by"].get<std::string>()), QString("session"));
    const std::string note = sum["split_note"].get<std::string>();
    QVERIFY2(note.find("names no person") != std::string::npos, note.c_str());
    QCOMPARE(QString::fromStdString(sum["warnings"][0].get<std::string>()),
             QString::fromStdString(note));
    // Both recordings of a day (session) land in one split.
    std::map<std::string, std::string> split_of_day;
    for (const auto& [group, split] : sum["group_splits"].items()) {
      QVERIFY2(group.rfind("session:", 0) == 0, group.c_str());
      split_of_day[group] = split.get<std::string>();
    }
    QCOMPARE(split_of_day.size(), size_t(4));
  }

  void prepareMagicWandEndToEnd() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = fs::path(dir.path().toStdString()) / "wand";
    auto project = project::create_project(root, "Wand", "gesture");
    TINYLLM_VERIFY_OK(project);
    data::ImportRequest request;
    request.inputs = {test::magic_wand_dir() / "raw"};
    TINYLLM_VERIFY_OK(pipeline::import_source(*project, *registry, request));
    data::PrepareSettings settings;  // defaults: 2.56 s windows at the source's 25 Hz
    auto r = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(r);
    const json& sum = r->summary;
    QCOMPARE(sum["classes"].get<std::vector<std::string>>(),
             (std::vector<std::string>{"negative", "ring", "slope", "wing"}));
    QCOMPARE(QString::fromStdString(sum["split_by"].get<std::string>()), QString("subject"));
    QCOMPARE(sum["window_rows"].get<int>(), 64);
    // No person in two splits, and every split has every gesture.
    std::map<std::string, std::set<std::string>> person_splits;
    for (const char* split : {"train", "val", "test"}) {
      for (const auto& p : sum["splits"][split]["subjects"])
        person_splits[p.get<std::string>()].insert(split);
      for (const char* cls : {"ring", "slope", "wing"})
        QVERIFY2(sum["splits"][split]["per_class"].value(cls, 0) > 0,
                 (std::string(split) + " lacks " + cls).c_str());
    }
    QVERIFY(person_splits.size() >= 10);
    for (const auto& [person, splits] : person_splits)
      QVERIFY2(splits.size() == 1, person.c_str());
    // Files match the summary; test windows never reach the pre-training corpus.
    const fs::path out = root / "data" / "prepared";
    auto train = read_jsonl(out / "task_train.jsonl");
    auto test_examples = read_jsonl(out / "task_test.jsonl");
    QCOMPARE(train.size(), sum["splits"]["train"]["examples"].get<size_t>());
    std::set<std::string> test_people;
    for (const auto& e : test_examples)
      test_people.insert(e["subject"].get<std::string>());
    test_people.erase("");  // recordings without a person are kept apart by recording instead
    for (const auto& d : read_jsonl(out / "pretrain_train.jsonl"))
      QVERIFY(!test_people.count(d["subject"].get<std::string>()));
    // The first training example, in the paper's template, the readings as levels (default):
    // a three-letter word per time step (ax, ay, az), a..y.
    const std::string first = r->first_task_example;
    const std::string head =
        "### Instruction:\nClassify the gesture from the accelerometer (ax, ay, az as levels a-y) "
        "sampled at 25 Hz. Answer with one of: negative, ring, slope, wing.\n### Input:\n";
    QVERIFY2(first.rfind(head, 0) == 0, first.c_str());
    const std::string input =
        first.substr(head.size(), first.find("\n", head.size()) - head.size());
    QCOMPARE(int(input.size()), int(train[0]["rows"].get<size_t>()) * 4 - 1);
    for (size_t i = 0; i < input.size(); ++i)
      QVERIFY(i % 4 == 3 ? input[i] == ' ' : (input[i] >= 'a' && input[i] <= 'y'));
    QVERIFY(sum["levels"]["count"].get<int>() == 25);
    QVERIFY(first.find("\n### Response:\n") != std::string::npos);
    QVERIFY(first.size() > 14 && first.substr(first.size() - 8) == "\n### End");
    QCOMPARE(QString::fromStdString(train[0]["prompt"].get<std::string>() +
                                    train[0]["response"].get<std::string>()),
             QString::fromStdString(first));
    // Lineage recorded, not stale; a rerun gives identical files (deterministic).
    auto reopened = project::open_project(root);
    TINYLLM_VERIFY_OK(reopened);
    const auto* artifact = reopened->find_artifact("prepared");
    QVERIFY(artifact && !reopened->is_stale(*artifact));
    const std::string sha = artifact->sha256;
    TINYLLM_VERIFY_OK(pipeline::prepare_data(*reopened, *registry, settings));
    QCOMPARE(QString::fromStdString(reopened->find_artifact("prepared")->sha256),
             QString::fromStdString(sha));
  }

  // A damaged series store (data/imported/*.tls) is a clear error naming the file and the byte
  // offset, never an exception, a crash or a huge allocation: a real store cut at many offsets and
  // with bytes flipped at many (seeded) offsets. A flip inside a series' float values still reads.
  void damagedStoreIsAClearError() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = fs::path(dir.path().toStdString()) / "wand";
    auto project = project::create_project(root, "Wand", "gesture");
    TINYLLM_VERIFY_OK(project);
    data::ImportRequest request;
    request.inputs = {test::magic_wand_dir() / "raw"};
    TINYLLM_VERIFY_OK(pipeline::import_source(*project, *registry, request));
    const fs::path store_path = project->path(project->sources.front().store);
    const std::string good = test::read_text(store_path);
    auto store = data::SeriesStore::open(store_path);
    TINYLLM_VERIFY_OK(store);
    // Where each series' float values lie: a flip there must still read.
    std::vector<std::pair<uint64_t, uint64_t>> float_ranges;
    for (const auto& info : store->series()) {
      const uint64_t begin = info.offset + 16 + (info.has_time ? 8 * info.rows : 0);
      float_ranges.push_back({begin, begin + 4 * info.rows * store->schema().channels.size()});
    }
    const fs::path damaged_path = root / "damaged.tls";
    // Opens and reads every series: ok, or an error at "<path> @0x...".
    auto check = [&](const std::string& bytes, const std::string& what) -> bool {
      test::write_text(damaged_path, bytes);
      try {
        auto opened = data::SeriesStore::open(damaged_path);
        if (!opened) {
          const bool named = opened.error().where.find(damaged_path.string()) == 0;
          if (!named) qWarning("%s: %s", what.c_str(), opened.error().to_string().c_str());
          return named && opened.error().to_string().find("@0x") != std::string::npos;
        }
        for (size_t i = 0; i < opened->series().size(); ++i) {
          auto s = opened->read(i);
          if (!s && (s.error().where.find(damaged_path.string() + " @0x") != 0)) {
            qWarning("%s: %s", what.c_str(), s.error().to_string().c_str());
            return false;
          }
        }
        return true;
      } catch (const std::exception& e) {
        qWarning("%s: exception %s", what.c_str(), e.what());
        return false;
      }
    };
    std::mt19937_64 rng(20261201);
    std::vector<uint64_t> cuts = {
        0, 1, 7, 8, 15, 16, 17, 100, good.size() - 1, good.size() - 24, good.size() - 25};
    for (int i = 0; i < 150; ++i)
      cuts.push_back(rng() % good.size());
    for (uint64_t cut : cuts) {
      QVERIFY2(check(good.substr(0, cut), "cut at " + std::to_string(cut)),
               qPrintable(QString("cut at %1").arg(cut)));
      auto cut_open = data::SeriesStore::open(damaged_path);
      QVERIFY2(!cut_open.ok(), qPrintable(QString("cut at %1 opened").arg(cut)));
    }
    int float_flips = 0;
    for (int i = 0; i < 400; ++i) {
      // Half the flips in the last 10% (index and trailer), where damage is structural.
      const uint64_t at = i % 2 ? rng() % good.size()
                                : good.size() - 1 - rng() % std::max<size_t>(1, good.size() / 10);
      std::string bytes = good;
      bytes[at] = char(uint8_t(bytes[at]) ^ uint8_t(1 + rng() % 255));
      QVERIFY2(check(bytes, "flip at " + std::to_string(at)),
               qPrintable(QString("flip at %1").arg(at)));
      for (size_t k = 0; k < float_ranges.size(); ++k)
        if (at >= float_ranges[k].first && at < float_ranges[k].second) {
          auto opened = data::SeriesStore::open(damaged_path);
          TINYLLM_VERIFY_OK(opened);
          TINYLLM_VERIFY_OK(opened->read(k));
          ++float_flips;
        }
    }
    QVERIFY(float_flips > 10);
    // Hostile sizes in the trailer: a huge index length, an index offset past the file.
    for (uint64_t value : {~uint64_t(0), uint64_t(1) << 62, uint64_t(good.size())}) {
      for (size_t field : {size_t(24), size_t(16)}) {
        std::string bytes = good;
        std::memcpy(&bytes[bytes.size() - field], &value, 8);
        QVERIFY(check(bytes, "trailer"));
        QVERIFY(!data::SeriesStore::open(damaged_path).ok());
      }
    }
    // The step the user runs: `data prepare` on a damaged store fails with the file and offset.
    std::string cut = good.substr(0, good.size() / 2);
    test::write_text(store_path, cut);
    data::PrepareSettings settings;
    auto prepared = pipeline::prepare_data(*project, *registry, settings);
    QVERIFY(!prepared.ok());
    QVERIFY2(prepared.error().where.find(store_path.string() + " @0x") == 0,
             prepared.error().to_string().c_str());
  }

  void prepareSettingsAreCheckedAgainstTheTable() {
    // Ranges and choices name the key; wrong types never show a library exception.
    auto r = data::prepare_settings_from_json({{"resample_hz", 1e7}});
    QVERIFY(!r.ok());
    QCOMPARE(QString::fromStdString(r.error().to_string()),
             QString("prepare settings: resample_hz: 10000000 is out of range [1, 1000] (or 0: "
                     "keep the source rate)"));
    r = data::prepare_settings_from_json({{"window_s", "long"}});
    QVERIFY(!r.ok());
    QVERIFY2(r.error().to_string().find("json.exception") == std::string::npos,
             r.error().to_string().c_str());
    QVERIFY(r.error().where.find("window_s") != std::string::npos);
    QVERIFY(!data::prepare_settings_from_json({{"label_policy", "mode"}}).ok());
    QVERIFY(!data::prepare_settings_from_json({{"split", {{"group_by", "person"}}}}).ok());
    // Split fractions that do not add up are an error naming them (not rescaled).
    r = data::prepare_settings_from_json(
        {{"split", {{"train", 0.9}, {"val", 0.9}, {"test", 0.1}}}});
    QVERIFY(!r.ok());
    QVERIFY2(r.error().message.find("split.train 0.9 + split.val 0.9 + split.test 0.1 = 1.9") !=
                 std::string::npos,
             r.error().to_string().c_str());
    // --set parses as the key's type; the JSON form round-trips.
    data::PrepareSettings s;
    QVERIFY(data::apply_prepare_override(s, "label_policy=majority").ok());
    QVERIFY(s.label_policy == data::LabelPolicy::majority);
    QVERIFY(data::apply_prepare_override(s, "split.seed=7").ok());
    QCOMPARE(s.split.seed, uint64_t(7));
    auto back = data::prepare_settings_from_json(data::to_json(s));
    TINYLLM_VERIFY_OK(back);
    QCOMPARE(data::to_json(*back), data::to_json(s));
    auto bad = data::apply_prepare_override(s, "decimals=9");
    QCOMPARE(QString::fromStdString(bad.error().to_string()),
             QString("--set decimals: 9 is out of range [0, 6] (or -1: chosen per unit)"));
  }

  void prepareRefusesAnAbsurdOutputBeforeWriting() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = fs::path(dir.path().toStdString()) / "wand";
    auto project = project::create_project(root, "Wand", "gesture");
    TINYLLM_VERIFY_OK(project);
    data::ImportRequest request;
    request.inputs = {test::magic_wand_dir() / "raw"};
    TINYLLM_VERIFY_OK(pipeline::import_source(*project, *registry, request));
    // Every setting in range, together absurd: 1000 Hz, 2 s windows, a new one every 1 ms.
    data::PrepareSettings settings;
    settings.resample_hz = 1000;
    settings.window_s = 2;
    settings.stride_s = 0.001;
    auto r = pipeline::prepare_data(*project, *registry, settings);
    QVERIFY(!r.ok());
    const std::string text = r.error().to_string();
    QVERIFY2(text.find("GB") != std::string::npos && text.find("windows x") != std::string::npos,
             text.c_str());
    QVERIFY(!fs::exists(root / "data" / "prepared" / "task_train.jsonl"));
    // Settings made in code get the same checks as JSON.
    settings = {};
    settings.split.train = 0.9;
    settings.split.val = 0.9;
    QVERIFY(!pipeline::prepare_data(*project, *registry, settings).ok());
  }

  void prepareUjiZonesAndPositions() {
    TINYLLM_REQUIRE_DATASETS();
    auto registry = test::builtin_registry();
    QTemporaryDir dir;
    const fs::path root = fs::path(dir.path().toStdString()) / "uji";
    auto project = project::create_project(root, "UJI", "localization");
    TINYLLM_VERIFY_OK(project);
    for (const char* f : {"trainingData_every3rd.csv", "validationData.csv"}) {
      data::ImportRequest request;
      request.inputs = {test::uji_dir() / f};
      TINYLLM_VERIFY_OK(pipeline::import_source(*project, *registry, request));
    }
    data::PrepareSettings settings;
    settings.task = "zone";
    auto r = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(r);
    const json& sum = r->summary;
    uint64_t total = 0;
    for (const char* s : {"train", "val", "test"})
      total += sum["splits"][s]["examples"].get<uint64_t>();
    QCOMPARE(total, uint64_t(6646 - 24 + 1111));  // 24 empty fingerprints dropped
    QCOMPARE(sum["classes"].size(), size_t(13));
    std::map<std::string, std::set<std::string>> user_splits;
    for (const char* split : {"train", "val", "test"})
      for (const auto& p : sum["splits"][split]["subjects"])
        user_splits[p.get<std::string>()].insert(split);
    for (const auto& [user, splits] : user_splits)
      QVERIFY2(splits.size() == 1, user.c_str());
    const std::string first = r->first_task_example;
    QVERIFY2(first.find("Which zone was this WiFi fingerprint recorded in?") != std::string::npos,
             first.c_str());
    // Levels (default): an access point's code (its column, AA..) then its level letter.
    const size_t input_at = first.find("\n### Input:\n") + 12;
    QVERIFY(input_at > 12 && first[input_at] >= 'A' && first[input_at] <= 'T');
    QVERIFY(first[input_at + 1] >= 'A' && first[input_at + 1] <= 'Z');
    QVERIFY(first[input_at + 2] >= 'a' && first[input_at + 2] <= 'y');
    QCOMPARE(first[input_at + 3], ' ');
    // UJIIndoorLoc ships its validation file apart: held out whole as the test set, the
    // training file split into train and val only.
    auto reopened = project::open_project(root);
    TINYLLM_VERIFY_OK(reopened);
    QCOMPARE(reopened->sources.size(), size_t(2));
    data::PrepareSettings held = settings;
    held.test_sources = {reopened->sources[1].id};
    held.split.train = 0.85;
    held.split.val = 0.15;
    held.split.test = 0;
    auto h = pipeline::prepare_data(*reopened, *registry, held);
    TINYLLM_VERIFY_OK(h);
    QCOMPARE(h->summary["splits"]["test"]["examples"].get<uint64_t>(), uint64_t(1111));
    QCOMPARE(h->summary["splits"]["train"]["examples"].get<uint64_t>() +
                 h->summary["splits"]["val"]["examples"].get<uint64_t>(),
             uint64_t(6646 - 24));
    held.test_sources = {"no-such-source"};
    auto bad = pipeline::prepare_data(*reopened, *registry, held);
    QVERIFY(!bad.ok());
    QVERIFY(bad.error().message.find("no source 'no-such-source'") != std::string::npos);
    // Positions relative to the training split's corner.
    settings.task = "position";
    auto pos = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(pos);
    const std::string p = pos->first_task_example;
    QVERIFY2(p.find("### Response:\nx=") != std::string::npos && p.find(" y=") != std::string::npos,
             p.c_str());
  }
};

QTEST_APPLESS_MAIN(TestData)
#include "test_data.moc"
