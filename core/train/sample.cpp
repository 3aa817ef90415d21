#include "train/sample.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <random>

namespace tinyllm::train {

std::vector<int32_t> generate(const Gpt2& model, const std::vector<int32_t>& prompt,
                              const SampleSettings& s) {
  torch::NoGradGuard no_grad;
  std::mt19937_64 rng(s.seed);
  std::vector<int32_t> ids = prompt, out;
  const int n_ctx = model.config().n_ctx;
  for (int i = 0; i < s.tokens; ++i) {
    const size_t start = ids.size() > size_t(n_ctx) ? ids.size() - size_t(n_ctx) : 0;
    std::vector<int64_t> window(ids.begin() + long(start), ids.end());
    auto idx = torch::tensor(window, torch::kInt64).view({1, -1}).to(model.device());
    auto logits = model.forward(idx)[0][-1].to(torch::kCPU, torch::kFloat32).contiguous();
    const float* l = logits.data_ptr<float>();
    const int V = int(logits.numel());
    int32_t next = 0;
    if (s.temperature <= 0) {
      next = int32_t(std::max_element(l, l + V) - l);
    } else {
      std::vector<int> order(static_cast<size_t>(V));
      std::iota(order.begin(), order.end(), 0);
      const int k = s.top_k > 0 ? std::min(s.top_k, V) : V;
      std::partial_sort(order.begin(), order.begin() + k, order.end(),
                        [&](int a, int b) { return l[a] > l[b]; });
      std::vector<double> p(static_cast<size_t>(k));
      const double top = l[order[0]];
      for (int j = 0; j < k; ++j)
        p[size_t(j)] = std::exp((l[order[size_t(j)]] - top) / s.temperature);
      std::discrete_distribution<int> pick(p.begin(), p.end());
      next = order[size_t(pick(rng))];
    }
    ids.push_back(next);
    out.push_back(next);
  }
  return out;
}

double measure_matmul_flops(torch::Device device) {
  torch::NoGradGuard no_grad;
  const int64_t n = device.is_cuda() ? 4096 : 1024;
  auto a = torch::randn({n, n}, torch::TensorOptions().device(device));
  auto b = torch::randn({n, n}, torch::TensorOptions().device(device));
  auto c = torch::mm(a, b);  // warm-up
  if (device.is_cuda()) c.sum().item<float>();
  using clock = std::chrono::steady_clock;
  const auto start = clock::now();
  int reps = 0;
  double elapsed = 0;
  do {
    c = torch::mm(a, b);
    ++reps;
    if (device.is_cuda()) c.sum().item<float>();
    elapsed = std::chrono::duration<double>(clock::now() - start).count();
  } while (elapsed < 0.3);
  return 2.0 * double(n) * double(n) * double(n) * reps / elapsed;
}

}  // namespace tinyllm::train
