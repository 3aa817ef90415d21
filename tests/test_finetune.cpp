// Fine-tuning (core/train: task_data.h, run_finetuning) and its worker: the loss is on the answers
// only, the answers' trie scores exactly what a plain forward pass would, a tiny model learns a
// synthetic task, a resumed fine-tune continues bit for bit, and the CLI takes the demo project
// through fine-tuning and evaluation (beating the majority baseline) and refuses examples that
// do not fit the context. Tiny models keep every case to seconds.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <set>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "train/checkpoint.h"
#include "train/gpt2.h"
#include "train/task_data.h"
#include "train/train.h"

using namespace tinyllm;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

const fs::path kCli = fs::path(TINYLLM_BINARY_DIR) / "bin" / "tinyllm";

model::ModelConfig tiny_model(int vocab = 32, int n_ctx = 48) {
  model::ModelConfig m;
  m.n_layer = 2;
  m.n_head = 2;
  m.n_embd = 32;
  m.n_ff = 128;
  m.n_ctx = n_ctx;
  m.n_vocab = vocab;
  return m;
}

uint32_t next(uint32_t& s) {
  s = s * 1103515245u + 12345u;
  return s >> 16;
}

// Class c's prompt: noise tokens 8..31 with the marker token 4 + c somewhere in them; its
// response: the class token 20 + c then the end token 2 (answers share nothing but the end).
train::TokenExample synthetic_example(int label, uint32_t& seed) {
  train::TokenExample e;
  const int length = 6 + int(next(seed) % 10);
  const int at = int(next(seed) % uint32_t(length));
  for (int i = 0; i < length; ++i)
    e.prompt.push_back(i == at ? 4 + label : 8 + int32_t(next(seed) % 24));
  e.prompt.push_back(3);  // the "### Response:" marker
  e.response = {20 + label, 2};
  e.label = label;
  return e;
}

train::TaskData synthetic_task(size_t train_count, size_t val_count) {
  uint32_t seed = 11;
  std::vector<train::TokenExample> train, val;
  for (size_t i = 0; i < train_count; ++i)
    train.push_back(synthetic_example(int(i % 3), seed));
  for (size_t i = 0; i < val_count; ++i)
    val.push_back(synthetic_example(int(i % 3), seed));
  train::TaskData task;
  task.train = train::memory_examples(std::move(train), "synthetic train");
  task.val = train::memory_examples(std::move(val), "synthetic val");
  task.classes = {"a", "b", "c"};
  task.answers = {{20, 2}, {21, 2}, {22, 2}};
  task.vocab_size = 32;
  return task;
}

train::TrainConfig finetune_config(const fs::path& out) {
  train::TrainConfig c;
  c.objective = "finetune";
  c.model_overrides = {{"n_layer", 2}, {"n_head", 2},   {"n_embd", 32},
                       {"n_ctx", 48},  {"n_vocab", 32}, {"n_ff", 128}};
  c.out_dir = out.string();
  c.batch_size = 8;
  c.steps = 8;
  c.warmup_steps = 2;
  c.lr = 3e-3;
  c.eval_every = 4;
  c.checkpoint_every = 0;
  c.threads = 1;
  c.peak_flops = 1e10;
  c.augment = false;
  if (!train::finalize(c).ok()) qFatal("tiny config does not finalize");
  return c;
}

struct Run {
  std::vector<json> events;
  std::vector<double> losses;
  Result<train::TrainOutcome> outcome = Error{};
};

Run finetune(const train::TrainConfig& c, const train::TaskData& task, int stop_after = 0) {
  Run run;
  std::atomic<bool> stop{false};
  auto sink = [&](const json& e) {
    run.events.push_back(e);
    if (e["event"] == "step") {
      run.losses.push_back(e["loss"].get<double>());
      if (stop_after > 0 && e["step"].get<int>() == stop_after) stop = true;
    }
  };
  run.outcome = train::run_finetuning(c, task, sink, &stop);
  return run;
}

struct CliResult {
  int code;
  QString out, err;
};

