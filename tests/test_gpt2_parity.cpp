// GPT-2 parity: the libtorch forward (core/train/gpt2.cpp) against an independent reference
// forward written here as plain scalar loops in double precision, on the same weights, in the
// way llm.c's test_gpt2.c checks its model: print the first values side by side and the max
// absolute difference, OK or NOT OK. The reference follows llama.cpp's gpt2 graph: learned
// positions, pre-LayerNorm blocks, fused QKV, causal softmax attention, tanh-approximated GELU,
// final LayerNorm, output head tied to the token embedding.
#include <QtTest>

#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "train/gpt2.h"

using namespace tinyllm;

namespace {

constexpr double kTolerance = 1e-4;

// A tensor of the model as row-major doubles, by its Hugging Face name.
using Weights = std::map<std::string, std::vector<double>>;

// Every parameter from a fixed-seed generator (biases and LayerNorm too, so that each one counts),
// written into the libtorch model and returned for the reference.
Weights randomize(train::Gpt2& model, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0.0f, 0.1f);
  Weights out;
  torch::NoGradGuard no_grad;
  for (const auto& p : model.parameters()) {
    const bool gain = p.spec.name.find("ln_") != std::string::npos &&
                      p.spec.name.find(".weight") != std::string::npos;
    std::vector<float> values(size_t(p.spec.numel()));
    for (auto& v : values)
      v = (gain ? 1.0f : 0.0f) + normal(gen);
    p.value.copy_(torch::from_blob(values.data(), p.spec.shape, torch::kFloat32));
    out[p.spec.name] = std::vector<double>(values.begin(), values.end());
  }
  return out;
}

// y (T, out) = x (T, in) w (in, out) + b (out): Hugging Face's Conv1D layout.
std::vector<double> matmul(const std::vector<double>& x, const std::vector<double>& w,
                           const std::vector<double>& b, int T, int in, int out) {
  std::vector<double> y(size_t(T) * out);
  for (int t = 0; t < T; ++t)
    for (int o = 0; o < out; ++o) {
      double sum = b[size_t(o)];
      for (int i = 0; i < in; ++i)
        sum += x[size_t(t) * in + i] * w[size_t(i) * out + o];
      y[size_t(t) * out + o] = sum;
    }
  return y;
}

std::vector<double> layernorm(const std::vector<double>& x, const std::vector<double>& w,
                              const std::vector<double>& b, int T, int C, double eps) {
  std::vector<double> y(x.size());
  for (int t = 0; t < T; ++t) {
    const double* row = &x[size_t(t) * C];
    double mean = 0, var = 0;
    for (int c = 0; c < C; ++c)
      mean += row[c];
    mean /= C;
    for (int c = 0; c < C; ++c)
      var += (row[c] - mean) * (row[c] - mean);
    var /= C;  // biased, as LayerNorm
    const double inv = 1.0 / std::sqrt(var + eps);
    for (int c = 0; c < C; ++c)
      y[size_t(t) * C + c] = (row[c] - mean) * inv * w[size_t(c)] + b[size_t(c)];
  }
  return y;
}

double gelu_tanh(double x) {
  const double k = std::sqrt(2.0 / M_PI);
  return 0.5 * x * (1.0 + std::tanh(k * (x + 0.044715 * x * x * x)));
}

// Causal multi-head attention on qkv (T, 3C): Q, K, V blocks of C columns, head h in columns
// h*D .. h*D+D-1 of each block. Returns (T, C).
std::vector<double> attention(const std::vector<double>& qkv, int T, int C, int H) {
  const int D = C / H;
  const double scale = 1.0 / std::sqrt(double(D));
  std::vector<double> y(size_t(T) * C, 0.0);
  std::vector<double> p(static_cast<size_t>(T));  // one query's attention weights
  for (int h = 0; h < H; ++h)
    for (int t = 0; t < T; ++t) {
      const double* q = &qkv[size_t(t) * 3 * C + size_t(h) * D];
      double max = -INFINITY;
      for (int s = 0; s <= t; ++s) {
        const double* k = &qkv[size_t(s) * 3 * C + C + size_t(h) * D];
        double dot = 0;
        for (int d = 0; d < D; ++d)
          dot += q[d] * k[d];
        p[size_t(s)] = dot * scale;
        max = std::max(max, p[size_t(s)]);
      }
      double sum = 0;
      for (int s = 0; s <= t; ++s)
        sum += p[size_t(s)] = std::exp(p[size_t(s)] - max);
      for (int s = 0; s <= t; ++s) {
        const double* v = &qkv[size_t(s) * 3 * C + 2 * C + size_t(h) * D];
        for (int d = 0; d < D; ++d)
          y[size_t(t) * C + size_t(h) * D + d] += p[size_t(s)] / sum * v[d];
      }
    }
  return y;
}

