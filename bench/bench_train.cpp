// bench_train: GPT-2 training throughput (tokens/s) and MFU of tinyllm_train for the tiny, small
// and d6 presets, side by side with the same step in PyTorch Python (bench_train_ref.py, Debian's
// python3-torch) with the same config and threads. MFU is against the fp32 matmul peak measured
// here in the same run.
//
//   bench_train [--threads N] [--steps N] [--presets tiny,small,d6]
// TINYLLM_PYTHON names the interpreter (default /usr/bin/python3).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

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

// One training step exactly as the trainer takes it: forward, backward, clip, AdamW.
double cpp_tokens_per_s(const model::ModelConfig& c, const Case& k, int steps, int warmup) {
  auto m = *train::Gpt2::create(c, torch::kCPU, 0);
  train::AdamW opt(m.flat_params(), m.decay_count(), {});
  auto data = torch::randint(0, c.n_vocab, {k.batch, k.seq + 1}, torch::kInt64);
  auto x = data.narrow(1, 0, k.seq).contiguous(), y = data.narrow(1, 1, k.seq).contiguous();
  auto step = [&] {
    m.flat_grads().zero_();
    auto loss = m.loss(x, y);
    loss.backward();
    train::clip_grad_norm(m.flat_grads(), 1.0);
    opt.step(m.flat_grads(), 1e-4);
    return loss.item<double>();
  };
  for (int i = 0; i < warmup; ++i)
    step();
  const auto t0 = Clock::now();
  for (int i = 0; i < steps; ++i)
    step();
  const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
  return double(k.batch) * k.seq * steps / dt;
}

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
  int steps = 5;
  std::string presets = "tiny,small,d6";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--steps")) steps = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--presets")) presets = argv[i + 1];
  }
  at::set_num_threads(threads);
  const double peak = train::measure_matmul_flops(torch::kCPU);
  std::printf(
      "threads %d, fp32 matmul peak %.1f GFLOP/s (1024x1024), %d timed steps after 1 warm-up\n\n",
      threads, peak / 1e9, steps);
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
    const double ours = cpp_tokens_per_s(*c, k, n, 1);
    const double ref = python_tokens_per_s(*c, k, n, 1, threads);
    char ref_text[64] = "n/a", ref_mfu[32] = "n/a", ratio[32] = "n/a";
    if (ref > 0) {
      std::snprintf(ref_text, sizeof ref_text, "%.0f", ref);
      std::snprintf(ref_mfu, sizeof ref_mfu, "%.1f%%", 100.0 * ref * flops / peak);
      std::snprintf(ratio, sizeof ratio, "%.2fx", ours / ref);
    }
    std::printf("| %s | %s | %d x %d | %.0f | %.1f%% | %s | %s | %s |\n", name.c_str(),
                model::format_count(model::parameter_count(*c)).c_str(), k.batch, k.seq, ours,
                100.0 * ours * flops / peak, ref_text, ref_mfu, ratio);
    std::fflush(stdout);
  }
  return 0;
}
