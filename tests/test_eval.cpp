// tinyllm_eval: reading task windows, metrics, baselines, folds over people, the report.
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <limits>
#include <set>

#include "base/binary.h"
#include "base/files.h"
#include "data/windows_file.h"
#include "eval/baselines.h"
#include "eval/examples.h"
#include "eval/folds.h"
#include "eval/free_answer.h"
#include "eval/metrics.h"
#include "eval/report.h"

using namespace tinyllm;
using namespace tinyllm::eval;
namespace fs = std::filesystem;
using nlohmann::json;

#define TINYLLM_VERIFY(expr)                                          \
  do {                                                                \
    const auto& r_ = (expr);                                          \
    QVERIFY2(r_.ok(), r_.ok() ? "" : r_.error().to_string().c_str()); \
  } while (0)

namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

// An example with a window of `rows` x `channels` values (time-major).
EvalExample example(const std::string& label, uint32_t rows, uint32_t channels,
                    std::vector<float> values, const std::string& subject = "") {
  EvalExample ex;
  ex.label = label;
  ex.prompt = "prompt of " + label;
  ex.response = label;
  ex.series = "s-" + label;
  ex.subject = subject;
  ex.window_rows = rows;
  ex.channels = channels;
  ex.window = std::move(values);
  return ex;
}

// A one-row fingerprint example.
EvalExample point(const std::string& label, float a, float b) {
  return example(label, 1, 2, {a, b});
}

void write_split(const fs::path& dir, const std::string& split, const std::vector<json>& lines,
                 uint32_t channels, const std::vector<std::vector<float>>& windows,
                 uint64_t count) {
  std::string text;
  for (const auto& line : lines)
    text += line.dump() + "\n";
  QVERIFY(write_file_atomic(dir / ("task_" + split + ".jsonl"), text).ok());
  if (count == windows.size()) {  // as prepare and the fold folders write it
    data::WindowsFileWriter writer(channels);
    for (const auto& window : windows)
      writer.add(window.data(), uint32_t(window.size() / channels));
    QVERIFY(writer.write(dir / ("task_" + split + ".windows.bin")).ok());
    return;
  }
  // A damaged file (a count that does not match), byte by byte.
  auto w = ByteWriter::create(dir / ("task_" + split + ".windows.bin"));
  QVERIFY(w.ok());
  w->raw("TLWINDW1");
  w->u32(channels);
  w->u64(count);
  for (const auto& window : windows) {
    w->u32(uint32_t(window.size() / channels));
    w->array(window);
  }
  QVERIFY(w->commit().ok());
}

}  // namespace

