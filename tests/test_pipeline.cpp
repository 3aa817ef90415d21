// tinyllm_pipeline: the table of steps and its states from recorded artifacts, run ids, the
// checkpoint record (outcome, tokenizer), the one task vocabulary. Real projects made with the
// demo data; checkpoints here are plain files (training itself is test_cli's and test_train's).
#include <QtTest>

#include <cmath>
#include <filesystem>
#include <utility>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "pipeline/data_step.h"
#include "pipeline/pretrain_step.h"
#include "pipeline/quantize_step.h"
#include "pipeline/run_comparison.h"
#include "pipeline/steps.h"
#include "pipeline/tokenizer_step.h"
#include "pipeline/worker_events.h"
#include "test_support.h"
#include "text/vocab_learning.h"

using namespace tinyllm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

// A demo project with prepared text.
project::Project prepared_project(const fs::path& root) {
  auto registry = test::builtin_registry();
  auto p = pipeline::create_demo_project(root, pipeline::DemoKind::imu, 3, *registry);
  if (!p) qFatal("%s", p.error().to_string().c_str());
  auto settings = pipeline::saved_prepare_settings(*p);
  if (!settings || !pipeline::prepare_data(*p, *registry, *settings)) qFatal("prepare failed");
  return std::move(*p);
}

// Trains a real tokenizer on the project's prepared text (the tokenizer step, as the CLI runs it)
// and records it. A different `model_type` makes a different tokenizer.
void train_tokenizer(project::Project& p, const std::string& model_type = "bpe") {
  text::VocabSettings settings;
  settings.model_type = model_type;
  settings.vocab_size = 400;
  settings.threads = 1;
  auto summary = text::build_tokenizer(p.path("data/prepared"), p.path(pipeline::kTokenizerFolder),
                                       settings, nullptr);
  if (!summary) qFatal("%s", summary.error().to_string().c_str());
  if (!pipeline::record_tokenizer(p, text::to_json(settings), *summary))
    qFatal("record_tokenizer failed");
}

// A checkpoint folder of run `run` at `step` (weights as plain bytes: only their sha256 counts).
fs::path fake_checkpoint(const project::Project& p, const std::string& run, int step) {
  const fs::path dir = p.path("checkpoints") / run / ("step-" + std::to_string(step));
  test::write_text(dir / "model.safetensors", "weights " + std::to_string(step));
  test::write_text(p.path("checkpoints") / run / "latest.json", "{}");
  return dir;
}

pipeline::StepState pretrain(const fs::path& root) {
  auto p = project::open_project(root);
  if (!p) qFatal("%s", p.error().to_string().c_str());
  return pipeline::step_state(*p, pipeline::StepId::pretrain);
}

}  // namespace

class TestPipeline : public QObject {
  Q_OBJECT
 private slots:
  void tableHasEveryStepInOrder() {
    const auto& steps = pipeline::steps();
    QCOMPARE(int(steps.size()), 5);
    for (size_t i = 0; i < steps.size(); ++i)
      QCOMPARE(int(steps[i].id), int(i));
    QCOMPARE(QString(pipeline::step_info(pipeline::StepId::pretrain).title), QString("Pre-train"));
  }

