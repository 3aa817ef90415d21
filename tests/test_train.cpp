// tinyllm_train and the tinyllm-train worker: learning, exact resume, checkpoint safety, DDP,
// the event stream. Tiny models (tens of thousands of parameters) keep every case to seconds.
#include <QtTest>

#include <sys/wait.h>
#include <csignal>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/version.h"
#include "process_probe.h"
#include "text/shard.h"
#include "train/checkpoint.h"
#include "train/optimizer.h"
#include "train/token_source.h"
#include "train/train.h"

#define TINYLLM_VERIFY(expr)                                          \
  do {                                                                \
    const auto& r_ = (expr);                                          \
    QVERIFY2(r_.ok(), r_.ok() ? "" : r_.error().to_string().c_str()); \
  } while (0)

using namespace tinyllm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kWorker = fs::path(TINYLLM_BINARY_DIR) / "bin" / "tinyllm-train";
const fs::path kCli = fs::path(TINYLLM_BINARY_DIR) / "bin" / "tinyllm";

// The highest "step" in a run's events file (what the worker itself recorded), 0 if none.
int recorded_step(const fs::path& events_file) {
  std::ifstream in(events_file);
  int step = 0;
  for (std::string line; std::getline(in, line);) {
    const json e = json::parse(line, nullptr, false);
    if (e.is_object() && e.value("event", "") == "step") step = std::max(step, e.value("step", 0));
  }
  return step;
}

long long total_cpu_ticks(const std::vector<pid_t>& pids) {
  long long sum = 0;
  for (pid_t p : pids)
    sum += std::max(0LL, test::cpu_ticks(p));
  return sum;
}

// A 2-layer, 64-wide model over a 64-token vocabulary with context 32.
train::TrainConfig tiny_config(const fs::path& out) {
  train::TrainConfig c;
  c.model_overrides = {
      {"n_layer", 2}, {"n_head", 2}, {"n_embd", 64}, {"n_ctx", 32}, {"n_vocab", 64}};
  c.out_dir = out.string();
  c.batch_size = 4;
  c.steps = 8;
  c.warmup_steps = 2;
  c.lr = 3e-3;
  c.eval_every = 4;
  c.eval_batches = 2;
  c.checkpoint_every = 0;
  c.threads = 1;
  c.peak_flops = 1e10;  // skip the measurement
  if (!train::finalize(c).ok()) qFatal("tiny config does not finalize");
  return c;
}

struct Run {
  std::vector<json> events;
  std::vector<double> losses;  // per step, in order
  Result<train::TrainOutcome> outcome = Error{};
};

// Runs the trainer in this process; `stop_after` > 0 requests a stop once that step is logged.
Run train_in_process(const train::TrainConfig& c, const train::DataSplit& data,
                     int stop_after = 0) {
  Run run;
  std::atomic<bool> stop{false};
  auto sink = [&](const json& e) {
    run.events.push_back(e);
    if (e["event"] == "step") {
      run.losses.push_back(e["loss"].get<double>());
      if (stop_after > 0 && e["step"].get<int>() == stop_after) stop = true;
    }
  };
  run.outcome = train::run_training(c, data, {}, sink, &stop);
  return run;
}

// Runs the worker and returns its stdout lines; exit code and signal through the pointers.
std::vector<std::string> run_worker(
    const QStringList& args, int* exit_code,
    const QProcessEnvironment& env = QProcessEnvironment::systemEnvironment(),
    QProcess::ExitStatus* status = nullptr) {
  QProcess p;
  p.setProcessEnvironment(env);
  p.start(QString::fromStdString(kWorker.string()), args);
  if (!p.waitForFinished(120000)) qWarning("worker did not finish");
  if (exit_code) *exit_code = p.exitCode();
  if (status) *status = p.exitStatus();
  const QString err = QString::fromUtf8(p.readAllStandardError());
  if (!err.isEmpty()) qDebug("worker stderr: %s", qPrintable(err.left(2000)));
  std::vector<std::string> lines;
  for (const QByteArray& line : p.readAllStandardOutput().split('\n'))
    if (!line.isEmpty()) lines.push_back(line.toStdString());
  return lines;
}