class TestEval : public QObject {
  Q_OBJECT
 private slots:
  // Both files are read in step: text fields, target, rows x channels, NaN kept as missing.
  void readTaskSplitReadsJsonlAndWindows() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const std::vector<json> lines = {{{"prompt", "ax: 1 2 3"},
                                      {"response", "ring"},
                                      {"label", "ring"},
                                      {"split", "test"},
                                      {"series", "p1/a"},
                                      {"subject", "p1"},
                                      {"start", 10},
                                      {"rows", 3}},
                                     {{"prompt", "ap: -70"},
                                      {"response", "x=1 y=2"},
                                      {"label", ""},
                                      {"split", "test"},
                                      {"series", "b"},
                                      {"subject", ""},
                                      {"start", 0},
                                      {"rows", 1},
                                      {"target", {1.5, -2}}}};
    write_split(dir, "test", lines, 2, {{1, 2, 3, 4, 5, 6}, {-70, kMissing}}, 2);
    auto read = read_task_split(dir, "test");
    TINYLLM_VERIFY(read);
    QCOMPARE(read->size(), size_t(2));
    const EvalExample& a = (*read)[0];
    QCOMPARE(a.prompt, std::string("ax: 1 2 3"));
    QCOMPARE(a.label, std::string("ring"));
    QCOMPARE(a.subject, std::string("p1"));
    QCOMPARE(a.start, int64_t(10));
    QCOMPARE(a.rows, int64_t(3));
    QVERIFY(!a.target);
    QCOMPARE(a.window_rows, 3u);
    QCOMPARE(a.channels, 2u);
    QCOMPARE(a.window, (std::vector<float>{1, 2, 3, 4, 5, 6}));
    const EvalExample& b = (*read)[1];
    QVERIFY(b.target);
    QCOMPARE(b.target->x, 1.5);
    QCOMPARE(b.target->y, -2.0);
    QCOMPARE(b.window_rows, 1u);
    QCOMPARE(b.window[0], -70.0f);
    QVERIFY(std::isnan(b.window[1]));
    QCOMPARE(labels_of(*read), std::vector<std::string>{"ring"});
  }

  // A count that differs from the jsonl, a truncated window and a bad line are errors that name
  // the file and the place.
  void readTaskSplitReportsWhereItFails() {
    QTemporaryDir tmp;
    const fs::path dir = tmp.path().toStdString();
    const std::vector<json> one = {{{"prompt", "p"}, {"label", "a"}}};
    write_split(dir, "val", one, 1, {{1.0f}}, 2);  // header claims 2 windows
    auto mismatch = read_task_split(dir, "val");
    QVERIFY(!mismatch.ok());
    QVERIFY2(mismatch.error().to_string().find("task_val.windows.bin @0xc") != std::string::npos,
             mismatch.error().to_string().c_str());
    QVERIFY(mismatch.error().message.find("task_val.jsonl has 1") != std::string::npos);

    // The window record says 4 rows but holds 1 value.
    std::string text = "TLWINDW1";
    ByteWriter w;
    w.raw(text);
    w.u32(1);
    w.u64(1);
    w.u32(4);
    w.f32(1.0f);
    QVERIFY(write_file_atomic(dir / "task_val.windows.bin", w.bytes()).ok());
    auto truncated = read_task_split(dir, "val");
    QVERIFY(!truncated.ok());
    QVERIFY2(truncated.error().to_string().find("values of window 0") != std::string::npos,
             truncated.error().to_string().c_str());
    QVERIFY(truncated.error().where.find("@0x18") != std::string::npos);

    QVERIFY(write_file_atomic(dir / "task_val.jsonl", "{\"prompt\": \"p\"}\n{oops\n").ok());
    auto bad_line = read_task_split(dir, "val");
    QVERIFY(!bad_line.ok());
    QVERIFY2(bad_line.error().where.find("task_val.jsonl:2") != std::string::npos,
             bad_line.error().to_string().c_str());
  }

  // Hand-computed: 6 examples, classes a b c d (d absent from truth and predictions).
  void classificationMetricsHandComputed() {
    const std::vector<std::string> classes = {"a", "b", "c", "d"};
    auto m = classification_metrics({0, 0, 0, 1, 1, 2}, {0, 0, 1, 1, 2, -1}, classes);
    TINYLLM_VERIFY(m);
    QCOMPARE(m->accuracy, 0.5);
    QCOMPARE(m->unparseable, int64_t(1));
    QCOMPARE(m->per_class[0].precision, 1.0);
    QCOMPARE(m->per_class[0].recall, 2.0 / 3);
    QVERIFY(std::abs(m->per_class[0].f1 - 0.8) < 1e-12);
    QCOMPARE(m->per_class[1].precision, 0.5);
    QCOMPARE(m->per_class[1].recall, 0.5);
    QCOMPARE(m->per_class[1].f1, 0.5);
    QCOMPARE(m->per_class[2].f1, 0.0);
    QCOMPARE(m->per_class[2].support, int64_t(1));
    QCOMPARE(m->per_class[3].support, int64_t(0));
    // d has neither support nor predictions: left out of the mean.
    QVERIFY(std::abs(m->macro_f1 - (0.8 + 0.5 + 0.0) / 3) < 1e-12);
    const std::vector<std::vector<int64_t>> confusion = {
        {2, 1, 0, 0}, {0, 1, 1, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
    QCOMPARE(m->confusion, confusion);
    const json j = to_json(*m);
    QCOMPARE(j["accuracy"].get<double>(), 0.5);
    QCOMPARE(j["per_class"][1]["label"].get<std::string>(), std::string("b"));
    QCOMPARE(j["confusion"][0][1].get<int>(), 1);

    QVERIFY(!classification_metrics({0, 4}, {0, 0}, classes).ok());
    QVERIFY(!classification_metrics({0}, {0, 0}, classes).ok());
  }

  // Errors 5, 1, 2, 10 m and one unparseable answer.
  void positionMetricsHandComputed() {
    const std::vector<Point> truth(5, Point{0, 0});
    const std::vector<std::optional<Point>> predicted = {Point{3, 4}, Point{0, 1}, Point{0, 2},
                                                         Point{6, 8}, std::nullopt};
    auto m = position_metrics(truth, predicted);
    TINYLLM_VERIFY(m);
    QCOMPARE(m->mean_m, 4.5);
    QCOMPARE(m->median_m, 3.5);
    QVERIFY(std::abs(m->p90_m - 8.5) < 1e-12);  // rank 0.9 * 3 = 2.7: 5 + 0.7 * 5
    QCOMPARE(m->unparseable, int64_t(1));
    const std::vector<std::pair<double, double>> cdf = {{1, 0.2}, {2, 0.4}, {5, 0.6}, {10, 0.8}};
    QCOMPARE(m->cdf, cdf);
    const json j = to_json(*m);
    QCOMPARE(j["cdf"][3][0].get<double>(), 10.0);
    QCOMPARE(j["p90_m"].get<double>(), m->p90_m);

    auto none = position_metrics({Point{}}, {std::nullopt});
    TINYLLM_VERIFY(none);
    QVERIFY(to_json(*none)["mean_m"].is_null());
  }

  // Majority takes the most frequent train class; 1-NN picks the nearest example after z-scoring
  // with train statistics (raw distance would pick another one).
  void majorityAndNearestNeighbour() {
    const std::vector<EvalExample> train = {point("a", 0, 0), point("b", 10, 1), point("c", 20, 0),
                                            point("b", 10, 1)};
    const std::vector<EvalExample> test = {point("?", 6, 0), point("?", 19, 0.1f)};
    // Raw: (6,0) is 6 from a and ~4.1 from b. z-scored (std of ch0 ~7.1, ch1 0.5) a is nearer.
    auto baselines = classification_baselines(refs_of(train), refs_of(test), {"a", "b", "c"});
    TINYLLM_VERIFY(baselines);
    QCOMPARE(baselines->size(), size_t(3));
    QCOMPARE((*baselines)[0].name, std::string("majority"));
    QCOMPARE((*baselines)[0].predicted, (std::vector<int>{1, 1}));
    QCOMPARE((*baselines)[1].name, std::string("knn"));
    QCOMPARE((*baselines)[1].k, 1);
    QCOMPARE((*baselines)[1].predicted, (std::vector<int>{0, 2}));
    QCOMPARE((*baselines)[1].scores[0], (std::vector<double>{1, 0, 0}));
    QCOMPARE((*baselines)[2].name, std::string("logistic"));

    // k = 3 votes: the neighbours of (12, 1) are b, b, then c: b wins.
    BaselineOptions three;
    three.k = 3;
    const std::vector<EvalExample> query = {point("?", 12, 1)};
    auto voted = classification_baselines(refs_of(train), refs_of(query), {"a", "b", "c"}, three);
    TINYLLM_VERIFY(voted);
    QCOMPARE((*voted)[1].predicted, std::vector<int>{1});
    QVERIFY(std::abs((*voted)[1].scores[0][1] - 2.0 / 3) < 1e-12);
  }

  // nearest(): ascending distance, equal distances keep the lower index.
  void nearestBreaksTiesByIndex() {
    const std::vector<float> rows = {5, 1, -1, 1, 0.5f};  // dim 1
    const float query = 0;
    QCOMPARE(nearest(rows, 1, &query, 3), (std::vector<size_t>{4, 1, 2}));
    QCOMPARE(nearest(rows, 1, &query, 10).size(), size_t(5));
  }

  // A missing access point becomes min(train values) - 10; windows of different lengths are
  // resampled to a fixed number of rows by linear interpolation.
  void fingerprintFloorAndSequenceResampling() {
    const std::vector<EvalExample> fingerprints = {example("a", 1, 3, {-50, -90, kMissing}),
                                                   example("b", 1, 3, {-60, kMissing, -70})};
    auto fp = WindowVectorizer::fit(refs_of(fingerprints), {});
    TINYLLM_VERIFY(fp);
    QVERIFY(fp->fingerprint());
    auto raw = fp->raw(fingerprints[0]);
    TINYLLM_VERIFY(raw);
    QCOMPARE(*raw, (std::vector<float>{-50, -90, -100}));

    BaselineOptions options;
    options.resample_rows = 5;
    const std::vector<EvalExample> sequences = {example("a", 3, 2, {0, 10, 2, 20, 4, 40}),
                                                example("b", 2, 2, {1, 1, 1, 1})};
    auto seq = WindowVectorizer::fit(refs_of(sequences), options);
    TINYLLM_VERIFY(seq);
    QVERIFY(!seq->fingerprint());
    QCOMPARE(seq->size(), size_t(10));
    auto resampled = seq->raw(sequences[0]);
    TINYLLM_VERIFY(resampled);
    QCOMPARE(*resampled, (std::vector<float>{0, 10, 1, 15, 2, 20, 3, 30, 4, 40}));
    // Features: the resampled window, then per channel mean, std, min, max, energy.
    auto features = seq->features(sequences[0]);
    TINYLLM_VERIFY(features);
    QCOMPARE(features->size(), size_t(10 + 2 * 5));
    QCOMPARE((*features)[10], 2.0f);                                  // mean of 0 2 4
    QVERIFY(std::abs((*features)[11] - std::sqrt(8.0f / 3)) < 1e-5);  // population std
    QCOMPARE((*features)[12], 0.0f);
    QCOMPARE((*features)[13], 4.0f);
    QVERIFY(std::abs((*features)[14] - 20.0f / 3) < 1e-5);  // mean square
    // A window with another channel count is refused with the example's name.
    auto wrong = seq->raw(example("c", 2, 3, {1, 2, 3, 4, 5, 6}));
    QVERIFY(!wrong.ok());
    QVERIFY(wrong.error().where.find("s-c@0") != std::string::npos);
  }

  // Two linearly separable clusters of IMU-like windows of varying length: logistic regression
  // classifies every held-out window correctly, and gives the same answer twice.
  void logisticRegressionSeparatesClusters() {
    std::vector<EvalExample> train, test;
    for (int i = 0; i < 40; ++i) {
      const float sign = i % 2 ? 1.0f : -1.0f;
      const uint32_t rows = 3 + uint32_t(i % 4);
      std::vector<float> values;
      for (uint32_t r = 0; r < rows; ++r) {
        values.push_back(sign * 2 + 0.3f * std::sin(float(i * 7 + r)));
        values.push_back(0.5f * std::cos(float(i * 3 + r)));  // noise channel
      }
      (i < 30 ? train : test).push_back(example(sign > 0 ? "up" : "down", rows, 2, values));
    }
    auto run = [&] {
      return classification_baselines(refs_of(train), refs_of(test), {"down", "up"});
    };
    auto first = run();
    TINYLLM_VERIFY(first);
    const BaselinePredictions& logistic = (*first)[2];
    QCOMPARE(logistic.name, std::string("logistic"));
    std::vector<int> truth;
    for (const auto& ex : test)
      truth.push_back(ex.label == "up" ? 1 : 0);
    QCOMPARE(logistic.predicted, truth);
    QCOMPARE(logistic.scores[0].size(), size_t(2));
    QVERIFY(std::abs(std::exp(logistic.scores[0][0]) + std::exp(logistic.scores[0][1]) - 1) < 1e-9);
    auto second = run();
    TINYLLM_VERIFY(second);
    QCOMPARE((*second)[2].scores, logistic.scores);
  }

  // Position: the mean train position, and the mean of the k nearest neighbours' targets.
  void positionBaselinesHandComputed() {
    std::vector<EvalExample> train = {point("", 0, 0), point("", 1, 0), point("", 10, 10)};
    train[0].target = Point{0, 0};
    train[1].target = Point{2, 0};
    train[2].target = Point{10, 4};
    const std::vector<EvalExample> test = {point("", 0.4f, 0)};
    BaselineOptions two;
    two.k = 2;
    auto b = position_baselines(refs_of(train), refs_of(test), two);
    TINYLLM_VERIFY(b);
    QCOMPARE((*b)[0].name, std::string("majority"));
    QCOMPARE((*b)[0].positions[0]->x, 4.0);
    QCOMPARE((*b)[0].positions[0]->y, 4.0 / 3);
    QCOMPARE((*b)[1].name, std::string("knn"));
    QCOMPARE((*b)[1].positions[0]->x, 1.0);
    QCOMPARE((*b)[1].positions[0]->y, 0.0);

    train[1].target.reset();
    QVERIFY(!position_baselines(refs_of(train), refs_of(test), two).ok());
    // A train label outside the answer set is an error, not a silent class.
    QVERIFY(!classification_baselines(refs_of(train), refs_of(test), {"a"}).ok());
  }

  // Every example is in exactly one test fold, no subject is on both sides of a fold, and the
  // folds are balanced by example count.
  void subjectFoldsKeepPeopleApart() {
    std::vector<std::string> subjects;
    const std::vector<std::pair<std::string, int>> counts = {{"ann", 6}, {"bob", 5}, {"cy", 4},
                                                             {"dee", 3}, {"eve", 2}, {"fay", 1}};
    for (const auto& [name, n] : counts)
      for (int i = 0; i < n; ++i)
        subjects.push_back(name);
    auto folds = subject_folds(subjects, 3);
    TINYLLM_VERIFY(folds);
    QCOMPARE(folds->size(), size_t(3));
    std::vector<int> test_count(subjects.size(), 0);
    for (const Fold& f : *folds) {
      std::set<std::string> train_people, test_people;
      for (size_t i : f.train)
        train_people.insert(subjects[i]);
      for (size_t i : f.test) {
        test_people.insert(subjects[i]);
        ++test_count[i];
      }
      for (const auto& s : test_people)
        QVERIFY2(!train_people.count(s), s.c_str());
      QCOMPARE(f.train.size() + f.test.size(), subjects.size());
      QCOMPARE(f.test.size(), size_t(7));  // 21 examples: 6+1, 5+2, 4+3
    }
    for (int c : test_count)
      QCOMPARE(c, 1);
    QCOMPARE((*folds)[0].test_subjects, (std::vector<std::string>{"ann", "fay"}));
    auto again = subject_folds(subjects, 3);
    for (size_t f = 0; f < 3; ++f)
      QCOMPARE((*again)[f].test, (*folds)[f].test);

    QVERIFY(!subject_folds(subjects, 7).ok());
    QVERIFY(!subject_folds(subjects, 1).ok());
    QVERIFY(!subject_folds({"a", "", "b"}, 2).ok());
  }

  // Examples of unknown people are held out with their whole recording: a recording is never on
  // both sides of a fold, people go first (every fold tests a person), and a recording named
  // like a person stays apart from that person.
  void unknownPeopleFoldByRecording() {
    std::vector<std::string> subjects, recordings;
    auto add = [&](const std::string& subject, const std::string& recording, int n) {
      for (int i = 0; i < n; ++i) {
        subjects.push_back(subject);
        recordings.push_back(recording);
      }
    };
    add("ann", "r1", 4);
    add("bob", "r2", 3);
    add("", "cap1", 6);  // bigger than any person
    add("", "cap2", 2);
    add("", "ann", 1);                          // a recording named like a person
    QVERIFY(!subject_folds(subjects, 2).ok());  // without recordings: refused, as before
    auto folds = subject_folds(subjects, 2, recordings);
    TINYLLM_VERIFY(folds);
    std::vector<int> tested(subjects.size(), 0);
    for (const Fold& f : *folds) {
      QVERIFY(!f.test_subjects.empty());
      std::set<std::string> train_units, test_units;
      for (size_t i : f.train)
        train_units.insert(subjects[i] + "/" + recordings[i]);
      for (size_t i : f.test) {
        test_units.insert(subjects[i] + "/" + recordings[i]);
        ++tested[i];
      }
      for (const auto& u : test_units)
        QVERIFY2(!train_units.count(u), u.c_str());
    }
    for (int t : tested)
      QCOMPARE(t, 1);
    // ann (4) and bob (3) first, one per fold; then cap1 (6) to bob's fold, cap2 (2) and the
    // recording "ann" (1) to ann's.
    QCOMPARE((*folds)[0].test_subjects, (std::vector<std::string>{"ann"}));
    QCOMPARE((*folds)[0].test_recordings, (std::vector<std::string>{"ann", "cap2"}));
    QCOMPARE((*folds)[1].test_subjects, (std::vector<std::string>{"bob"}));
    QCOMPARE((*folds)[1].test_recordings, (std::vector<std::string>{"cap1"}));
    QVERIFY(!subject_folds(subjects, 2, {"too", "few"}).ok());
  }

  // Baselines on folds over people: each fold fits on the other people only, and on two clean
  // clusters k-NN is right on every held-out person.
  void foldBaselinesFitOnOtherPeople() {
    std::vector<EvalExample> pooled;
    for (int person = 0; person < 4; ++person)
      for (int i = 0; i < 6; ++i) {
        const bool up = i % 2 == 1;
        const float base = up ? 5.0f : -5.0f;
        pooled.push_back(example(up ? "up" : "down", 2, 1,
                                 {base + 0.1f * float(person), base - 0.1f * float(i)},
                                 "p" + std::to_string(person)));
      }
    std::vector<std::string> subjects;
    for (const auto& ex : pooled)
      subjects.push_back(ex.subject);
    auto folds = subject_folds(subjects, 2);
    TINYLLM_VERIFY(folds);
    auto results = fold_baselines(pooled, *folds, {"down", "up"});
    TINYLLM_VERIFY(results);
    QCOMPARE(results->size(), size_t(2));
    for (const FoldResult& r : *results) {
      QCOMPARE(r.test_subjects.size(), size_t(2));
      QCOMPARE(r.baselines.size(), size_t(3));
      QCOMPARE(r.baselines[1].first, std::string("knn"));
      QCOMPARE(r.baselines[1].second.accuracy, 1.0);
      QCOMPARE(r.baselines[0].second.accuracy, 0.5);  // majority: "down" (tie, lower index)
    }
    pooled[3].label = "sideways";
    QVERIFY(!fold_baselines(pooled, *folds, {"down", "up"}).ok());
  }

  // A long CDF is thinned to about 200 points, keeps its last point, and stays ascending.
  void positionCdfIsThinned() {
    std::vector<Point> truth(1000, Point{0, 0});
    std::vector<std::optional<Point>> predicted;
    for (int i = 0; i < 1000; ++i)
      predicted.push_back(Point{double(i + 1), 0});
    auto m = position_metrics(truth, predicted);
    TINYLLM_VERIFY(m);
    QVERIFY(m->cdf.size() <= 200 && m->cdf.size() >= 100);
    QCOMPARE(m->cdf.back(), (std::pair<double, double>{1000.0, 1.0}));
    for (size_t i = 1; i < m->cdf.size(); ++i)
      QVERIFY(m->cdf[i].first > m->cdf[i - 1].first && m->cdf[i].second > m->cdf[i - 1].second);
  }

  // The report's JSON: the schema's keys and the numbers of a hand-made case; mistakes ranked by
  // the model's confidence in the wrong class.
  void reportJsonHasKeysAndNumbers() {
    std::vector<EvalExample> examples = {
        example("ring", 2, 1, {0, 1}, "p1"), example("wing", 2, 1, {1, 0}, "p1"),
        example("wing", 2, 1, {1, 1}, "p2"), example("ring", 2, 1, {0, 0}, "p2")};
    ReportInput in;
    in.task = "gesture";
    in.split_by = "subject";
    in.checkpoint = "checkpoints/ft1/best";
    in.run_id = "ft1";
    in.created = "2026-12-02T00:00:00Z";
    in.classes = {"ring", "wing"};
    in.model.predicted = {0, 0, 1, 1};
    in.model.scores = {{-0.1, -2}, {-0.5, -0.9}, {-3, -0.1}, {-4, -0.02}};
    in.model.prompt_tokens = {10, 20, 30, 40};
    in.model.latency_ms = {1, 2, 3, 4};
    in.model.params = 123456;
    BaselinePredictions majority{"majority", 0, {0, 0, 0, 0}, {}, {}};
    BaselinePredictions knn{"knn", 1, {0, 1, 0, 0}, {}, {}};
    in.baselines = {majority, knn};
    in.folds = {{0, {"p1"}, {0.5, 0.4}, {{"knn", {1.0, 1.0}}}, {}},
                {1, {"p2"}, {1.0, 1.0}, {{"knn", {0.5, 0.3}}}, {"cap1"}}};
    in.runs = {{"ft1", 123456, 30, 0.5, 0.5, 60, "constrained", {}},
               {"ft0", 1000000, 25, 0.75, 0.7, 300, "free", {{"q8_0", 300000, 0.75, 12.5}}}};
    auto report = build_report(in, examples);
    TINYLLM_VERIFY(report);
    const json& r = *report;
    for (const char* key : {"version", "task", "kind", "split", "split_by", "checkpoint", "run_id",
                            "created", "classes", "examples", "model", "baselines", "mistakes",
                            "folds", "folds_summary", "runs"})
      QVERIFY2(r.contains(key), key);
    QCOMPARE(r["version"].get<int>(), 1);
    QCOMPARE(r["kind"].get<std::string>(), std::string("classification"));
    QCOMPARE(r["examples"].get<int>(), 4);
    const json& model = r["model"];
    for (const char* key : {"name", "accuracy", "macro_f1", "per_class", "confusion",
                            "prompt_tokens", "latency_ms", "params", "unparseable"})
      QVERIFY2(model.contains(key), key);
    QCOMPARE(model["accuracy"].get<double>(), 0.5);
    QCOMPARE(model["macro_f1"].get<double>(), 0.5);
    QCOMPARE(model["confusion"], json({{1, 1}, {1, 1}}));
    QCOMPARE(model["prompt_tokens"]["mean"].get<double>(), 25.0);
    QCOMPARE(model["prompt_tokens"]["max"].get<double>(), 40.0);
    QVERIFY(std::abs(model["prompt_tokens"]["p95"].get<double>() - 38.5) < 1e-9);
    QCOMPARE(model["latency_ms"]["p50"].get<double>(), 2.5);
    QCOMPARE(model["params"].get<int>(), 123456);
    for (const char* key : {"label", "precision", "recall", "f1", "support"})
      QVERIFY2(model["per_class"][0].contains(key), key);
    QCOMPARE(r["baselines"][0]["name"].get<std::string>(), std::string("majority"));
    QCOMPARE(r["baselines"][0]["accuracy"].get<double>(), 0.5);
    QCOMPARE(r["baselines"][1]["k"].get<int>(), 1);
    QCOMPARE(r["baselines"][1]["accuracy"].get<double>(), 0.75);
    // Mistakes: example 3 (margin 3.98) before example 1 (margin 0.4).
    QCOMPARE(r["mistakes"].size(), size_t(2));
    const json& worst = r["mistakes"][0];
    QCOMPARE(worst["index"].get<int>(), 3);
    QCOMPARE(worst["label"].get<std::string>(), std::string("ring"));
    QCOMPARE(worst["predicted"].get<std::string>(), std::string("wing"));
    QCOMPARE(worst["scores"]["wing"].get<double>(), -0.02);
    for (const char* key : {"series", "subject", "start", "rows", "input"})
      QVERIFY2(worst.contains(key), key);
    QCOMPARE(r["mistakes"][1]["index"].get<int>(), 1);
    QCOMPARE(r["folds_summary"]["model"]["mean"].get<double>(), 0.75);
    QCOMPARE(r["folds_summary"]["knn"]["min"].get<double>(), 0.5);
    QCOMPARE(r["folds_summary"]["knn"]["max"].get<double>(), 1.0);
    QCOMPARE(r["folds"][1]["test_subjects"], json({"p2"}));
    QCOMPARE(r["folds"][1]["test_recordings"], json({"cap1"}));
    QVERIFY(r["folds"][0]["test_recordings"].empty());
    QVERIFY(render_report_html(r, examples).find("p2 and 1 recording of an unknown person") !=
            std::string::npos);
    QCOMPARE(r["runs"][1]["run_id"].get<std::string>(), std::string("ft0"));
    QCOMPARE(r["runs"][1]["decoding"].get<std::string>(), std::string("free"));
    QCOMPARE(r["runs"][1]["variants"][0]["bytes"].get<int>(), 300000);
    QCOMPARE(r["runs"][1]["variants"][0]["mean_latency_ms"].get<double>(), 12.5);
    QCOMPARE(r["decoding"].get<std::string>(), std::string("constrained"));
    QVERIFY(!model.contains("no_label"));

    in.model.predicted.pop_back();
    QVERIFY(!build_report(in, examples).ok());
  }

  // The paper's rule on hand-made outputs: right when the true label appears exactly once. A
  // label counts as a whole label (never inside a longer word), the longest label wins where
  // labels overlap, and case matters.
  void freeAnswerScoringRule() {
    const std::vector<std::string> classes = {"ring", "wing", "left ring", "slope", "11", "1"};
    auto verdict = [&](const std::string& output) {
      return score_free_answer(output, classes).verdict;
    };
    auto predicted = [&](const std::string& output) {
      return score_free_answer(output, classes).predicted;
    };
    // Exactly once.
    QCOMPARE(predicted("wing"), 1);
    QCOMPARE(predicted(" wing"), 1);  // the encoder's dummy prefix decodes as a space
    QCOMPARE(predicted("it is a wing."), 1);
    QCOMPARE(predicted("slope\n"), 3);
    QCOMPARE(verdict("wing"), FreeVerdict::one_label);
    // Zero: nothing, other words, a label inside a longer word, another case.
    for (const char* none : {"", "hello", "swing", "wings", "ringing", "Wing", "b11", "111"}) {
      QCOMPARE(verdict(none), FreeVerdict::no_label);
      QCOMPARE(predicted(none), -1);
    }
    // Twice: two labels, or one label repeated (the true label is then not there exactly once).
    for (const char* several :
         {"wing ring", "ring, then wing.", "wing wing", "1 11", "slope-ring"}) {
      QCOMPARE(verdict(several), FreeVerdict::several_labels);
      QCOMPARE(predicted(several), -1);
    }
    QCOMPARE(score_free_answer("wing wing", classes).mentions, size_t(2));
    // A label inside another label: the whole longer label is one mention, not two.
    QCOMPARE(predicted("left ring"), 2);
    QCOMPARE(label_mentions("left ring ring", classes), (std::vector<int>{2, 0}));
    QCOMPARE(predicted("11"), 4);
    QCOMPARE(predicted("1"), 5);
    QCOMPARE(std::string(verdict_name(FreeVerdict::several_labels)), std::string("several_labels"));
  }

  // A report of free decoding: which decoding, the two counts apart (and within "unparseable"),
  // the outputs of the mistakes, the HTML saying so; predictions that are not the rule's are
  // refused.
  void freeDecodingReport() {
    std::vector<EvalExample> examples = {
        example("ring", 2, 1, {0, 1}), example("wing", 2, 1, {1, 0}), example("wing", 2, 1, {1, 1}),
        example("ring", 2, 1, {0, 0})};
    ReportInput in;
    in.task = "gesture";
    in.run_id = "ft1";
    in.classes = {"ring", "wing"};
    in.model.decoding = Decoding::free;
    in.model.max_tokens = 7;
    in.model.outputs = {"wing", "ring ring", "hello", "ring"};
    FreeCounts counts;
    in.model.predicted = free_predictions(in.model.outputs, in.classes, &counts);
    QCOMPARE(in.model.predicted, (std::vector<int>{1, -1, -1, 0}));
    QCOMPARE(counts.no_label, int64_t(1));
    QCOMPARE(counts.several_labels, int64_t(1));
    in.baselines = {{"majority", 0, {0, 0, 0, 0}, {}, {}}};
    auto report = build_report(in, examples);
    TINYLLM_VERIFY(report);
    const json& r = *report;
    QCOMPARE(r["decoding"].get<std::string>(), std::string("free"));
    QCOMPARE(r["max_tokens"].get<int>(), 7);
    QCOMPARE(r["model"]["accuracy"].get<double>(), 0.25);
    QCOMPARE(r["model"]["no_label"].get<int>(), 1);
    QCOMPARE(r["model"]["several_labels"].get<int>(), 1);
    QCOMPARE(r["model"]["unparseable"].get<int>(), 2);
    QCOMPARE(r["mistakes"].size(), size_t(3));
    std::set<std::string> shown;
    for (const auto& m : r["mistakes"]) {
      QVERIFY(m.contains("output"));
      shown.insert(m["predicted"].get<std::string>());
    }
    QCOMPARE(shown, (std::set<std::string>{"wing", "(several labels)", "(no label)"}));
    const std::string html = render_report_html(r, examples);
    QVERIFY(html.find("Free decoding") != std::string::npos);
    QVERIFY(html.find("No label: 1, several labels: 1") != std::string::npos);
    QVERIFY(html.find("ring ring") != std::string::npos);

    in.model.predicted = {1, 1, -1, 0};  // not what the rule makes of the outputs
    QVERIFY(!build_report(in, examples).ok());
    in.model.predicted = free_predictions(in.model.outputs, in.classes);
    in.model.outputs.pop_back();
    QVERIFY(!build_report(in, examples).ok());
  }

  // The HTML page is one file with inline SVG, fetches nothing and escapes every label.
  void reportHtmlIsSelfContainedAndEscaped() {
    std::vector<EvalExample> examples = {example("<b>&", 3, 2, {0, 1, 2, 3, 4, 5}),
                                         example("plain", 3, 2, {5, 4, 3, 2, 1, 0})};
    examples[0].prompt = std::string(400, 'x') + "<script>";
    ReportInput in;
    in.task = "gesture";
    in.run_id = "r<1>";
    in.classes = {"<b>&", "plain"};
    in.model.predicted = {1, 0};
    in.baselines = {{"majority", 0, {0, 0}, {}, {}}};
    in.runs = {{"r<1>", 5000, 10, 0.5, 0.3, 1, "constrained", {}}};
    auto report = build_report(in, examples);
    TINYLLM_VERIFY(report);
    QCOMPARE((*report)["mistakes"][0]["input"].get<std::string>().size(), size_t(300 + 3));
    const std::string html = render_report_html(*report, examples);
    QVERIFY(html.find("<svg") != std::string::npos);
    QVERIFY(html.find("<polyline") != std::string::npos);  // the mistake's window plot
    QVERIFY(html.find("&lt;b&gt;&amp;") != std::string::npos);
    QVERIFY(html.find("<b>&") == std::string::npos);
    QVERIFY(html.find("r&lt;1&gt;") != std::string::npos);
    QVERIFY(html.find("<script") == std::string::npos);
    QVERIFY(html.find("http") == std::string::npos);
    QVERIFY(html.find("src=") == std::string::npos);
    QVERIFY(html.find("href=") == std::string::npos);

    QTemporaryDir tmp;
    const fs::path dir = fs::path(tmp.path().toStdString()) / "reports";
    TINYLLM_VERIFY(write_report(dir, "eval-r1", *report, html));
    auto back = read_file(dir / "eval-r1.json");
    TINYLLM_VERIFY(back);
    QCOMPARE(json::parse(*back), *report);
    QCOMPARE(*read_file(dir / "eval-r1.html"), html);
  }

  // A position report: metres in "position", a CDF plot, mistakes by the largest error.
  void positionReport() {
    std::vector<EvalExample> examples = {point("", -70, -80), point("", -60, kMissing)};
    examples[0].target = Point{0, 0};
    examples[1].target = Point{10, 0};
    ReportInput in;
    in.task = "position";
    in.kind = TaskKind::position;
    in.model.positions = {Point{3, 4}, std::nullopt};
    BaselinePredictions mean{"majority", 0, {}, {}, {Point{5, 0}, Point{5, 0}}};
    in.baselines = {mean};
    auto report = build_report(in, examples);
    TINYLLM_VERIFY(report);
    const json& p = (*report)["position"];
    QCOMPARE(p["model"]["mean_m"].get<double>(), 5.0);
    QCOMPARE(p["model"]["unparseable"].get<int>(), 1);
    QCOMPARE(p["baselines"][0]["mean_m"].get<double>(), 5.0);
    QCOMPARE((*report)["mistakes"][0]["predicted"].get<std::string>(),
             std::string("(unparseable)"));
    QCOMPARE((*report)["mistakes"][1]["error_m"].get<double>(), 5.0);
    const std::string html = render_report_html(*report, examples);
    QVERIFY(html.find("error CDF") != std::string::npos);
    QVERIFY(html.find("http") == std::string::npos);
  }
};

QTEST_GUILESS_MAIN(TestEval)
#include "test_eval.moc"