  void statesComeFromRecordedArtifacts() {
    QTemporaryDir dir;
    const fs::path root = fs::path(dir.path().toStdString()) / "p";
    auto registry = test::builtin_registry();
    auto p = pipeline::create_demo_project(root, pipeline::DemoKind::imu, 3, *registry);
    QVERIFY(p.ok());
    QCOMPARE(int(pipeline::step_state(*p, pipeline::StepId::data).status),
             int(pipeline::StepStatus::ready));
    QCOMPARE(int(pipeline::step_state(*p, pipeline::StepId::pretrain).status),
             int(pipeline::StepStatus::needs_earlier_step));
    QCOMPARE(int(pipeline::step_state(*p, pipeline::StepId::finetune).status),
             int(pipeline::StepStatus::needs_earlier_step));
    QCOMPARE(int(pipeline::step_state(*p, pipeline::StepId::quantize).status),
             int(pipeline::StepStatus::needs_earlier_step));

    auto prepared = prepared_project(fs::path(dir.path().toStdString()) / "q");
    QCOMPARE(int(pipeline::step_state(prepared, pipeline::StepId::data).status),
             int(pipeline::StepStatus::done));
    train_tokenizer(prepared);
    QCOMPARE(int(pretrain(prepared.root).status), int(pipeline::StepStatus::ready));
    // A run folder with latest.json that no record names does not make the step done.
    fake_checkpoint(prepared, "stray", 5);
    QCOMPARE(int(pretrain(prepared.root).status), int(pipeline::StepStatus::ready));

    // Stopped at step 149 of 1000: resumable, not done.
    const fs::path ckpt = fake_checkpoint(prepared, "run1", 149);
    TINYLLM_VERIFY_OK(pipeline::record_checkpoint(prepared.root, "run1", ckpt, {{"run_id", "run1"}},
                                                  {events::kInterrupted, 149, 1000, std::nullopt},
                                                  pipeline::kTokenizerModel));
    auto state = pretrain(prepared.root);
    QCOMPARE(int(state.status), int(pipeline::StepStatus::ready));
    QVERIFY2(state.reason.find("stopped at step 149 of 1000") != std::string::npos,
             state.reason.c_str());
    // Completed: done.
    TINYLLM_VERIFY_OK(pipeline::record_checkpoint(prepared.root, "run1", ckpt, {{"run_id", "run1"}},
                                                  {events::kCompleted, 1000, 1000, 1.5},
                                                  pipeline::kTokenizerModel));
    QCOMPARE(int(pretrain(prepared.root).status), int(pipeline::StepStatus::done));
    // Early stop is an ending too, and says so.
    TINYLLM_VERIFY_OK(pipeline::record_checkpoint(prepared.root, "run1", ckpt, {{"run_id", "run1"}},
                                                  {events::kEarlyStop, 300, 1000, 1.5},
                                                  pipeline::kTokenizerModel));
    state = pretrain(prepared.root);
    QCOMPARE(int(state.status), int(pipeline::StepStatus::done));
    QVERIFY(state.reason.find("stopped early at step 300 of 1000") != std::string::npos);
    // A new tokenizer makes the trained model stale.
    auto reopened = project::open_project(prepared.root);
    QVERIFY(reopened.ok());
    train_tokenizer(*reopened, "unigram");
    QCOMPARE(int(pretrain(prepared.root).status), int(pipeline::StepStatus::stale));
  }

  void finetuneStateFollowsItsInputs() {
    QTemporaryDir dir;
    auto prepared = prepared_project(fs::path(dir.path().toStdString()) / "f");
    auto finetune = [&](const fs::path& root) {
      auto p = project::open_project(root);
      if (!p) qFatal("%s", p.error().to_string().c_str());
      return pipeline::step_state(*p, pipeline::StepId::finetune);
    };
    auto state = finetune(prepared.root);
    QCOMPARE(int(state.status), int(pipeline::StepStatus::needs_earlier_step));
    QVERIFY2(state.reason.find("tokenizer") != std::string::npos, state.reason.c_str());
    train_tokenizer(prepared);
    state = finetune(prepared.root);
    QCOMPARE(int(state.status), int(pipeline::StepStatus::ready));
    // A recorded, completed fine-tuning run: done, with its validation accuracy.
    const fs::path dir_ft = prepared.path("finetune") / "ft1" / "step-00000040";
    test::write_text(dir_ft / "model.safetensors", "weights");
    TINYLLM_VERIFY_OK(pipeline::record_checkpoint(
        prepared.root, "ft1", dir_ft, {{"run_id", "ft1"}, {"init_from", ""}},
        {events::kCompleted, 40, 40, 0.3, 0.875}, pipeline::kTokenizerModel,
        pipeline::kFinetuneRuns));
    state = finetune(prepared.root);
    QCOMPARE(int(state.status), int(pipeline::StepStatus::done));
    QVERIFY2(state.reason.find("ft1 fine-tuned (validation accuracy 87.5%)") != std::string::npos,
             state.reason.c_str());
    // The fine-tune is not a pre-training run: Pre-train still has no model.
    QVERIFY(!pipeline::latest_run_id(*project::open_project(prepared.root)));
    // A new tokenizer makes the fine-tuned model stale.
    auto reopened = project::open_project(prepared.root);
    QVERIFY(reopened.ok());
    train_tokenizer(*reopened, "unigram");
    QCOMPARE(int(finetune(prepared.root).status), int(pipeline::StepStatus::stale));
  }