QStringList tiny_worker_args(const fs::path& out) {
  return {"--data_dir=synthetic:20000",
          "--out_dir=" + QString::fromStdString(out.string()),
          "--n_layer=2",
          "--n_head=2",
          "--n_embd=64",
          "--n_ctx=32",
          "--n_vocab=64",
          "--batch_size=4",
          "--threads=1",
          "--peak_flops=1e10",
          "--warmup_steps=2",
          "--lr=3e-3",
          "--eval_batches=2"};
}

std::vector<double> step_losses(const std::vector<std::string>& lines) {
  std::vector<double> out;
  for (const auto& l : lines) {
    json e = json::parse(l, nullptr, false);
    if (!e.is_discarded() && e["event"] == "step") out.push_back(e["loss"].get<double>());
  }
  return out;
}

}  // namespace

class TestTrain : public QObject {
  Q_OBJECT
 private slots:
  void scheduleWarmsUpThenDecays() {
    train::Schedule s{1e-3, 0.1, 10, 110};
    QCOMPARE(train::lr_at(0, s), 1e-4);
    QCOMPARE(train::lr_at(9, s), 1e-3);
    QVERIFY(std::abs(train::lr_at(60, s) - 0.55e-3) < 1e-12);  // cosine midpoint
    QVERIFY(std::abs(train::lr_at(110, s) - 1e-4) < 1e-12);
    QVERIFY(train::lr_at(30, s) > train::lr_at(31, s));
  }

  void configRejectsUnknownKeysAndEchoesOverrides() {
    train::TrainConfig c;
    auto bad = train::apply_json(c, {{"learning_rate", 1}}, "run.json");
    QVERIFY(!bad.ok());
    QVERIFY(bad.error().where.find("learning_rate") != std::string::npos);
    QVERIFY(!train::apply_json(c, {{"steps", "ten"}}, "run.json").ok());
    QVERIFY(!train::apply_json(c, {{"model", {{"n_layers", 2}}}}, "run.json").ok());
    std::string was, now;
    QVERIFY(train::apply_override(c, "lr", "3e-4", &was, &now).ok());
    QCOMPARE(c.lr, 3e-4);
    QCOMPARE(QString::fromStdString(was), QString("0.001"));
    QVERIFY(train::apply_override(c, "n_embd", "192", &was, &now).ok());
    QVERIFY(train::finalize(c).ok());
    QCOMPARE(c.model.n_embd, 192);
    QCOMPARE(c.model.n_ff, 768);  // follows n_embd
    QCOMPARE(c.seq_len, c.model.n_ctx);
    QVERIFY(!train::apply_override(c, "no_such_key", "1").ok());
  }

  void settingsOutsideTheirRangeNameKeyAndRange() {
    train::TrainConfig c;
    auto s = train::apply_override(c, "threads", "-1");
    QVERIFY(!s.ok());
    QCOMPARE(QString::fromStdString(s.error().to_string()),
             QString("--threads: -1 is out of range [1, 4096] (or 0: all cores)"));
    s = train::apply_json(c, {{"steps", 0}}, "run.json");
    QCOMPARE(QString::fromStdString(s.error().to_string()),
             QString("run.json: steps: 0 is out of range [1, 1000000000]"));
    s = train::apply_json(c, {{"lr", "fast"}}, "run.json");
    QVERIFY(s.error().to_string().find("json.exception") == std::string::npos);
    s = train::apply_json(c, {{"eval_evry", 5}}, "run.json");
    QVERIFY2(s.error().message.find("did you mean 'eval_every'") != std::string::npos,
             s.error().to_string().c_str());
    // Set in code, caught by finalize.
    c = {};
    c.top_k = -3;
    s = train::finalize(c);
    QVERIFY(!s.ok());
    QCOMPARE(QString::fromStdString(s.error().where), QString("top_k"));
  }

