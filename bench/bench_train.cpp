// bench_train: GPT-2 training throughput (tokens/s) and MFU of tinyllm_train for the tiny, small
// and d6 presets, side by side with the same step in PyTorch Python (bench_train_ref.py, Debian's
// python3-torch) with the same config and threads. MFU is against the fp32 matmul peak measured
// here in the same run. Ours and the reference alternate over several rounds and the ratio is the
// median of the per-round ratios, with its spread (bench_stats.h).
//
//   bench_train [--threads N] [--steps N] [--rounds N] [--presets tiny,small,d6]
// TINYLLM_PYTHON names the interpreter (default /usr/bin/python3); TINYLLM_BENCH_ROUNDS the rounds.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "bench_stats.h"
#include "model/config.h"
#include "train/gpt2.h"
#include "train/optimizer.h"
#include "train/sample.h"

using namespace tinyllm;
using Clock = std::chrono::steady_clock;

namespace {

struct Case {
  std::string preset;
  int batch, seq;
};

// One training step exactly as the trainer takes it: forward, backward, clip, AdamW. The model
// is built and warmed up once; each round times `steps` more steps.
class CppStep {
 public:
  CppStep(const model::ModelConfig& c, const Case& k)
      : model_(*train::Gpt2::create(c, torch::kCPU, 0)),
        opt_(model_.flat_params(), model_.decay_count(), {}),
        tokens_(double(k.batch) * k.seq) {
    auto data = torch::randint(0, c.n_vocab, {k.batch, k.seq + 1}, torch::kInt64);
    x_ = data.narrow(1, 0, k.seq).contiguous();
    y_ = data.narrow(1, 1, k.seq).contiguous();
  }
  void step() {
    model_.flat_grads().zero_();
    auto loss = model_.loss(x_, y_);
    loss.backward();
    train::clip_grad_norm(model_.flat_grads(), 1.0);
    opt_.step(model_.flat_grads(), 1e-4);
    (void)loss.item<double>();
  }
  double tokens_per_s(int steps) {
    const auto t0 = Clock::now();
    for (int i = 0; i < steps; ++i)
      step();
    return tokens_ * steps / std::chrono::duration<double>(Clock::now() - t0).count();
  }

 private:
  train::Gpt2 model_;
  train::AdamW opt_;
  double tokens_;
  torch::Tensor x_, y_;
};

// Runs the Python reference; 0 when python3 or torch is missing.
double python_tokens_per_s(const model::ModelConfig& c, const Case& k, int steps, int warmup,
                           int threads) {
  // Debian's python3-torch belongs to the system interpreter (a pyenv python3 would not see it).
  const char* python =
      std::getenv("TINYLLM_PYTHON") ? std::getenv("TINYLLM_PYTHON") : "/usr/bin/python3";
  std::ostringstream cmd;
  cmd << python << " " << TINYLLM_SOURCE_DIR << "/bench/bench_train_ref.py --n_layer " << c.n_layer
      << " --n_head " << c.n_head << " --n_embd " << c.n_embd << " --n_ff " << c.n_ff << " --n_ctx "
      << c.n_ctx << " --n_vocab " << c.n_vocab << " --batch " << k.batch << " --seq " << k.seq
      << " --steps " << steps << " --warmup " << warmup << " --threads " << threads
      << " 2>/dev/null";
  FILE* p = ::popen(cmd.str().c_str(), "r");
  if (!p) return 0;
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p))
    out += buf;
  ::pclose(p);
  auto j = nlohmann::json::parse(out, nullptr, false);
  return j.is_object() && j.contains("tokens_per_s") ? j["tokens_per_s"].get<double>() : 0.0;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = int(std::max(1u, std::thread::hardware_concurrency()));
  int steps = 5, rounds_arg = 0;
  std::string presets = "tiny,small,d6";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--rounds")) rounds_arg = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--presets")) presets = argv[i + 1];
  }
  const int rounds = bench::rounds_setting(rounds_arg, 5);
  at::set_num_threads(threads);
  const double peak = train::measure_matmul_flops(torch::kCPU);
  std::printf(
      "threads %d, fp32 matmul peak %.1f GFLOP/s (1024x1024); %d rounds, ours and PyTorch "
      "alternating, %d timed steps each after 1 warm-up; tok/s are medians, the ratio is the "
      "median of per-round ratios (min..max)\n\n",
      threads, peak / 1e9, rounds, steps);
  std::printf(
      "| preset | params | batch x seq | tinyllm tok/s | MFU | PyTorch Python tok/s | MFU | ratio "
      "|\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::stringstream list(presets);
  std::string name;
  while (std::getline(list, name, ',')) {
    auto c = model::preset(name);
    if (!c) {
      std::fprintf(stderr, "%s\n", c.error().to_string().c_str());
      return 2;
    }
    // CPU presets at full context; d6 (context 1024) with one sequence per step.
    Case k{name, c->n_ctx >= 1024 ? 1 : 8, c->n_ctx};
    const int n = c->n_ctx >= 1024 ? std::max(2, steps / 2) : steps;
    const double flops = model::training_flops_per_token(*c, k.seq);
    CppStep cpp(*c, k);
    cpp.step();  // warm-up
    std::vector<double> ours, refs, ratios;
    for (int r = 0; r < rounds; ++r) {
      double mine = 0, ref = 0;
      if (bench::ours_first(r)) {
        mine = cpp.tokens_per_s(n);
        ref = python_tokens_per_s(*c, k, n, 1, threads);
      } else {
        ref = python_tokens_per_s(*c, k, n, 1, threads);
        mine = cpp.tokens_per_s(n);
      }
      ours.push_back(mine);
      if (ref > 0) {
        refs.push_back(ref);
        ratios.push_back(mine / ref);
      }
    }
    const double our_rate = bench::spread(ours).median;
    const double ref_rate = bench::spread(refs).median;
    char ref_text[64] = "n/a", ref_mfu[32] = "n/a";
    if (ref_rate > 0) {
      std::snprintf(ref_text, sizeof ref_text, "%.0f", ref_rate);
      std::snprintf(ref_mfu, sizeof ref_mfu, "%.1f%%", 100.0 * ref_rate * flops / peak);
    }
    std::printf("| %s | %s | %d x %d | %.0f | %.1f%% | %s | %s | %s |\n", name.c_str(),
                model::format_count(model::parameter_count(*c)).c_str(), k.batch, k.seq, our_rate,
                100.0 * our_rate * flops / peak, ref_text, ref_mfu,
                bench::format_ratio(bench::spread(ratios)).c_str());
    std::fflush(stdout);
  }
  return 0;
}