  // A damaged tokenizer.model is not "ok": the Pre-train step needs attention and says which
  // file and why, and Fine-tune (which needs the tokenizer) is not ready. Damage that still
  // parses (the recorded checksum catches it), damage that does not, and a missing file.
  void damagedTokenizerNeedsAttention() {
    QTemporaryDir dir;
    auto prepared = prepared_project(fs::path(dir.path().toStdString()) / "t");
    train_tokenizer(prepared);
    auto state = [&](pipeline::StepId id) {
      return pipeline::step_state(*project::open_project(prepared.root), id);
    };
    QCOMPARE(int(state(pipeline::StepId::pretrain).status), int(pipeline::StepStatus::ready));
    QCOMPARE(int(state(pipeline::StepId::finetune).status), int(pipeline::StepStatus::ready));
    TINYLLM_VERIFY_OK(pipeline::check_tokenizer(prepared));

    const fs::path model = prepared.path(pipeline::kTokenizerModel);
    const std::string good = test::read_text(model);
    std::string still_parses = good;
    const size_t unk = still_parses.find("<unk>");
    QVERIFY(unk != std::string::npos);
    still_parses[unk + 6] = char(uint8_t(still_parses[unk + 6]) ^ 0x01);  // a bit of its score
    TINYLLM_VERIFY_OK(text::Tokenizer::from_bytes(still_parses, "changed.model"));
    const std::string truncated = good.substr(0, good.size() / 2);
    QVERIFY(!text::Tokenizer::from_bytes(truncated, "cut.model").ok());
    for (const std::string* damaged : {&std::as_const(still_parses), &truncated}) {
      test::write_text(model, *damaged);
      const auto pretrain = state(pipeline::StepId::pretrain);
      QCOMPARE(int(pretrain.status), int(pipeline::StepStatus::needs_attention));
      QVERIFY2(pretrain.reason.find("tokenizer.model") != std::string::npos,
               pretrain.reason.c_str());
      QVERIFY2(pretrain.reason.find("train") != std::string::npos, pretrain.reason.c_str());
      const auto finetune = state(pipeline::StepId::finetune);
      QCOMPARE(int(finetune.status), int(pipeline::StepStatus::needs_earlier_step));
      QVERIFY2(finetune.reason.find("tokenizer") != std::string::npos, finetune.reason.c_str());
      QVERIFY(!pipeline::check_tokenizer(*project::open_project(prepared.root)).ok());
    }
    QCOMPARE(std::string(pipeline::to_string(pipeline::StepStatus::needs_attention)),
             std::string("needs attention"));
    fs::remove(model);
    const auto missing = state(pipeline::StepId::pretrain);
    QCOMPARE(int(missing.status), int(pipeline::StepStatus::needs_attention));
    QVERIFY2(missing.reason.find("missing") != std::string::npos, missing.reason.c_str());
    // The file as it was: ready again.
    test::write_text(model, good);
    QCOMPARE(int(state(pipeline::StepId::pretrain).status), int(pipeline::StepStatus::ready));
  }