// The reference forward of one sequence: logits (T, V).
std::vector<double> reference_forward(const model::ModelConfig& c, Weights& w,
                                      const std::vector<int64_t>& tokens) {
  const int T = int(tokens.size()), C = c.n_embd, F = c.n_ff, V = c.n_vocab;
  const double eps = c.norm_eps;
  std::vector<double> x(size_t(T) * C);
  for (int t = 0; t < T; ++t)
    for (int i = 0; i < C; ++i)
      x[size_t(t) * C + i] =
          w["wte.weight"][size_t(tokens[size_t(t)]) * C + i] + w["wpe.weight"][size_t(t) * C + i];
  for (int l = 0; l < c.n_layer; ++l) {
    const std::string h = "h." + std::to_string(l) + ".";
    auto a = layernorm(x, w[h + "ln_1.weight"], w[h + "ln_1.bias"], T, C, eps);
    auto qkv = matmul(a, w[h + "attn.c_attn.weight"], w[h + "attn.c_attn.bias"], T, C, 3 * C);
    auto y = matmul(attention(qkv, T, C, c.n_head), w[h + "attn.c_proj.weight"],
                    w[h + "attn.c_proj.bias"], T, C, C);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] += y[i];
    a = layernorm(x, w[h + "ln_2.weight"], w[h + "ln_2.bias"], T, C, eps);
    auto hidden = matmul(a, w[h + "mlp.c_fc.weight"], w[h + "mlp.c_fc.bias"], T, C, F);
    for (auto& v : hidden)
      v = gelu_tanh(v);
    y = matmul(hidden, w[h + "mlp.c_proj.weight"], w[h + "mlp.c_proj.bias"], T, F, C);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] += y[i];
  }
  x = layernorm(x, w["ln_f.weight"], w["ln_f.bias"], T, C, eps);
  // Tied output head: logits = x wte^T, no bias.
  std::vector<double> logits(size_t(T) * V);
  for (int t = 0; t < T; ++t)
    for (int v = 0; v < V; ++v) {
      double sum = 0;
      for (int i = 0; i < C; ++i)
        sum += x[size_t(t) * C + i] * w["wte.weight"][size_t(v) * C + i];
      logits[size_t(t) * V + v] = sum;
    }
  return logits;
}

// Prints the first values and the max abs difference as llm.c's check_tensor does; returns it.
double check_logits(const char* label, const float* ours, const std::vector<double>& reference) {
  std::printf("%s: first logits, ours vs reference\n", label);
  double maxdiff = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    const double diff = std::fabs(double(ours[i]) - reference[i]);
    maxdiff = std::max(maxdiff, diff);
    if (i < 5) std::printf("  %+.6f %+.6f\n", double(ours[i]), reference[i]);
  }
  std::printf("%s: max abs diff %.3e over %zu logits: %s\n", label, maxdiff, reference.size(),
              maxdiff < kTolerance ? "OK" : "NOT OK");
  return maxdiff;
}

model::ModelConfig tiny_model() {
  model::ModelConfig c;
  c.n_layer = 2;
  c.n_head = 4;
  c.n_embd = 64;
  c.n_ff = 128;
  c.n_ctx = 16;
  c.n_vocab = 97;
  return c;
}

}  // namespace

class TestGpt2Parity : public QObject {
  Q_OBJECT
 private slots:
  void libtorchForwardMatchesTheScalarReference() {
    at::set_num_threads(1);
    const auto config = tiny_model();
    auto model = train::Gpt2::create(config, torch::kCPU, 7);
    QVERIFY(model.ok());
    Weights weights = randomize(*model, 1234);

    // A batch of two full-context sequences and a short one on its own.
    std::mt19937 gen(99);
    std::uniform_int_distribution<int64_t> token(0, config.n_vocab - 1);
    std::vector<std::vector<int64_t>> batch(2, std::vector<int64_t>(size_t(config.n_ctx)));
    for (auto& seq : batch)
      for (auto& t : seq)
        t = token(gen);
    const std::vector<int64_t> short_seq = {3, 96, 0, 41, 41};

    torch::NoGradGuard no_grad;
    std::vector<int64_t> flat;
    for (const auto& seq : batch)
      flat.insert(flat.end(), seq.begin(), seq.end());
    auto idx = torch::tensor(flat, torch::kInt64).view({2, config.n_ctx});
    auto logits = model->forward(idx).contiguous();  // (2, T, V)
    QCOMPARE(logits.size(2), int64_t(config.n_vocab));
    const size_t per_seq = size_t(config.n_ctx) * size_t(config.n_vocab);
    double worst = 0;
    for (size_t b = 0; b < batch.size(); ++b) {
      const std::string label = "sequence " + std::to_string(b);
      worst = std::max(worst, check_logits(label.c_str(), logits.data_ptr<float>() + b * per_seq,
                                           reference_forward(config, weights, batch[b])));
    }
    auto short_logits =
        model->forward(torch::tensor(short_seq, torch::kInt64).view({1, -1})).contiguous();
    worst = std::max(worst, check_logits("short sequence", short_logits.data_ptr<float>(),
                                         reference_forward(config, weights, short_seq)));
    std::printf("overall: max abs diff %.3e (tolerance %.0e): %s\n", worst, kTolerance,
                worst < kTolerance ? "OK" : "NOT OK");
    QVERIFY2(worst < kTolerance, QByteArray::number(worst, 'e', 3).constData());
    // The comparison has teeth: the logits are not all near zero.
    QVERIFY(logits.abs().max().item<float>() > 0.1f);
  }
};

QTEST_GUILESS_MAIN(TestGpt2Parity)
#include "test_gpt2_parity.moc"
