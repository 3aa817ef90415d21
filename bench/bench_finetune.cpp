// bench_finetune: step 3's costs on the CPU presets, each beside a reference measured in the same
// run:
//   - fine-tuning tokens/s (real, unpadded tokens; loss on the answers) beside pre-training
//     tokens/s (full sequences) of the same preset, batch and thread count;
//   - evaluation examples/s with constrained decoding (the answers' trie in one pass) beside free
//     decoding of the same prompts as `tinyllm eval --decoding free` runs it (train::decode_free,
//     up to the longest answer + 4 tokens) and beside scoring each answer with its own forward
//     pass.
// Prompts are synthetic (uniform random tokens) of the length the task examples have in practice.
//
//   bench_finetune [--threads N] [--prompt TOKENS] [--classes N] [--examples N] [--steps N]
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "model/config.h"
#include "train/gpt2.h"
#include "train/optimizer.h"
#include "train/task_data.h"

using namespace tinyllm;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::vector<int32_t> random_tokens(size_t n, int vocab, uint32_t& seed) {
  std::vector<int32_t> out(n);
  for (auto& t : out) {
    seed = seed * 1103515245u + 12345u;
    t = int32_t((seed >> 8) % uint32_t(vocab));
  }
  return out;
}

// Steps of forward + backward + AdamW on (x, y); returns tokens/s counting `tokens_per_step`.
double train_rate(train::Gpt2& model, const torch::Tensor& x, const torch::Tensor& y,
                  double tokens_per_step, int steps) {
  train::AdamW opt(model.flat_params(), model.decay_count(), {});
  auto step = [&] {
    model.flat_grads().zero_();
    auto loss = model.loss(x, y);
    loss.backward();
    train::clip_grad_norm(model.flat_grads(), 1.0);
    opt.step(model.flat_grads(), 1e-4);
    (void)loss.item<double>();
  };
  step();  // warm-up
  const auto t0 = Clock::now();
  for (int i = 0; i < steps; ++i)
    step();
  return tokens_per_step * steps / seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, prompt = 140, classes = 4, examples = 40, steps = 10, batch = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    const int v = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--threads"))
      threads = v;
    else if (!std::strcmp(argv[i], "--prompt"))
      prompt = v;
    else if (!std::strcmp(argv[i], "--classes"))
      classes = v;
    else if (!std::strcmp(argv[i], "--examples"))
      examples = v;
    else if (!std::strcmp(argv[i], "--steps"))
      steps = v;
  }
  at::set_num_threads(threads);
  std::printf("bench_finetune: %d threads, prompts of %d tokens, %d classes, batch %d\n\n", threads,
              prompt, classes, batch);
  std::printf(
      "| preset | fine-tune tok/s | pre-train tok/s | ratio | constrained ex/s | "
      "free ex/s | ratio | per-answer passes ex/s | ratio |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
  for (const char* name : {"tiny", "small"}) {
    auto config = model::preset(name);
    if (!config) return 1;
    config->n_vocab = 2048;
    uint32_t seed = 7;
    // Fine-tuning batch: prompt + 4 answer tokens per example, loss on the answers only.
    std::vector<train::TokenExample> batch_examples;
    for (int b = 0; b < batch; ++b)
      batch_examples.push_back(
          {random_tokens(size_t(prompt), 2048, seed), random_tokens(4, 2048, seed), 0});
    torch::Tensor fx, fy;
    train::build_batch(batch_examples, fx, fy);
    auto model = train::Gpt2::create(*config, torch::kCPU, 1);
    if (!model) return 1;
    const double finetune = train_rate(*model, fx, fy, double(batch) * double(prompt + 4), steps);
    // Pre-training: full sequences of the context length, the same batch.
    auto data = torch::randint(0, 2048, {batch, config->n_ctx + 1}, torch::kInt64);
    auto px = data.narrow(1, 0, config->n_ctx).contiguous();
    auto py = data.narrow(1, 1, config->n_ctx).contiguous();
    const double pretrain =
        train_rate(*model, px, py, double(batch) * double(config->n_ctx), steps);

    // Evaluation: one example at a time, as a device would.
    std::vector<std::vector<int32_t>> answers;
    for (int c = 0; c < classes; ++c)
      answers.push_back(random_tokens(3, 2048, seed));
    for (auto& a : answers)
      a.push_back(2);  // a shared end token
    std::vector<std::vector<int32_t>> prompts;
    for (int e = 0; e < examples; ++e)
      prompts.push_back(random_tokens(size_t(prompt), 2048, seed));
    train::AnswerTrie trie(answers);
    auto t0 = Clock::now();
    for (const auto& p : prompts)
      (void)trie.score(*model, {p}, 1);
    const double constrained = double(examples) / seconds_since(t0);
    // Free decoding as `tinyllm eval --decoding free` runs it, with its default limit (the
    // longest answer + 4 tokens); random tokens never write the end marker, so every answer
    // runs to the limit: the slow end of what a real model does.
    std::vector<std::string> token_texts(2048);
    for (size_t t = 0; t < token_texts.size(); ++t)
      token_texts[t] = " w" + std::to_string(t);
    const int free_tokens = int(answers.front().size()) + 4;
    t0 = Clock::now();
    for (const auto& p : prompts)
      (void)train::decode_free(*model, {p}, token_texts, free_tokens, 1);
    const double free_decoding = double(examples) / seconds_since(t0);
    t0 = Clock::now();
    {
      torch::NoGradGuard guard;
      for (const auto& p : prompts)
        for (const auto& a : answers) {
          std::vector<int64_t> ids(p.begin(), p.end());
          ids.insert(ids.end(), a.begin(), a.end());
          (void)model->forward(torch::tensor(ids).unsqueeze(0));
        }
    }
    const double per_answer = double(examples) / seconds_since(t0);
    std::printf("| %s | %.0f | %.0f | %.2f | %.1f | %.1f | %.2f | %.1f | %.2f |\n", name, finetune,
                pretrain, finetune / pretrain, constrained, free_decoding,
                constrained / free_decoding, per_answer, constrained / per_answer);
    std::fflush(stdout);
  }
  std::printf(
      "\nratio: ours / reference in the same run (fine-tune vs pre-train tokens/s; "
      "constrained vs free decoding and vs one pass per answer, examples/s)\n");
  return 0;
}