  // Deploy: needs an export; done once deployments/<device>/installs.json (the format
  // core/deploy writes; test_deploy checks it after a real deploy) has an install on a device the
  // project still has, with a reason naming the model, type, device and date.
  void deployStateFollowsExportsAndInstalls() {
    QTemporaryDir dir;
    auto registry = test::builtin_registry();
    auto made = pipeline::create_demo_project(fs::path(dir.path().toStdString()) / "p",
                                              pipeline::DemoKind::imu, 3, *registry);
    QVERIFY(made.ok());
    auto p = std::move(*made);
    auto deploy = [&] {
      auto reopened = project::open_project(p.root);
      if (!reopened) qFatal("%s", reopened.error().to_string().c_str());
      return pipeline::step_state(*reopened, pipeline::StepId::deploy);
    };
    QCOMPARE(int(deploy().status), int(pipeline::StepStatus::needs_earlier_step));
    QVERIFY(deploy().reason.find("export") != std::string::npos);

    project::Artifact gguf;
    gguf.id = "gguf-ft1-q8_0";
    gguf.kind = "gguf";
    gguf.path = "exports/ft1-q8_0.gguf";
    gguf.created = "2026-12-01T10:00:00Z";
    gguf.settings = {{"type", "q8_0"}};
    p.artifacts.push_back(gguf);
    TINYLLM_VERIFY_OK(project::save_project(p));
    // Quantize: the export is recorded but its file is not there; then it is.
    auto quantize = [&] {
      return pipeline::step_state(*project::open_project(p.root), pipeline::StepId::quantize);
    };
    QCOMPARE(int(quantize().status), int(pipeline::StepStatus::stale));
    QVERIFY2(quantize().reason.find("missing") != std::string::npos, quantize().reason.c_str());
    test::write_text(p.path("exports/ft1-q8_0.gguf"), "GGUF");
    QCOMPARE(int(quantize().status), int(pipeline::StepStatus::done));
    QVERIFY2(quantize().reason.find("q8_0 exported (2026-12-01)") != std::string::npos,
             quantize().reason.c_str());
    QCOMPARE(int(deploy().status), int(pipeline::StepStatus::ready));
    QVERIFY2(deploy().reason.find("no device") != std::string::npos, deploy().reason.c_str());

    test::write_text(p.path("deployments/devices.json"),
                     R"({"devices":[{"name":"pi-a","host":"h"},{"name":"pi-b","host":"h"}]})");
    QCOMPARE(int(deploy().status), int(pipeline::StepStatus::ready));
    const json older = {{"time", "2026-12-01T09:00:00Z"},
                        {"device", "pi-b"},
                        {"model", "Demo_gestures"},
                        {"version", "v1"},
                        {"type", "f32"}};
    const json newer = {{"time", "2026-12-02T08:30:00Z"},
                        {"device", "pi-a"},
                        {"model", "Demo_gestures"},
                        {"version", "v2"},
                        {"type", "q8_0"}};
    test::write_text(p.path("deployments/pi-b/installs.json"), json::array({older}).dump());
    test::write_text(p.path("deployments/pi-a/installs.json"), json::array({newer}).dump());
    auto state = deploy();
    QCOMPARE(int(state.status), int(pipeline::StepStatus::done));
    QCOMPARE(state.reason, std::string("Demo_gestures q8_0 runs on pi-a (2026-12-02)"));

    // pi-a removed from the project: what is left is pi-b's install.
    test::write_text(p.path("deployments/devices.json"),
                     R"({"devices":[{"name":"pi-b","host":"h"}]})");
    QCOMPARE(deploy().reason, std::string("Demo_gestures f32 runs on pi-b (2026-12-01)"));
    test::write_text(p.path("deployments/devices.json"), R"({"devices":[]})");
    QCOMPARE(int(deploy().status), int(pipeline::StepStatus::ready));
  }