  // defaults < resumed checkpoint's train.json < --config file < overrides, applied once.
  void settingsPrecedenceIsAppliedOnce() {
    QTemporaryDir dir;
    const fs::path project = fs::path(dir.path().toStdString()) / "p";
    const fs::path run = project / "checkpoints" / "r";
    fs::create_directories(run / "step-00000004");
    TINYLLM_VERIFY(write_file_atomic(run / "latest.json", R"({"checkpoint": "step-00000004"})"));
    // As a checkpoint stores it, from a run elsewhere: its out_dir and run_id must not win.
    TINYLLM_VERIFY(write_file_atomic(
        run / "step-00000004" / "train.json",
        R"({"lr": 0.002, "steps": 50, "batch_size": 3, "warmup_steps": 5, "out_dir": "/elsewhere",
            "run_id": "old", "model": {"n_layer": 2, "n_head": 2, "n_embd": 64, "n_ff": 256,
            "n_ctx": 32, "n_vocab": 64, "norm_eps": 1e-5}})"));
    const fs::path file = fs::path(dir.path().toStdString()) / "run.json";
    TINYLLM_VERIFY(write_file_atomic(file, R"({"steps": 60, "warmup_steps": 7, "lr": 0.004})"));
    train::TrainRequest request;
    request.project = project;
    request.config_file = file;
    request.overrides = {{"run_id", "r"}, {"resume", "true"}, {"steps", "70"}};
    auto r = train::resolve_train_config(request);
    QVERIFY2(r.ok(), r.ok() ? "" : r.error().to_string().c_str());
    const auto& c = r->config;
    QCOMPARE(c.batch_size, 3);             // checkpoint over default
    QCOMPARE(c.warmup_steps, int64_t(7));  // file over checkpoint
    QCOMPARE(c.lr, 0.004);                 // file over checkpoint
    QCOMPARE(c.steps, int64_t(70));        // override over file
    QCOMPARE(c.model.n_layer, 2);          // the checkpoint's model
    QCOMPARE(QString::fromStdString(c.out_dir), QString::fromStdString(run.string()));
    QCOMPARE(QString::fromStdString(c.run_id), QString("r"));
    QCOMPARE(QString::fromStdString(c.data_dir),
             QString::fromStdString((project / "tokenizer" / "shards").string()));
    QVERIFY(r->resumed_from && *r->resumed_from == run / "step-00000004");
    // One echo per override, with the value it replaced.
    QCOMPARE(r->echo.size(), size_t(3));
    QCOMPARE(QString::fromStdString(r->echo[0]["was"].get<std::string>()), QString("\"run1\""));
    QCOMPARE(QString::fromStdString(r->echo[2]["was"].get<std::string>()), QString("60"));
    QCOMPARE(QString::fromStdString(r->echo[2]["now"].get<std::string>()), QString("70"));
    // Without resume the checkpoint is not read; without a place there is no run.
    request.overrides = {{"run_id", "r"}};
    auto fresh = train::resolve_train_config(request);
    QVERIFY(fresh.ok());
    QCOMPARE(fresh->config.batch_size, 8);
    QVERIFY(!fresh->resumed_from);
    request.project.reset();
    QVERIFY(!train::resolve_train_config(request).ok());
  }

  // docs/events.md's settings list is the table's own Markdown: a setting added, renamed or
  // re-ranged without the docs fails here (the message holds the table to paste).
  void docsListEveryTrainingSetting() {
    train::TrainConfig defaults;
    const std::string table = train::settings_table(defaults).markdown();
    const std::string docs = read_file(fs::path(TINYLLM_SOURCE_DIR) / "docs" / "events.md").value();
    const std::string begin = "<!-- settings-table: begin -->\n",
                      end = "<!-- settings-table: end -->";
    const size_t a = docs.find(begin), b = docs.find(end);
    QVERIFY2(a != std::string::npos && b != std::string::npos, "docs/events.md lacks the markers");
    const std::string documented = docs.substr(a + begin.size(), b - a - begin.size());
    QVERIFY2(documented == table,
             ("docs/events.md differs from the table; expected:\n" + table).c_str());
  }

  void workerRefusesBadSettingsBeforeWritingAnything() {
    QTemporaryDir dir;
    const fs::path out = fs::path(dir.path().toStdString()) / "run";
    int code = -1;
    auto lines = run_worker(tiny_worker_args(out) << "--threads=-1", &code);
    QCOMPARE(code, 1);
    QVERIFY(!lines.empty());
    json e = json::parse(lines.back());
    QCOMPARE(QString::fromStdString(e["where"].get<std::string>()), QString("--threads"));
    QVERIFY(e["message"].get<std::string>().find("[1, 4096]") != std::string::npos);
    QVERIFY(!fs::exists(out));
    lines = run_worker(
        {"sample", "--checkpoint=" + QString::fromStdString(out.string()), "--tokens=-5"}, &code);
    QCOMPARE(code, 1);
    e = json::parse(lines.back());
    QCOMPARE(QString::fromStdString(e["where"].get<std::string>()), QString("--tokens"));
    QVERIFY(e["message"].get<std::string>().find("-5 is out of range") != std::string::npos);
    if (torch::cuda::is_available()) QSKIP("this libtorch has CUDA: --device=cuda is valid here");
    QProcess::ExitStatus status;
    lines = run_worker(tiny_worker_args(out) << "--device=cuda", &code,
                       QProcessEnvironment::systemEnvironment(), &status);
    QCOMPARE(status, QProcess::NormalExit);  // not SIGFPE
    QCOMPARE(code, 1);
    e = json::parse(lines.back());
    QCOMPARE(QString::fromStdString(e["where"].get<std::string>()), QString("device"));
    QVERIFY(!fs::exists(out));  // no stray events file
  }