CliResult run_cli(const QStringList& args, int timeout_ms = 600000) {
  QProcess p;
  p.start(QString::fromStdString(kCli.string()), args);
  if (!p.waitForFinished(timeout_ms)) qWarning("tinyllm did not finish");
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
          QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

}  // namespace

class TestFinetune : public QObject {
  Q_OBJECT
 private slots:
  void promptTokensCarryNoLoss() {
    // Batch: two examples of different lengths; the loss must be the mean cross-entropy of the
    // response tokens alone, whatever the prompt says.
    train::TokenExample a{{5, 6, 7, 3}, {20, 2}, 0}, b{{9, 3}, {21, 22, 2}, 1};
    torch::Tensor x, y;
    train::build_batch({a, b}, x, y);
    QCOMPARE(x.size(1), 5);  // the longest example (a: 6 tokens) minus one
    // a: targets 6, 7, 3 are prompt (no loss), 20 and 2 are the response.
    const std::vector<int64_t> ya = {-1, -1, -1, 20, 2}, yb = {-1, 21, 22, 2, -1};
    for (int64_t t = 0; t < 5; ++t) {
      QCOMPARE(y[0][t].item<int64_t>(), ya[size_t(t)]);
      QCOMPARE(y[1][t].item<int64_t>(), yb[size_t(t)]);
    }
    torch::manual_seed(0);
    auto model = train::Gpt2::create(tiny_model(), torch::kCPU, 3);
    QVERIFY(model.ok());
    torch::NoGradGuard no_grad;
    const double loss = model->loss(x, y).item<double>();
    // By hand: -log p(target) at the five response positions, averaged.
    auto logp = torch::log_softmax(model->forward(x), -1);
    double sum = 0;
    int count = 0;
    for (int r = 0; r < 2; ++r)
      for (int64_t t = 0; t < 5; ++t)
        if (y[r][t].item<int64_t>() >= 0) {
          sum -= logp[r][t][y[r][t].item<int64_t>()].item<double>();
          ++count;
        }
    QCOMPARE(count, 5);
    QVERIFY(std::abs(loss - sum / count) < 1e-5);
    // Changing a prompt token's *target* slot cannot change the loss: it has none. Changing the
    // prompt changes the response's context, so that does (the mask is not hiding everything).
    auto x2 = x.clone();
    x2[0][1] = 12;
    QVERIFY(std::abs(model->loss(x2, y).item<double>() - loss) > 1e-7);
  }

  void answerTrieScoresWhatAForwardPassWould() {
    // Answers sharing a prefix and of different lengths; prompts of different lengths in one
    // batch (left padding). Each score must equal the log-probability a plain causal forward
    // pass over prompt + answer gives.
    auto model = train::Gpt2::create(tiny_model(), torch::kCPU, 5);
    QVERIFY(model.ok());
    const std::vector<std::vector<int32_t>> answers = {
        {10, 11, 2}, {10, 12, 2}, {13, 2}, {10, 11, 14, 2}};
    const std::vector<std::vector<int32_t>> prompts = {{5, 6, 7, 8, 3}, {9, 3}, {4, 4, 4, 3}};
    train::AnswerTrie trie(answers);
    QCOMPARE(int(trie.nodes()), 9);  // 10, 11, 2, 12, 2, 13, 2, 14, 2: the prefix 10 11 is shared
    const auto scores = trie.score(*model, prompts, 2);
    torch::NoGradGuard no_grad;
    for (size_t p = 0; p < prompts.size(); ++p)
      for (size_t a = 0; a < answers.size(); ++a) {
        std::vector<int64_t> ids(prompts[p].begin(), prompts[p].end());
        ids.insert(ids.end(), answers[a].begin(), answers[a].end());
        auto x = torch::tensor(ids).unsqueeze(0);
        auto logp = torch::log_softmax(model->forward(x), -1);
        double expected = 0;
        for (size_t j = 0; j < answers[a].size(); ++j)
          expected += logp[0][int64_t(prompts[p].size() + j - 1)][answers[a][j]].item<double>();
        QVERIFY2(std::abs(scores[int64_t(p)][int64_t(a)].item<double>() - expected) < 1e-4,
                 (std::to_string(p) + "/" + std::to_string(a)).c_str());
      }
    // The prediction is always one of the answers.
    const auto best = scores.argmax(1);
    for (int64_t p = 0; p < best.size(0); ++p)
      QVERIFY(best[p].item<int64_t>() >= 0 && best[p].item<int64_t>() < int64_t(answers.size()));
  }