  // The Raspberry Pi rule: fits in about half the RAM (peak memory when measured, else the file),
  // then the best accuracy, equal accuracy to the smaller file.
  void piRecommendationFitsHalfTheMemoryAndAnswersBest() {
    constexpr uint64_t MiB = 1ull << 20;
    auto variant = [](const char* type, uint64_t bytes, std::optional<double> accuracy) {
      pipeline::QuantVariant v;
      v.type = type;
      v.bytes = bytes;
      v.accuracy = accuracy;
      return v;
    };
    std::vector<pipeline::QuantVariant> variants = {
        variant("f32", 1600 * MiB, 0.92), variant("f16", 800 * MiB, 0.92),
        variant("q8_0", 420 * MiB, 0.91), variant("q4_0", 230 * MiB, 0.86)};
    const auto& pi = pipeline::pi_budgets();
    QCOMPARE(pi.size(), size_t{3});
    QCOMPARE(pi[0].ram_bytes, 512 * MiB);   // Pi Zero 2 W
    QCOMPARE(pi[1].ram_bytes, 1024 * MiB);  // Pi 3
    QCOMPARE(pi[2].ram_bytes, 2048 * MiB);  // Pi 4 / 5, the smallest of them
    auto pick = [&](uint64_t ram) {
      const auto i = pipeline::recommended_variant(variants, ram);
      return i ? variants[*i].type : std::string("none");
    };
    QCOMPARE(pick(pi[2].ram_bytes), std::string("f16"));  // f32 needs more than half of 2 GB
    QCOMPARE(pick(pi[1].ram_bytes), std::string("q8_0"));
    QCOMPARE(pick(pi[0].ram_bytes), std::string("q4_0"));
    QCOMPARE(pick(256 * MiB), std::string("none"));
    // Exactly half fits.
    QCOMPARE(pick(460 * MiB), std::string("q4_0"));
    QCOMPARE(pick(840 * MiB), std::string("q8_0"));
    // Equal accuracy: the smaller file.
    variants[2].accuracy = 0.92;
    QCOMPARE(pick(pi[2].ram_bytes), std::string("q8_0"));
    // The bench's peak memory counts when it is more than the file.
    variants[2].peak_rss_mib = 600;
    QCOMPARE(pipeline::memory_needed(variants[2]), 600 * MiB);
    QCOMPARE(pick(pi[1].ram_bytes), std::string("q4_0"));
    // An accuracy not measured ranks below any measured one; with none measured, the smallest.
    variants[2].accuracy.reset();
    QCOMPARE(pick(pi[2].ram_bytes), std::string("f16"));
    for (auto& v : variants)
      v.accuracy.reset();
    QCOMPARE(pick(pi[2].ram_bytes), std::string("q4_0"));
  }

  // The report as `tinyllm export` writes it (cmd_export.cpp): numbers, nulls for what was not
  // measured with the reason, the changes against F32; a broken file is named in the error.
  void quantizationReportIsReadAsTheCliWritesIt() {
    const json j = json::parse(R"({"run": "ft2", "measured": "2026-12-02T10:00:00Z",
      "where": "this computer", "variants": [
      {"type": "f32", "file": "exports/ft2-f32.gguf", "bytes": 5000000, "bits_per_weight": 32.0,
       "perplexity": 12.5, "accuracy": 0.75, "prompt_tokens_per_s": 900.0,
       "gen_tokens_per_s": 300.0, "peak_rss_mib": 9.5,
       "vs_f32": {"size": 1.0, "perplexity": 1.0, "accuracy_points": 0.0, "prompt_speed": 1.0,
                  "gen_speed": 1.0}},
      {"type": "q4_0", "file": "exports/ft2-q4_0.gguf", "bytes": 1000000,
       "bits_per_weight": 6.08, "perplexity": 13.0, "accuracy": null,
       "prompt_tokens_per_s": 450.0, "gen_tokens_per_s": null, "peak_rss_mib": null,
       "not_measured": {"accuracy": "the test prompts do not fit"},
       "vs_f32": {"size": 0.2, "perplexity": 1.04, "accuracy_points": null,
                  "prompt_speed": 0.5, "gen_speed": null}}]})");
    auto report = pipeline::quantization_report_from_json(j, "r.json");
    TINYLLM_VERIFY_OK(report);
    QCOMPARE(report->run, std::string("ft2"));
    QCOMPARE(report->variants.size(), size_t{2});
    const auto& q4 = report->variants[1];
    QCOMPARE(q4.type, std::string("q4_0"));
    QCOMPARE(q4.bytes, uint64_t{1000000});
    QCOMPARE(*q4.perplexity, 13.0);
    QVERIFY(!q4.accuracy && !q4.gen_tokens_per_s && !q4.accuracy_points_vs_f32);
    QCOMPARE(*q4.size_vs_f32, 0.2);
    QCOMPARE(*q4.prompt_speed_vs_f32, 0.5);
    QCOMPARE(q4.not_measured.at("accuracy"), std::string("the test prompts do not fit"));
    QCOMPARE(*report->variants[0].accuracy, 0.75);
    // F32's bench peaked above its file size (9.5 MiB); q4_0 has no peak: its file counts.
    QCOMPARE(pipeline::memory_needed(report->variants[0]), uint64_t(9.5 * 1024 * 1024));
    QCOMPARE(pipeline::memory_needed(q4), uint64_t{1000000});