  void overfitsATinyBatch() {
    // Four fixed random sequences, seen every step: a working model memorizes them.
    QTemporaryDir dir;
    auto c = tiny_config(fs::path(dir.path().toStdString()));
    c.steps = 80;
    c.eval_every = 0;
    c.warmup_steps = 5;
    c.lr = 1e-2;
    c.weight_decay = 0;
    std::vector<int32_t> tokens(4 * 32 + 1);
    uint32_t s = 7;
    for (auto& t : tokens)
      t = int32_t((s = s * 1103515245u + 12345u) >> 16) % 64;
    auto src = train::memory_source(tokens, 64);
    auto r = train_in_process(c, {src, src});
    QVERIFY2(r.outcome.ok(), r.outcome.ok() ? "" : r.outcome.error().to_string().c_str());
    QVERIFY(r.losses.front() > 3.5);  // ~ln 64 = 4.16 at the start
    qInfo("loss %.3f -> %.3f", r.losses.front(), r.losses.back());
    QVERIFY2(r.losses.back() < 0.3, std::to_string(r.losses.back()).c_str());
  }

  void resumeContinuesBitForBit() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    auto data = train::split_tail(train::synthetic_source(20000, 64, 1), 0.1);
    auto full = tiny_config(root / "full");
    auto uninterrupted = train_in_process(full, data);
    QVERIFY(uninterrupted.outcome.ok());
    QCOMPARE(int(uninterrupted.losses.size()), 8);