  void learnsASyntheticTask() {
    QTemporaryDir dir;
    auto c = finetune_config(fs::path(dir.path().toStdString()) / "run");
    c.steps = 150;
    c.eval_every = 50;
    c.warmup_steps = 10;
    const auto task = synthetic_task(96, 30);
    auto run = finetune(c, task);
    QVERIFY2(run.outcome.ok(), run.outcome.ok() ? "" : run.outcome.error().to_string().c_str());
    double first_accuracy = -1;
    for (const auto& e : run.events)
      if (e["event"] == "val") {
        QVERIFY(e.contains("val_accuracy"));
        if (first_accuracy < 0) first_accuracy = e["val_accuracy"].get<double>();
      }
    qInfo("val accuracy %.2f -> best %.2f", first_accuracy, run.outcome->best_val_accuracy);
    QVERIFY(run.outcome->best_val_accuracy >= 0.7);  // majority: 1/3
    QVERIFY(fs::exists(fs::path(c.out_dir) / "best" / "model.safetensors"));
  }

  void resumedFinetuneContinuesBitForBit() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    const auto task = synthetic_task(40, 12);
    auto full = finetune_config(root / "full");
    auto uninterrupted = finetune(full, task);
    QVERIFY(uninterrupted.outcome.ok());
    auto part = finetune_config(root / "part");
    auto first = finetune(part, task, 3);
    QVERIFY(first.outcome.ok());
    QCOMPARE(QString::fromStdString(first.outcome->reason), QString("interrupted"));
    part.resume = true;
    auto second = finetune(part, task);
    QVERIFY2(second.outcome.ok(),
             second.outcome.ok() ? "" : second.outcome.error().to_string().c_str());
    std::vector<double> joined = first.losses;
    joined.insert(joined.end(), second.losses.begin(), second.losses.end());
    QCOMPARE(joined.size(), uninterrupted.losses.size());
    for (size_t i = 0; i < joined.size(); ++i)
      QCOMPARE(joined[i], uninterrupted.losses[i]);
    QCOMPARE(second.outcome->val_loss, uninterrupted.outcome->val_loss);
    // The same weights, byte for byte.
    const auto a = read_file(root / "full" / "step-00000008" / "model.safetensors");
    const auto b = read_file(root / "part" / "step-00000008" / "model.safetensors");
    QVERIFY(a.ok() && b.ok());
    QVERIFY(*a == *b);
  }

  // LoRA: the adapted model starts exactly at its base; training moves only the adapters (the
  // base checkpoint's file and the frozen weights stay as they were); model.safetensors holds
  // the merged weights, which a plain GPT-2 loads and runs exactly as the adapted model; and the
  // adapters alone learn the task.
  void loraTrainsAdaptersAndMergesIntoAPlainCheckpoint() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    const auto task = synthetic_task(96, 30);
    auto base = finetune_config(root / "base");  // a barely trained starting point
    base.steps = 4;
    QVERIFY(finetune(base, task).outcome.ok());
    const fs::path base_dir = root / "base" / "best";
    const auto base_bytes = read_file(base_dir / "model.safetensors");
    QVERIFY(base_bytes.ok());

    // Adapters on a model change nothing until they are trained.
    auto model = train::Gpt2::create(tiny_model(), torch::kCPU, 1);
    QVERIFY(model.ok());
    QVERIFY(train::load_checkpoint(base_dir, *model, nullptr).ok());
    const auto idx = torch::randint(0, 32, {2, 12}, torch::kInt64);
    const auto before = model->forward(idx).detach();
    QVERIFY(model->add_lora({4, 8, 0.0, {"attn.c_attn", "mlp.c_fc"}}, 9).ok());
    QVERIFY(torch::equal(model->forward(idx), before));
    QCOMPARE(int(model->lora_parameters().size()), 2 * 2 * 2);  // 2 blocks x 2 matmuls x A, B

    auto lora = finetune_config(root / "lora");
    lora.init_from = base_dir.string();
    lora.lora_rank = 4;
    lora.lora_alpha = 8;
    lora.steps = 150;
    lora.eval_every = 50;
    lora.warmup_steps = 10;
    lora.lr = 1e-2;
    auto run = finetune(lora, task);
    QVERIFY2(run.outcome.ok(), run.outcome.ok() ? "" : run.outcome.error().to_string().c_str());
    const json start = run.events.front();
    QCOMPARE(start["lora"]["rank"].get<int>(), 4);
    QVERIFY(start["trainable_params"].get<int64_t>() < start["params"].get<int64_t>() / 4);
    qInfo("LoRA: %lld of %lld weights trained, best val accuracy %.2f",
          static_cast<long long>(start["trainable_params"].get<int64_t>()),
          static_cast<long long>(start["params"].get<int64_t>()), run.outcome->best_val_accuracy);
    QVERIFY(run.outcome->best_val_accuracy >= 0.7);  // majority: 1/3
    QVERIFY(*read_file(base_dir / "model.safetensors") == *base_bytes);

    // The merged checkpoint in a plain model = the base with its trained adapters.
    const fs::path best = root / "lora" / "best";
    QVERIFY(fs::exists(best / "lora.safetensors"));
    auto plain = train::Gpt2::create(tiny_model(), torch::kCPU, 2);
    QVERIFY(train::load_checkpoint(best, *plain, nullptr).ok());
    auto adapted = train::Gpt2::create(tiny_model(), torch::kCPU, 3);
    QVERIFY(train::load_checkpoint(base_dir, *adapted, nullptr).ok());
    QVERIFY(adapted->add_lora({4, 8, 0.05, lora.lora_targets}, 4).ok());
    QVERIFY(train::load_checkpoint(best, *adapted, nullptr).ok());
    torch::NoGradGuard no_grad;  // (also: no adapter dropout)
    const auto merged_logits = plain->forward(idx), adapted_logits = adapted->forward(idx);
    QVERIFY(!torch::allclose(merged_logits, before, 1e-3, 1e-3));  // it did learn something
    QVERIFY(torch::allclose(merged_logits, adapted_logits, 1e-4, 1e-4));
    QVERIFY(torch::equal(adapted->find("h.0.attn.c_attn.weight")->value,
                         model->find("h.0.attn.c_attn.weight")->value));  // base frozen
  }

  void resumedLoraRunContinuesBitForBit() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    const auto task = synthetic_task(40, 12);
    auto base = finetune_config(root / "base");
    base.steps = 4;
    QVERIFY(finetune(base, task).outcome.ok());
    auto lora_config = [&](const fs::path& out) {
      auto c = finetune_config(out);
      c.init_from = (root / "base" / "best").string();
      c.lora_rank = 2;
      c.lora_dropout = 0.3;  // masks must be the same after resume too
      return c;
    };
    auto full = lora_config(root / "full");
    auto uninterrupted = finetune(full, task);
    QVERIFY2(uninterrupted.outcome.ok(),
             uninterrupted.outcome.ok() ? "" : uninterrupted.outcome.error().to_string().c_str());
    auto part = lora_config(root / "part");
    QVERIFY(finetune(part, task, 3).outcome.ok());
    part.resume = true;
    auto second = finetune(part, task);
    QVERIFY2(second.outcome.ok(),
             second.outcome.ok() ? "" : second.outcome.error().to_string().c_str());
    for (const char* file : {"model.safetensors", "lora.safetensors"}) {
      const auto a = read_file(root / "full" / "step-00000008" / file);
      const auto b = read_file(root / "part" / "step-00000008" / file);
      QVERIFY(a.ok() && b.ok());
      QVERIFY2(*a == *b, file);
    }

    // A LoRA run whose base was retrained since is not resumed on the new weights.
    base.steps = 6;
    base.out_dir = (root / "base").string();
    QVERIFY(finetune(base, task).outcome.ok());  // rewrites base/best
    part.steps = 10;
    auto refused = finetune(part, task);
    QVERIFY(!refused.outcome.ok());
    QVERIFY2(refused.outcome.error().message.find("other weights") != std::string::npos,
             refused.outcome.error().to_string().c_str());
  }

  void loraNeedsAStartingPointAndRealTargets() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    auto c = finetune_config(root / "run");
    c.lora_rank = 4;
    const auto refused = train::finalize(c);
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().message.find("pre-trained") != std::string::npos,
             refused.error().to_string().c_str());
    auto model = train::Gpt2::create(tiny_model(), torch::kCPU, 1);
    const auto bad = model->add_lora({4, 8, 0.0, {"attn.c_atn"}}, 1);
    QVERIFY(!bad.ok());
    QVERIFY2(bad.error().message.find("\"attn.c_atn\" matches no matmul") != std::string::npos,
             bad.error().to_string().c_str());
    // One block only.
    QVERIFY(model->add_lora({4, 8, 0.0, {"h.1.mlp.c_fc"}}, 1).ok());
    QCOMPARE(int(model->lora_parameters().size()), 2);
    QCOMPARE(QString::fromStdString(model->lora_parameters()[0].spec.name),
             QString("h.1.mlp.c_fc.lora_A"));
  }

  // Position answers: decoding held to "x=N y=N<end>" always gives a parseable answer, even from
  // an untrained model; a tiny model learns a synthetic position task, validated by the mean
  // error in metres.
  void positionTaskDecodesOnTheFormAndLearns() {
    // Tokens: 10..19 digits, 20 "x=", 21 " y=", 22 the end, 23 ".", 24 "-"; 1..8 and 25..31 are
    // letters no answer uses.
    std::vector<std::string> texts(32);
    for (int i = 0; i < 32; ++i)
      texts[size_t(i)] = std::string(1, char('a' + i % 26));
    texts[0] = "";
    for (int d = 0; d < 10; ++d)
      texts[size_t(10 + d)] = std::string(1, char('0' + d));
    texts[20] = "x=";
    texts[21] = " y=";
    texts[22] = "\n### End";
    texts[23] = ".";
    texts[24] = "-";
    // Where the example was is in its prompt: token 1 + x and token 5 + y among noise.
    auto example = [](int x, int y, uint32_t& seed) {
      train::TokenExample e;
      for (int i = 0; i < 8; ++i)
        e.prompt.push_back(25 + int32_t(next(seed) % 7));
      e.prompt[next(seed) % 4] = 1 + x;
      e.prompt[4 + next(seed) % 4] = 5 + y;
      e.prompt.push_back(9);  // the response marker
      e.response = {20, 10 + x, 21, 10 + y, 22};
      return e;
    };
    uint32_t seed = 5;
    std::vector<train::TokenExample> train_examples, val_examples;
    std::vector<text::Position> targets;
    for (int i = 0; i < 96; ++i)
      train_examples.push_back(example(i % 4, (i / 4) % 4, seed));
    for (int i = 0; i < 16; ++i) {
      val_examples.push_back(example(i % 4, i / 4, seed));
      targets.push_back({double(i % 4), double(i / 4)});
    }
    train::TaskData task;
    task.train = train::memory_examples(train_examples, "positions train");
    task.val = train::memory_examples(val_examples, "positions val");
    task.vocab_size = 32;
    task.form = std::make_shared<text::PositionForm>();
    task.token_texts = texts;
    task.val_targets = targets;

    // Untrained: every answer is on the form and parses.
    auto untrained = train::Gpt2::create(tiny_model(), torch::kCPU, 3);
    std::vector<std::vector<int32_t>> prompts;
    for (const auto& e : val_examples)
      prompts.push_back(e.prompt);
    for (const auto& d : train::decode_with_form(*untrained, prompts, texts, *task.form, 32, 5)) {
      QVERIFY2(d.complete, d.text.c_str());
      QVERIFY2(text::parse_position(d.text), d.text.c_str());
    }

    QTemporaryDir dir;
    auto c = finetune_config(fs::path(dir.path().toStdString()) / "run");
    c.steps = 600;
    c.lr = 1e-2;
    c.eval_every = 50;
    c.warmup_steps = 10;
    auto run = finetune(c, task);
    QVERIFY2(run.outcome.ok(), run.outcome.ok() ? "" : run.outcome.error().to_string().c_str());
    double first = -1;
    for (const auto& e : run.events)
      if (e["event"] == "val") {
        QVERIFY(e.contains("val_error_m") && !e.contains("val_accuracy"));
        if (first < 0) first = e["val_error_m"].get<double>();
      }
    qInfo("validation error %.2f m -> best %.2f m (%lld steps)", first, run.outcome->best_val_error,
          static_cast<long long>(run.outcome->step));
    QVERIFY(run.outcome->best_val_error >= 0);
    QVERIFY(run.outcome->best_val_error < 0.5);  // guessing the middle: ~1.4 m (measured: 0.0)
  }

  void refusesAnAnswerSetMismatch() {
    QTemporaryDir dir;
    auto c = finetune_config(fs::path(dir.path().toStdString()) / "run");
    auto task = synthetic_task(8, 4);
    task.answers.pop_back();
    auto run = finetune(c, task);
    QVERIFY(!run.outcome.ok());
    QVERIFY(run.outcome.error().message.find("answer set") != std::string::npos);
  }

  // The demo project through the CLI: a context check that refuses long text forms, then a tiny
  // fine-tune from scratch and an evaluation whose model beats the majority baseline.
  // A position task through the CLI on real fingerprints (UJIIndoorLoc's validation file): the
  // fine-tune validates by the error in metres, and the evaluation decodes every answer on the
  // form "x=.. y=..", reports mean/median/p90 metres beside the baselines, with no answer lost.
  void positionTaskThroughTheCli() {
    const fs::path csv =
        fs::path(TINYLLM_SHARED_DIR) / "datasets" / "ujiindoorloc" / "validationData.csv";
    if (!fs::exists(csv)) QSKIP("../shared/datasets is missing: the real-data tests need it");
    QTemporaryDir dir;
    const QString project = dir.path() + "/uji";
    auto r = run_cli({"project", "new", project, "--task", "localization"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"data", "import", "--project", project, QString::fromStdString(csv.string())});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"data", "prepare", "--project", project, "--set", "task=position"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"tokenizer", "train", "--project", project, "--quiet"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"finetune", "--project", project, "--from", "scratch", "--steps", "40",
                 "--n_layer", "1", "--n_embd", "64", "--n_head", "2", "--eval_every", "20",
                 "--threads", "2", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err + r.out.right(2000)));
    int validations = 0;
    for (const auto& line : r.out.split('\n', Qt::SkipEmptyParts)) {
      const json e = json::parse(line.toStdString(), nullptr, false);
      if (e.is_object() && e.value("event", "") == "val") {
        QVERIFY2(e["val_error_m"].is_number(), line.toUtf8().constData());
        ++validations;
      }
    }
    QCOMPARE(validations, 2);
    r = run_cli({"eval", "--project", project, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const json report = json::parse(r.out.toStdString());
    QCOMPARE(report["kind"].get<std::string>(), std::string("position"));
    const json& model = report["position"]["model"];
    QCOMPARE(model["unparseable"].get<int>(), 0);
    QVERIFY(model["mean_m"].get<double>() > 0);
    QVERIFY(model["median_m"].get<double>() <= model["p90_m"].get<double>());
    std::vector<std::string> baselines;
    for (const auto& b : report["position"]["baselines"]) {
      baselines.push_back(b["name"].get<std::string>());
      QVERIFY(b["mean_m"].get<double>() > 0);
    }
    QVERIFY(baselines.size() >= 2);
    qInfo("UJI position after 40 steps: model %.1f m, %s %.1f m, %s %.1f m",
          model["mean_m"].get<double>(), baselines[0].c_str(),
          report["position"]["baselines"][0]["mean_m"].get<double>(), baselines[1].c_str(),
          report["position"]["baselines"][1]["mean_m"].get<double>());
    QVERIFY(fs::exists(fs::path(project.toStdString()) / "reports" / "ft1-test" / "report.html"));
    // Free decoding is for answers from a label set: refused here, with the reason.
    r = run_cli({"eval", "--project", project, "--decoding", "free"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("free decoding is for classification tasks"), qPrintable(r.err));
  }

  void demoFinetunesAndBeatsTheMajorityBaseline() {
    QTemporaryDir dir;
    const QString project = dir.path() + "/demo";
    auto r = run_cli({"project", "new", project, "--demo", "imu"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    // The paper's channel lists at 50 Hz do not fit a 256-token context: refused, with numbers.
    r = run_cli({"data", "prepare", "--project", project, "--set", "style=channel-lists"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"tokenizer", "train", "--project", project, "--quiet"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"finetune", "--project", project, "--from", "scratch", "--steps", "5"});
    QCOMPARE(r.code, 1);
    QVERIFY2(r.err.contains("do not fit the model's context of 256 tokens"), qPrintable(r.err));
    QVERIFY(r.err.contains("style=levels"));
    QVERIFY(!fs::exists(fs::path(project.toStdString()) / "finetune"));  // nothing started
    // The default text form fits; a tiny fine-tune learns the gestures.
    r = run_cli({"data", "prepare", "--project", project, "--set", "style=levels"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"tokenizer", "train", "--project", project, "--quiet"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"finetune", "--project", project, "--check", "--from", "scratch", "--json"});
    QCOMPARE(r.code, 0);
    const json check = json::parse(r.out.toStdString());
    QVERIFY(check["ok"].get<bool>());
    QVERIFY(check["max_tokens"].get<int>() <= 256);
    r = run_cli({"finetune", "--project", project, "--from", "scratch", "--steps", "200",
                 "--n_layer", "2", "--n_embd", "64", "--n_head", "2", "--lr", "3e-3",
                 "--eval_every", "50", "--threads", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err + r.out.right(2000)));
    QVERIFY(r.out.contains("val  step 50  accuracy"));
    r = run_cli({"eval", "--project", project, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const json report = json::parse(r.out.toStdString());
    const double model_accuracy = report["model"]["accuracy"].get<double>();
    double majority = -1;
    for (const auto& b : report["baselines"])
      if (b["name"] == "majority") majority = b["accuracy"].get<double>();
    qInfo("demo: model %.3f, majority %.3f", model_accuracy, majority);
    QVERIFY(majority >= 0);
    QVERIFY(model_accuracy > majority + 0.1);
    // The report is in the project, as JSON and as a page.
    const fs::path reports = fs::path(project.toStdString()) / "reports" / "ft1-test";
    QVERIFY(fs::exists(reports / "report.json"));
    QVERIFY(fs::exists(reports / "report.html"));
    // Free decoding: the model writes its answer, scored with the paper's rule. Every example is
    // right, wrong with one label, without a label or with several: the counts add up.
    r = run_cli({"eval", "--project", project, "--decoding", "free", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const json free_report = json::parse(r.out.toStdString());
    QCOMPARE(free_report["decoding"].get<std::string>(), std::string("free"));
    QCOMPARE(report["decoding"].get<std::string>(), std::string("constrained"));
    const json& fm = free_report["model"];
    const int examples = free_report["examples"].get<int>();
    QCOMPARE(examples, report["examples"].get<int>());
    int with_one_label = 0, right = 0;
    for (size_t t = 0; t < fm["confusion"].size(); ++t)
      for (size_t p = 0; p < fm["confusion"][t].size(); ++p) {
        with_one_label += fm["confusion"][t][p].get<int>();
        if (t == p) right += fm["confusion"][t][p].get<int>();
      }
    const int no_label = fm["no_label"].get<int>(), several = fm["several_labels"].get<int>();
    QCOMPARE(with_one_label + no_label + several, examples);
    QCOMPARE(fm["unparseable"].get<int>(), no_label + several);
    QCOMPARE(fm["accuracy"].get<double>(), double(right) / examples);
    QVERIFY(free_report["max_tokens"].get<int>() > 2);
    qInfo("demo, free decoding: accuracy %.3f (constrained %.3f), no label %d, several %d",
          fm["accuracy"].get<double>(), model_accuracy, no_label, several);
    // Its own report beside the constrained one, which it leaves as it was; the table says it.
    const fs::path free_reports = fs::path(project.toStdString()) / "reports" / "ft1-test-free";
    QVERIFY(fs::exists(free_reports / "report.html"));
    QCOMPARE(json::parse(*read_file(reports / "report.json"))["decoding"].get<std::string>(),
             std::string("constrained"));
    QVERIFY(read_file(free_reports / "report.html")->find("Free decoding") != std::string::npos);
    r = run_cli({"eval", "--project", project, "--decoding", "free"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(r.out.contains("free decoding") && r.out.contains("no label:"), qPrintable(r.out));
    r = run_cli({"eval", "--project", project, "--max-tokens", "5"});
    QCOMPARE(r.code, 1);  // a limit for free decoding only
    // The step table says Fine-tune is done.
    r = run_cli({"project", "info", project, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const json info = json::parse(r.out.toStdString());
    bool done = false;
    for (const auto& s : info["steps"])
      if (s["id"] == "finetune") done = s["state"] == "done";
    QVERIFY2(done, r.out.toUtf8().constData());
  }

  // k folds over whole people: a model fine-tuned per fold (the run's settings) and evaluated on
  // the fold's people, beside the baselines on the same folds; every person is tested once.
  void foldsFineTuneAModelPerFoldOfPeople() {
    QTemporaryDir dir;
    const QString project = dir.path() + "/demo";
    auto r = run_cli({"project", "new", project, "--demo", "imu"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"data", "prepare", "--project", project});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"tokenizer", "train", "--project", project, "--quiet"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    r = run_cli({"finetune", "--project", project, "--from", "scratch", "--steps", "10",
                 "--n_layer", "1", "--n_embd", "32", "--n_head", "2", "--n_ff", "64",
                 "--eval_every", "5", "--threads", "2"});
    QVERIFY2(r.code == 0, qPrintable(r.err + r.out.right(2000)));
    r = run_cli({"eval", "--project", project, "--folds", "3", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err + r.out.right(2000)));
    const json report = json::parse(r.out.toStdString());
    QCOMPARE(report["folds"].size(), size_t(3));
    std::set<std::string> tested;
    for (const auto& f : report["folds"]) {
      const double accuracy = f["model"]["accuracy"].get<double>();
      QVERIFY(accuracy >= 0 && accuracy <= 1);
      QVERIFY(f["baselines"].contains("knn"));
      for (const auto& s : f["test_subjects"])
        QVERIFY2(tested.insert(s.get<std::string>()).second, s.dump().c_str());
      const fs::path run = fs::path(project.toStdString()) / "reports" / "ft1-test-folds" /
                           "folds" / ("fold-" + std::to_string(f["fold"].get<int>() + 1)) / "run";
      QVERIFY2(fs::exists(run / "best" / "model.safetensors"), run.string().c_str());
    }
    QCOMPARE(tested, (std::set<std::string>{"p01", "p02", "p03", "p04", "p05", "p06"}));
    const json& summary = report["folds_summary"]["model"];
    QVERIFY(summary["min"].get<double>() <= summary["mean"].get<double>() &&
            summary["mean"].get<double>() <= summary["max"].get<double>());
  }
};

QTEST_GUILESS_MAIN(TestFinetune)
#include "test_finetune.moc"