    json broken = j;
    broken["variants"][1].erase("bytes");
    auto bad = pipeline::quantization_report_from_json(broken, "r.json");
    QVERIFY(!bad.ok());
    QCOMPARE(bad.error().to_string(),
             std::string("r.json: variants[1]: has no \"bytes\" (a file size)"));
    QTemporaryDir dir;
    const fs::path file = fs::path(dir.path().toStdString()) / "quantization-ft2.json";
    test::write_text(file, "{not json");
    auto unreadable = pipeline::read_quantization_report(file);
    QVERIFY(!unreadable.ok());
    QVERIFY(unreadable.error().to_string().find(file.string()) != std::string::npos);
  }

  // The comparison of runs: one row per run from its newest report on the test split (a fresh
  // report counts as the newest), position and baselines-only reports left out, runs in number
  // order, exported sizes and latencies from the run's quantization report, the baselines of the
  // newest report.
  void runComparisonTakesEachRunsNewestReport() {
    QTemporaryDir dir;
    auto p = project::create_project(fs::path(dir.path().toStdString()) / "p", "P", "gesture");
    TINYLLM_VERIFY_OK(p);
    auto report = [](const std::string& run, const std::string& created, double accuracy,
                     int64_t params) {
      return json{{"version", 1},
                  {"kind", "classification"},
                  {"split", "test"},
                  {"run_id", run},
                  {"created", created},
                  {"train_seconds", 42.5},
                  {"decoding", "constrained"},
                  {"model",
                   {{"accuracy", accuracy},
                    {"macro_f1", accuracy / 2},
                    {"params", params},
                    {"prompt_tokens", {{"mean", 33.0}}}}},
                  {"baselines",
                   {{{"name", "majority"}, {"accuracy", 0.25}, {"macro_f1", 0.1}},
                    {{"name", "knn"}, {"k", 1}, {"accuracy", 0.5}, {"macro_f1", 0.4}}}}};
    };
    auto write = [&](const std::string& name, const json& j) {
      test::write_text(p->path("reports") / name / "report.json", j.dump());
    };
    write("ft10-test", report("ft10", "2026-12-02T10:00:00Z", 0.9, 3000000));
    write("ft2-test", report("ft2", "2026-12-02T09:00:00Z", 0.6, 800000));
    json newer = report("ft2", "2026-12-02T11:00:00Z", 0.7, 800000);
    newer["decoding"] = "free";
    newer["baselines"][1]["accuracy"] = 0.55;
    write("ft2-test-free", newer);
    json val = report("ft3", "2026-12-02T12:00:00Z", 0.1, 5);
    val["split"] = "val";
    write("ft3-val", val);
    json position = report("ft4", "2026-12-02T12:00:00Z", 0.1, 5);
    position["kind"] = "position";
    write("ft4-test", position);
    write("baselines-test", json{{"kind", "classification"}, {"split", "test"}, {"run_id", ""}});
    test::write_text(pipeline::quantization_report_path(*p, "ft10"), R"({"run": "ft10",
      "variants": [{"type": "q8_0", "bytes": 900000, "accuracy": 0.875, "mean_latency_ms": 12.5},
                   {"type": "q4_0", "bytes": 500000, "accuracy": null, "mean_latency_ms": null}]})");

    auto c = pipeline::compare_runs(*p);
    QCOMPARE(c.runs.size(), size_t{2});
    QCOMPARE(c.runs[0].run_id, std::string("ft2"));  // ft2 before ft10
    QCOMPARE(c.runs[0].accuracy, 0.7);               // its newest report: free decoding
    QCOMPARE(c.runs[0].decoding, std::string("free"));
    QCOMPARE(c.runs[0].macro_f1, 0.35);
    QCOMPARE(c.runs[0].tokens_per_example, 33.0);
    QCOMPARE(c.runs[0].train_seconds, 42.5);
    QVERIFY(c.runs[0].variants.empty());
    QCOMPARE(c.runs[1].run_id, std::string("ft10"));
    QCOMPARE(c.runs[1].params, int64_t{3000000});
    QCOMPARE(c.runs[1].variants.size(), size_t{2});
    QCOMPARE(c.runs[1].variants[0].type, std::string("q8_0"));
    QCOMPARE(c.runs[1].variants[0].bytes, uint64_t{900000});
    QCOMPARE(c.runs[1].variants[0].mean_latency_ms, 12.5);
    QVERIFY(std::isnan(c.runs[1].variants[1].accuracy));
    QCOMPARE(c.baselines.size(), size_t{2});  // the newest report's (ft2-test-free)
    QCOMPARE(c.baselines[1]["accuracy"].get<double>(), 0.55);
    QCOMPARE(c.baselines[1]["k"].get<int>(), 1);

    // A report just built takes its run's place, and its baselines count.
    json fresh = report("ft2", "2026-01-01T00:00:00Z", 0.8, 800000);
    fresh["baselines"][0]["accuracy"] = 0.3;
    c = pipeline::compare_runs(*p, &fresh);
    QCOMPARE(c.runs[0].accuracy, 0.8);
    QCOMPARE(c.runs[0].decoding, std::string("constrained"));
    QCOMPARE(c.baselines[0]["accuracy"].get<double>(), 0.3);
  }

  // An export is stale when its file is gone or an input changed; one never made is not.
  void exportStalenessFollowsItsFileAndInputs() {
    QTemporaryDir dir;
    auto p = prepared_project(fs::path(dir.path().toStdString()) / "s");
    QVERIFY(!pipeline::export_is_stale(p, "ft1", "q8_0"));
    project::Artifact gguf;
    gguf.id = "gguf-ft1-q8_0";
    gguf.kind = "gguf";
    gguf.path = "exports/ft1-q8_0.gguf";
    gguf.created = "2026-12-01T10:00:00Z";
    gguf.inputs = {"prepared"};
    p.put_artifact(gguf);
    TINYLLM_VERIFY_OK(project::save_project(p));
    auto reopened = [&] { return *project::open_project(p.root); };
    QVERIFY(pipeline::export_is_stale(reopened(), "ft1", "q8_0"));  // no file
    test::write_text(p.path("exports/ft1-q8_0.gguf"), "GGUF");
    QVERIFY(!pipeline::export_is_stale(reopened(), "ft1", "q8_0"));
    QVERIFY(!pipeline::export_is_stale(reopened(), "ft1", "q4_0"));  // never exported
  }

  void newStartsGetNewRunsAndTrainedRunsAreKept() {
    QTemporaryDir dir;
    auto p = prepared_project(fs::path(dir.path().toStdString()) / "p");
    auto run = pipeline::choose_run(p, std::nullopt, false);
    QVERIFY(run.ok());
    QCOMPARE(QString::fromStdString(*run), QString("run1"));
    QVERIFY(!pipeline::choose_run(p, std::nullopt, true).ok());  // nothing to resume
    const fs::path ckpt = fake_checkpoint(p, "run1", 10);
    TINYLLM_VERIFY_OK(pipeline::record_checkpoint(p.root, "run1", ckpt, {{"run_id", "run1"}},
                                                  {events::kCompleted, 10, 10, std::nullopt}, {}));
    auto reopened = project::open_project(p.root);
    QVERIFY(reopened.ok());
    QCOMPARE(QString::fromStdString(*pipeline::choose_run(*reopened, std::nullopt, false)),
             QString("run2"));
    QCOMPARE(QString::fromStdString(*pipeline::choose_run(*reopened, std::nullopt, true)),
             QString("run1"));
    auto refused = pipeline::choose_run(*reopened, std::string("run1"), false);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.find("already holds trained checkpoints") != std::string::npos,
             refused.error().message.c_str());
    QVERIFY(pipeline::choose_run(*reopened, std::string("run1"), true).ok());
  }

  void checkpointKnowsItsTokenizer() {
    QTemporaryDir dir;
    auto p = prepared_project(fs::path(dir.path().toStdString()) / "p");
    train_tokenizer(p);
    const fs::path ckpt = fake_checkpoint(p, "run1", 4);
    TINYLLM_VERIFY_OK(pipeline::record_checkpoint(
        p.root, "run1", ckpt, {{"run_id", "run1"}, {"out_dir", p.path("checkpoints/run1")}},
        {events::kCompleted, 4, 4, std::nullopt}, pipeline::kTokenizerModel));
    auto reopened = project::open_project(p.root);
    QVERIFY(reopened.ok());
    const auto* a = reopened->find_artifact("checkpoint-run1");
    QVERIFY(a);
    QCOMPARE(QString::fromStdString(a->path), QString("checkpoints/run1/step-4"));
    QCOMPARE(QString::fromStdString(a->settings["out_dir"].get<std::string>()),
             QString("checkpoints/run1"));
    QCOMPARE(QString::fromStdString(a->outcome["tokenizer"]["path"].get<std::string>()),
             QString(pipeline::kTokenizerModel));
    auto found = pipeline::recorded_tokenizer(ckpt);
    QVERIFY2(found.ok(), found.ok() ? "" : found.error().to_string().c_str());
    QCOMPARE(fs::weakly_canonical(*found), fs::weakly_canonical(p.path(pipeline::kTokenizerModel)));
    // A tokenizer replaced since training is refused, not used.
    test::write_text(p.path(pipeline::kTokenizerModel), "another tokenizer");
    auto changed = pipeline::recorded_tokenizer(ckpt);
    QVERIFY(!changed.ok());
    QVERIFY(changed.error().message.find("changed since") != std::string::npos);
    // A checkpoint outside any project has no recorded tokenizer.
    QTemporaryDir outside;
    auto none = pipeline::recorded_tokenizer(outside.path().toStdString());
    QVERIFY(!none.ok());
    QVERIFY(none.error().message.find("--tokenizer") != std::string::npos);
  }

  void oneTaskVocabulary() {
    QCOMPARE(QString(project::find_task("localization")->template_id), QString("zone"));
    QCOMPARE(QString(project::task_for_sensor("imu")->task), QString("gesture"));
    QVERIFY(!project::find_task("zones"));
    QTemporaryDir dir;
    auto p = project::create_project(fs::path(dir.path().toStdString()) / "p", "P", "localization");
    QVERIFY(p.ok());
    QCOMPARE(QString::fromStdString(pipeline::task_template_of(*p)), QString("zone"));
    auto settings = pipeline::saved_prepare_settings(*p);
    QVERIFY(settings.ok());
    QCOMPARE(QString::fromStdString(settings->task), QString("zone"));
  }
};

QTEST_GUILESS_MAIN(TestPipeline)
#include "test_pipeline.moc"