    auto part = tiny_config(root / "part");
    auto first = train_in_process(part, data, 3);
    QVERIFY(first.outcome.ok());
    QCOMPARE(QString::fromStdString(first.outcome->reason), QString("interrupted"));
    QCOMPARE(int(first.losses.size()), 3);
    part.resume = true;
    auto second = train_in_process(part, data);
    QVERIFY2(second.outcome.ok(),
             second.outcome.ok() ? "" : second.outcome.error().to_string().c_str());
    QCOMPARE(second.events.front()["step"].get<int>(), 3);  // start event: resumed at step 3
    std::vector<double> joined = first.losses;
    joined.insert(joined.end(), second.losses.begin(), second.losses.end());
    QCOMPARE(joined.size(), uninterrupted.losses.size());
    for (size_t i = 0; i < joined.size(); ++i)
      QVERIFY2(joined[i] == uninterrupted.losses[i],
               ("step " + std::to_string(i + 1) + ": " + std::to_string(joined[i]) + " vs " +
                std::to_string(uninterrupted.losses[i]))
                   .c_str());
    QCOMPARE(second.outcome->val_loss, uninterrupted.outcome->val_loss);
  }

  void checkpointRoundTripsThroughSafetensors() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    auto c = tiny_config(root);
    auto m = train::Gpt2::create(c.model, torch::kCPU, 5);
    QVERIFY(m.ok());
    train::AdamW opt(m->flat_params(), m->decay_count(), {});
    m->flat_grads().normal_();
    opt.step(m->flat_grads(), 1e-3);
    train::TrainState st;
    st.step = 42;
    st.adam_steps = 1;
    QVERIFY(train::write_checkpoint(root / "ck", *m, &opt, train::to_json(c), st).ok());
    auto m2 = train::Gpt2::create(c.model, torch::kCPU, 6);  // different init
    train::AdamW opt2(m2->flat_params(), m2->decay_count(), {});
    QVERIFY(!torch::equal(m->flat_params(), m2->flat_params()));
    auto loaded = train::load_checkpoint(root / "ck", *m2, &opt2);
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().to_string().c_str());
    QVERIFY(torch::equal(m->flat_params(), m2->flat_params()));
    QVERIFY(torch::equal(opt.exp_avg(), opt2.exp_avg()));
    QVERIFY(torch::equal(opt.exp_avg_sq(), opt2.exp_avg_sq()));
    QCOMPARE(opt2.steps_taken(), int64_t(1));
    auto info = train::read_checkpoint_info(root / "ck");
    QVERIFY(info.ok());
    QCOMPARE(info->state.step, int64_t(42));
    QVERIFY(info->model == c.model);
    // Hugging Face's config.json sits beside the weights.
    auto hf = json::parse(*read_file(root / "ck" / "config.json"));
    QCOMPARE(hf["model_type"].get<std::string>(), std::string("gpt2"));
    QCOMPARE(hf["activation_function"].get<std::string>(), std::string("gelu_new"));
  }

  void corruptCheckpointGivesAClearError() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    auto c = tiny_config(root);
    auto m = train::Gpt2::create(c.model, torch::kCPU, 5);
    QVERIFY(train::write_checkpoint(root / "ck", *m, nullptr, train::to_json(c), {}).ok());
    const fs::path weights = root / "ck" / "model.safetensors";
    std::string bytes = *read_file(weights);
    bytes[bytes.size() / 2] ^= 0x40;  // one flipped bit in the data
    std::ofstream(weights, std::ios::binary | std::ios::trunc) << bytes;
    auto flipped = train::load_checkpoint(root / "ck", *m, nullptr);
    QVERIFY(!flipped.ok());
    QVERIFY2(flipped.error().message.find("checksum mismatch") != std::string::npos,
             flipped.error().to_string().c_str());
    QVERIFY(flipped.error().where.find("model.safetensors") != std::string::npos);
    std::ofstream(root / "ck" / "state.json", std::ios::trunc) << "{\"step\": ";
    auto bad_state = train::read_checkpoint_info(root / "ck");
    QVERIFY(!bad_state.ok());
    QVERIFY(bad_state.error().where.find("state.json") != std::string::npos);
  }

  // A damaged token shard is refused before training starts, naming the shard and the offset:
  // an id outside the vocabulary exactly where it is, any other change through the checksum.
  void damagedShardIsRefusedBeforeTraining() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    const fs::path shards = root / "shards";
    for (const char* name : {"train_000.bin", "val_000.bin"}) {
      auto w = text::ShardWriter::create(shards / name, 64, 0, 0);
      QVERIFY(w.ok());
      std::vector<int32_t> doc;
      for (int i = 0; i < 2000; ++i)
        doc.push_back((i * 7) % 63 + 1);
      QVERIFY(w->write_document(doc).ok());
      QVERIFY(w->commit().ok());
    }
    QVERIFY(train::open_data_folder(shards, 0.1).ok());
    const fs::path shard = shards / "train_000.bin";
    const std::string good = *read_file(shard);
    const size_t token = 500, at = text::kShardHeaderSize + 2 * token;
    char offset_text[32];
    std::snprintf(offset_text, sizeof offset_text, " @0x%zx", at);

    std::string out_of_range = good;
    out_of_range[at] = char(0xff);  // id 0xff.. >= 64
    out_of_range[at + 1] = char(0x00);
    QVERIFY(write_file_atomic(shard, out_of_range).ok());
    auto refused = train::open_data_folder(shards, 0.1);
    QVERIFY(!refused.ok());
    QCOMPARE(QString::fromStdString(refused.error().where),
             QString::fromStdString(shard.string() + offset_text));
    QVERIFY2(refused.error().message.find("outside the vocabulary") != std::string::npos,
             refused.error().to_string().c_str());

    std::string in_range = good;
    in_range[at] = char(uint8_t(in_range[at]) ^ 0x01);  // still a valid id
    QVERIFY(write_file_atomic(shard, in_range).ok());
    auto checksum = train::open_data_folder(shards, 0.1);
    QVERIFY(!checksum.ok());
    QVERIFY2(checksum.error().where.find(shard.string() + " @0x") == 0,
             checksum.error().to_string().c_str());
    QVERIFY2(checksum.error().message.find("checksum") != std::string::npos,
             checksum.error().to_string().c_str());

    // The worker refuses too, before a single step.
    int code = 0;
    QStringList args = tiny_worker_args(root / "out");
    args[0] = "--data_dir=" + QString::fromStdString(shards.string());
    auto lines = run_worker(args << "--steps=2", &code);
    QVERIFY(code != 0);
    QVERIFY(step_losses(lines).empty());
  }

  // `sample` with a damaged tokenizer file refuses instead of printing raw ids.
  void sampleRefusesADamagedTokenizer() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    auto c = tiny_config(root);
    auto m = train::Gpt2::create(c.model, torch::kCPU, 5);
    QVERIFY(train::write_checkpoint(root / "ck", *m, nullptr, train::to_json(c), {}).ok());
    const fs::path tokenizer = root / "tokenizer.model";
    QVERIFY(write_file_atomic(tokenizer, std::string("\x0a\x40<unk>", 8)).ok());
    int code = 0;
    const QStringList args = {
        "sample", "--checkpoint=" + QString::fromStdString((root / "ck").string()),
        "--tokenizer=" + QString::fromStdString(tokenizer.string()), "--tokens=4"};
    auto lines = run_worker(args, &code);
    QVERIFY(code != 0);
    for (const auto& l : lines)
      QVERIFY2(json::parse(l, nullptr, false).value("event", "") != "sample", l.c_str());
    // With no tokenizer at all the ids are all there is, and that still works.
    lines = run_worker({args[0], args[1], args[3]}, &code);
    QCOMPARE(code, 0);
  }

  // The hook the kill -9 test uses is the caller's: it sees a half-written temporary folder while
  // the checkpoint's own folder does not exist yet.
  void checkpointObserverSeesAHalfWrittenFolder() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    auto c = tiny_config(root);
    auto m = train::Gpt2::create(c.model, torch::kCPU, 5);
    int calls = 0;
    auto observer = [&](const fs::path& temporary) {
      ++calls;
      QVERIFY(fs::exists(temporary / "model.safetensors"));
      QVERIFY(!fs::exists(temporary / "state.json"));
      QVERIFY(!fs::exists(root / "ck"));
    };
    QVERIFY(
        train::write_checkpoint(root / "ck", *m, nullptr, train::to_json(c), {}, observer).ok());
    QCOMPARE(calls, 1);
    QVERIFY(fs::exists(root / "ck" / "state.json"));
    // Which workbench wrote it, from the one version source (base/version.h).
    const json state = json::parse(std::ifstream(root / "ck" / "state.json"), nullptr, false);
    QCOMPARE(state.value("workbench_version", ""), std::string(kWorkbenchVersion));
  }

  void killDuringCheckpointLeavesThePreviousOneUsable() {
    QTemporaryDir dir;
    const fs::path out = fs::path(dir.path().toStdString()) / "run";
    auto env = QProcessEnvironment::systemEnvironment();
    // The worker's test build wires this to its checkpoint hook: it dies inside the 2nd write.
    env.insert("TINYLLM_TRAIN_DEBUG_KILL_IN_CHECKPOINT", "2");
    int code = 0;
    QProcess::ExitStatus status;
    auto args = tiny_worker_args(out);
    args << "--steps=6"
         << "--checkpoint_every=2"
         << "--eval_every=0";
    auto lines = run_worker(args, &code, env, &status);
    QCOMPARE(status, QProcess::CrashExit);  // SIGKILL
    QCOMPARE(int(step_losses(lines).size()), 4);
    auto latest = train::latest_checkpoint(out);
    QVERIFY(latest.ok());
    QCOMPARE(QString::fromStdString(latest->filename().string()), QString("step-00000002"));
    QVERIFY(!fs::exists(out / "step-00000004"));
    // The survivor loads and the run resumes from it to the end.
    auto resumed = run_worker(tiny_worker_args(out) << "--resume", &code);
    QCOMPARE(code, 0);
    QCOMPARE(int(step_losses(resumed).size()), 4);  // steps 3..6
    QCOMPARE(QString::fromStdString(train::latest_checkpoint(out)->filename().string()),
             QString("step-00000006"));
    // The temporary folder of the killed write was cleaned up.
    for (const auto& e : fs::directory_iterator(out))
      QVERIFY2(e.path().filename().string().find(".tmp-") == std::string::npos, e.path().c_str());
  }

  void eventStreamParsesLineByLine() {
    QTemporaryDir dir;
    const fs::path out = fs::path(dir.path().toStdString()) / "run";
    int code = -1;
    auto args = tiny_worker_args(out);
    args << "--steps=4"
         << "--eval_every=2"
         << "--sample_every=4"
         << "--sample_tokens=8"
         << "--checkpoint_every=2";
    auto lines = run_worker(args, &code);
    QCOMPARE(code, 0);
    std::map<std::string, int> seen;
    const std::map<std::string, std::vector<const char*>> required = {
        {"config", {"overrides"}},
        {"start", {"config", "params", "memory_bytes", "device", "steps", "estimate"}},
        {"step", {"step", "loss", "lr", "grad_norm", "tokens_per_s", "mfu", "eta_s"}},
        {"val", {"step", "val_loss", "best_val_loss"}},
        {"sample", {"step", "tokens"}},
        {"checkpoint", {"kind", "step", "path"}},
        {"done", {"reason", "step", "loss", "checkpoint"}}};
    for (const auto& line : lines) {
      json e = json::parse(line, nullptr, false);
      QVERIFY2(!e.is_discarded(), line.c_str());
      QVERIFY2(e.is_object() && e.contains("event"), line.c_str());
      const std::string type = e["event"].get<std::string>();
      QVERIFY2(required.count(type), line.c_str());
      for (const char* field : required.at(type))
        QVERIFY2(e.contains(field), (type + " lacks " + field).c_str());
      ++seen[type];
    }
    QCOMPARE(seen["step"], 4);
    QCOMPARE(seen["val"], 2);
    QCOMPARE(seen["sample"], 1);
    QCOMPARE(seen["done"], 1);
    QCOMPARE(lines.back().find("\"event\":\"done\"") != std::string::npos, true);
    // A bad setting is an error event, and a non-zero exit.
    auto bad = run_worker({"--data_dir=synthetic", "--out_dir=/tmp/x", "--lr=fast"}, &code);
    QVERIFY(code != 0);
    QVERIFY(!bad.empty());
    QCOMPARE(json::parse(bad.back())["event"].get<std::string>(), std::string("error"));
  }

  void sigtermCheckpointsThenExitsCleanly() {
    QTemporaryDir dir;
    const fs::path out = fs::path(dir.path().toStdString()) / "run";
    QProcess p;
    auto args = tiny_worker_args(out);
    args << "--steps=100000"
         << "--eval_every=0"
         << "--checkpoint_every=0";
    p.start(QString::fromStdString(kWorker.string()), args);
    QVERIFY(p.waitForStarted());
    // Wait for the first step event, then ask it to stop.
    QByteArray seen;
    while (!seen.contains("\"event\":\"step\"") && p.waitForReadyRead(30000))
      seen += p.readAllStandardOutput();
    ::kill(pid_t(p.processId()), SIGTERM);
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitStatus(), QProcess::NormalExit);
    QCOMPARE(p.exitCode(), 0);
    seen += p.readAllStandardOutput();
    QVERIFY(seen.contains("\"reason\":\"interrupted\""));
    auto latest = train::latest_checkpoint(out);
    QVERIFY(latest.ok());
    QVERIFY(train::read_checkpoint_info(*latest).ok());
  }

  void pauseFreezesTheWorkerThroughTheRelay_data() {
    QTest::addColumn<int>("processes");
    QTest::newRow("1 process") << 1;
    QTest::newRow("2 processes (DDP)") << 2;
  }

  // `tinyllm train` forwards {"control": ...} lines from its stdin to every worker: while paused
  // the workers' step counter (in the run's events file) and CPU time stand still; after resume
  // both advance; stop while paused checkpoints and ends the run cleanly.
  void pauseFreezesTheWorkerThroughTheRelay() {
    QFETCH(int, processes);
    QTemporaryDir dir;
    const fs::path out = fs::path(dir.path().toStdString()) / "run";
    QStringList args = {"train", "--json", "--nproc", QString::number(processes)};
    args << tiny_worker_args(out) << "--steps=100000"
         << "--eval_every=0"
         << "--checkpoint_every=0";
    QProcess relay;
    QByteArray output;
    connect(&relay, &QProcess::readyReadStandardOutput, this,
            [&] { output += relay.readAllStandardOutput(); });
    relay.start(QString::fromStdString(kCli.string()), args);
    QVERIFY(relay.waitForStarted());
    const fs::path events = out / "events.jsonl";
    QTRY_VERIFY_WITH_TIMEOUT(recorded_step(events) >= 3, 60000);
    std::vector<pid_t> workers;
    QTRY_VERIFY_WITH_TIMEOUT(
        int((workers = test::child_processes(pid_t(relay.processId()), "tinyllm-train")).size()) ==
            processes,
        5000);

    relay.write("{\"control\":\"pause\"}\n");
    QTRY_VERIFY_WITH_TIMEOUT(output.contains("\"event\":\"paused\""), 30000);
    QTest::qWait(300);
    const int paused_step = recorded_step(events);
    const long long paused_cpu = total_cpu_ticks(workers);
    QTest::qWait(2000);
    const long long idle_ticks = total_cpu_ticks(workers) - paused_cpu;
    qInfo("paused at step %d; %lld CPU ticks in 2 s while paused", paused_step, idle_ticks);
    QCOMPARE(recorded_step(events), paused_step);
    QVERIFY2(idle_ticks <= 5 * processes, qPrintable(QString::number(idle_ticks)));  // < 2.5% CPU
    for (pid_t w : workers)
      QVERIFY(test::process_alive(w));

    relay.write("{\"control\":\"resume\"}\n");
    QTRY_VERIFY_WITH_TIMEOUT(recorded_step(events) > paused_step + 2, 30000);
    QTRY_VERIFY_WITH_TIMEOUT(total_cpu_ticks(workers) > paused_cpu, 30000);
    QVERIFY(output.contains("\"event\":\"resumed\""));

    // Stop while paused: a checkpoint at the step it paused at, then a clean end.
    relay.write("{\"control\":\"pause\"}\n");
    QTRY_VERIFY_WITH_TIMEOUT(output.count("\"event\":\"paused\"") == 2, 30000);
    relay.write("{\"control\":\"stop\"}\n");
    QVERIFY(relay.waitForFinished(60000));
    output += relay.readAllStandardOutput();
    QCOMPARE(relay.exitCode(), 0);
    QVERIFY(output.contains("\"reason\":\"interrupted\""));
    QVERIFY(train::latest_checkpoint(out).ok());
  }

  void dataParallelMatchesOneProcess() {
    // Same global batch: 1 process x 2 micro-batches of 2 vs 2 processes x 1 micro-batch of 2.
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    auto common = [&](const char* name) {
      QStringList a = tiny_worker_args(root / name);
      a << "--steps=5"
        << "--batch_size=2"
        << "--batch_tokens=128"
        << "--eval_every=5"
        << "--checkpoint_every=0";
      return a;
    };
    int code = -1;
    auto single = step_losses(run_worker(common("one"), &code));
    QCOMPARE(code, 0);
    QCOMPARE(int(single.size()), 5);

    const int port = 29000 + int(QRandomGenerator::global()->bounded(2000));
    QProcess ranks[2];
    for (int r = 0; r < 2; ++r) {
      QStringList a = common("two");
      a << QString("--rank=%1").arg(r) << "--world_size=2"
        << "--dist_addr=127.0.0.1" << QString("--dist_port=%1").arg(port);
      ranks[r].start(QString::fromStdString(kWorker.string()), a);
    }
    for (auto& p : ranks) {
      QVERIFY(p.waitForFinished(120000));
      if (p.exitCode() != 0) qWarning("%s", p.readAllStandardError().constData());
      QCOMPARE(p.exitCode(), 0);
    }
    std::vector<std::string> lines;
    for (const QByteArray& l : ranks[0].readAllStandardOutput().split('\n'))
      if (!l.isEmpty()) lines.push_back(l.toStdString());
    auto parallel = step_losses(lines);
    QCOMPARE(parallel.size(), single.size());
    for (size_t i = 0; i < single.size(); ++i) {
      qInfo("step %zu: 1 process %.6f, 2 processes %.6f", i + 1, single[i], parallel[i]);
      QVERIFY(std::abs(single[i] - parallel[i]) < 1e-4 * std::abs(single[i]));
    }
    QVERIFY(ranks[1].readAllStandardOutput().isEmpty());  // only rank 0 speaks
  }
};

QTEST_GUILESS_MAIN(TestTrain)
#include "test_train.moc"
