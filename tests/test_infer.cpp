// The edge runtime (core/infer, app/tinyllm-run) against the trainer's libtorch model: logits of
// a tiny random GPT-2 exported to GGUF, all at once and token by token; quantized types against
// F32; every kernel set of this CPU against the scalar reference; constrained classification
// against brute-force scoring; and `tinyllm-run eval` against `tinyllm eval` on a fine-tuned demo
// project.
#include <QProcess>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QtTest>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/version.h"
#include "gguf/export.h"
#include "gguf/keys.h"
#include "gguf/quant.h"
#include "infer/classify.h"
#include "infer/engine.h"
#include "infer/gelu.h"
#include "infer/kernel_check.h"
#include "infer/kernels.h"
#include "infer/session.h"
#include "infer/thread_pool.h"
#include "infer/tinyllm.h"
#include "test_verify.h"
#include "train/gpt2.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr double kF32Tolerance = 1e-4;  // runtime vs libtorch, F32 weights

model::ModelConfig tiny_config() {
  model::ModelConfig c;
  c.n_layer = 2;
  c.n_head = 2;
  c.n_embd = 64;
  c.n_ff = 256;
  c.n_ctx = 64;
  c.n_vocab = 96;
  return c;
}

using Weights = std::map<std::string, std::vector<float>>;

// Every parameter from a fixed-seed generator (LayerNorm gains around 1), into the libtorch
// model and returned by Hugging Face name for the exporter.
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
    out[p.spec.name] = values;
  }
  return out;
}

Status write_gguf(const fs::path& path, const model::ModelConfig& config, const Weights& weights,
                  gguf::TensorType type) {
  gguf::Writer w;
  TINYLLM_TRY(gguf::add_gpt2_model(
      w, config,
      [&](const std::string& name) -> Result<std::vector<float>> {
        const auto it = weights.find(name);
        if (it == weights.end()) return make_error(name, "no such tensor");
        return it->second;
      },
      type));
  return w.write(path);
}

// The same file with every tensor dequantized to F32: the quantized kernels must give its
// logits up to the activations' 8-bit rounding.
Status write_dequantized(const fs::path& from, const fs::path& to) {
  TINYLLM_TRY_ASSIGN(f, gguf::File::open(from));
  gguf::Writer w;
  for (const auto& kv : f.metadata())
    w.set(kv.key, kv.value);
  for (const auto& t : f.tensors()) {
    TINYLLM_TRY_ASSIGN(values, f.dequantize(t));
    TINYLLM_TRY(w.add_tensor(t.name, gguf::TensorType::f32, t.ne, values));
  }
  return w.write(to);
}

std::vector<float> torch_logits(const train::Gpt2& model, const std::vector<int32_t>& ids) {
  torch::NoGradGuard no_grad;
  auto idx = torch::zeros({1, int64_t(ids.size())}, torch::kInt64);
  for (size_t i = 0; i < ids.size(); ++i)
    idx[0][int64_t(i)] = ids[i];
  auto logits = model.forward(idx).contiguous();
  const float* p = logits.data_ptr<float>();
  return std::vector<float>(p, p + logits.numel());
}

double max_abs_diff(const float* a, const float* b, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; ++i)
    m = std::max(m, std::fabs(double(a[i]) - double(b[i])));
  return m;
}

std::vector<int32_t> seeded_tokens(size_t count, int vocab, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int32_t> ids(count);
  for (auto& id : ids)
    id = int32_t(gen() % uint32_t(vocab));
  return ids;
}

// Every logit row of `ids` through a fresh session: all at once or one token per eval.
std::vector<float> runtime_logits(const infer::Model& model, const std::vector<int32_t>& ids,
                                  bool token_by_token, infer::SessionOptions options = {}) {
  infer::Session s(model, options);
  std::vector<float> out;
  if (!token_by_token) {
    if (!s.eval(ids, true).ok()) return {};
    return s.logits();
  }
  for (int32_t id : ids) {
    if (!s.eval(&id, 1).ok()) return {};
    out.insert(out.end(), s.logits().begin(), s.logits().end());
  }
  return out;
}

// GELU (tanh approximation) in double, without cancellation: 0.5 (1 + tanh(u)) written as
// e^2u / (1 + e^2u) where u < 0 (1 + tanh(u) loses every bit once tanh(u) rounds to -1).
double gelu_double(double x) {
  const double u = 0.7978845608028654 * (x + 0.044715 * x * x * x);
  if (u >= 0) return 0.5 * x * (1 + std::tanh(u));
  const double e = std::exp(2 * u);
  return x * e / (1 + e);
}

// The spacing of floats at |v| (2^-149 among the subnormals).
double float_ulp(double v) {
  v = std::fabs(v);
  if (v < double(std::numeric_limits<float>::min())) return std::ldexp(1.0, -149);
  int exponent;
  std::frexp(v, &exponent);
  return std::ldexp(1.0, exponent - 24);
}

struct CliRun {
  int code = -1;
  QString out, err;
};

CliRun run(const QString& program, const QStringList& args, int timeout_ms = 600000) {
  QProcess p;
  p.start(QString(TINYLLM_BINARY_DIR) + "/bin/" + program, args);
  p.waitForFinished(timeout_ms);
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
          QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
}

}  // namespace

class TestInfer : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  model::ModelConfig config_ = tiny_config();
  std::unique_ptr<train::Gpt2> torch_model_;
  Weights weights_;
  std::map<gguf::TensorType, fs::path> files_;

 private slots:
  void initTestCase() {
    at::set_num_threads(1);
    auto m = train::Gpt2::create(config_, torch::Device(torch::kCPU), 0);
    TINYLLM_VERIFY_OK(m);
    torch_model_ = std::make_unique<train::Gpt2>(std::move(*m));
    weights_ = randomize(*torch_model_, 7);
    for (auto type : {gguf::TensorType::f32, gguf::TensorType::f16, gguf::TensorType::q8_0,
                      gguf::TensorType::q4_0}) {
      const fs::path path = fs::path(dir_.path().toStdString()) /
                            (std::string("tiny-") + gguf::to_string(type) + ".gguf");
      TINYLLM_VERIFY_OK(write_gguf(path, config_, weights_, type));
      files_[type] = path;
    }
  }

  // Every kernel set this CPU runs passes the self-test that `tinyllm-run kernels` runs on a
  // device (infer/kernel_check.h): the reference's bits for the activation quantizer and
  // add_scaled, products equal to their own dot products, and dot products equal to the
  // reference's (bit for bit for a set with reference_bits, else within 1e-5 of the sum of
  // |products|), over 1-9 rows x 1-7 tokens of fixed and random inputs.
  void everyKernelSetPassesTheCheck() {
    const auto sets = infer::kernel_sets();
    QCOMPARE(sets.front(), &infer::reference_kernels());
    QCOMPARE(sets.back(), &infer::best_kernels());
    for (const infer::Kernels* set : sets) {
      const infer::KernelCheck check = infer::check_kernels(*set);
      qInfo("%s: %s, %zu values", set->name, check.passed() ? "pass" : "FAIL", check.values);
      QVERIFY2(check.passed(), check.mismatch.c_str());
      QCOMPARE(infer::kernels_named(set->name), set);
    }
    QCOMPARE(infer::kernels_named("no-such-set"), nullptr);
  }

  // The check fails a set that claims the reference's bits but sums a row in another order, and
  // one whose product differs from its dot product in the last bit.
  void kernelCheckCatchesLastBitDifferences() {
    infer::Kernels reversed = infer::reference_kernels();
    reversed.name = "reversed";
    reversed.dot_f32 = [](const float* w, const float* x, size_t n) {
      float sum = 0;
      for (size_t i = n; i-- > 0;)
        sum += w[i] * x[i];
      return sum;
    };
    infer::KernelCheck check = infer::check_kernels(reversed);
    QVERIFY(!check.passed());
    QVERIFY2(QString::fromStdString(check.mismatch).startsWith("reversed: F32"),
             check.mismatch.c_str());

    infer::Kernels libm_exp = infer::reference_kernels();
    libm_exp.name = "libm_exp";
    libm_exp.softmax = [](float* s, size_t n, float scale) {
      float top = -INFINITY, total = 0;
      for (size_t j = 0; j < n; ++j)
        top = std::max(top, s[j] *= scale);
      for (size_t j = 0; j < n; ++j)
        total += s[j] = std::exp(s[j] - top);
      for (size_t j = 0; j < n; ++j)
        s[j] /= total;
    };
    check = infer::check_kernels(libm_exp);
    QVERIFY(!check.passed());
    QVERIFY2(QString::fromStdString(check.mismatch).startsWith("libm_exp: softmax"),
             check.mismatch.c_str());

    infer::Kernels nudged = infer::reference_kernels();
    nudged.name = "nudged";
    nudged.product_q8_0 = [](const uint8_t* w, size_t row_bytes, size_t rows,
                             const infer::ActivationBlock* x, size_t blocks, size_t tokens,
                             float* y, size_t y_stride) {
      infer::reference_kernels().product_q8_0(w, row_bytes, rows, x, blocks, tokens, y, y_stride);
      if (rows == 5 && tokens == 3) y[2 * y_stride + 4] = std::nextafter(y[2 * y_stride + 4], 1e9f);
    };
    check = infer::check_kernels(nudged);
    QVERIFY(!check.passed());
    QVERIFY2(QString::fromStdString(check.mismatch)
                 .startsWith("nudged: Q8_0 product (5 rows, 3 tokens, 32 cols) at row 4 token 2"),
             check.mismatch.c_str());
  }

  // The AVX-512 VNNI set computes the AVX2 set's int32 lanes with one instruction and runs its
  // float tiles with more tokens each (the same operations per value), so every product is the
  // AVX2 one's bits: a 37-row matrix, 11 tokens (every tile remainder), 512 columns, and 519 for
  // F32/F16 (a scalar tail).
  void vnniGivesAvx2Bits() {
    const infer::Kernels* vnni = infer::avx512_vnni_kernels();
    if (!vnni) QSKIP("this CPU (or build) has no AVX-512 VNNI");
    const infer::Kernels* avx2 = infer::avx2_kernels();
    QVERIFY(avx2);
    std::mt19937 gen(17);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const size_t rows = 37, tokens = 11;
    for (size_t cols : {512u, 519u}) {
      const size_t blocks = cols / infer::kBlock;
      std::vector<float> w(rows * cols), x(tokens * cols);
      for (auto& v : w)
        v = normal(gen);
      for (auto& v : x)
        v = normal(gen);
      std::string f16, q8, q4;
      gguf::quantize_f16(w.data(), w.size(), f16);
      gguf::quantize_q8_0(w.data(), w.size(), q8);
      gguf::quantize_q4_0(w.data(), w.size(), q4);
      std::vector<infer::ActivationBlock> xq(tokens * blocks);
      for (size_t t = 0; t < tokens; ++t)
        avx2->quantize_activations(x.data() + t * cols, blocks * infer::kBlock,
                                   xq.data() + t * blocks);
      auto same = [&](const char* type, auto&& product) {
        std::vector<float> a(rows * tokens), b(rows * tokens);
        product(*avx2, a.data());
        product(*vnni, b.data());
        QVERIFY2(std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0,
                 qPrintable(QString("%1, %2 columns").arg(type).arg(cols)));
      };
      same("F32", [&](const infer::Kernels& k, float* y) {
        k.product_f32(reinterpret_cast<const uint8_t*>(w.data()), cols * 4, rows, x.data(), cols,
                      tokens, y, rows);
      });
      same("F16", [&](const infer::Kernels& k, float* y) {
        k.product_f16(reinterpret_cast<const uint8_t*>(f16.data()), cols * 2, rows, x.data(), cols,
                      tokens, y, rows);
      });
      if (cols % infer::kBlock) continue;
      same("Q8_0", [&](const infer::Kernels& k, float* y) {
        k.product_q8_0(reinterpret_cast<const uint8_t*>(q8.data()), blocks * gguf::kQ8_0BlockBytes,
                       rows, xq.data(), blocks, tokens, y, rows);
      });
      same("Q4_0", [&](const infer::Kernels& k, float* y) {
        k.product_q4_0(reinterpret_cast<const uint8_t*>(q4.data()), blocks * gguf::kQ4_0BlockBytes,
                       rows, xq.data(), blocks, tokens, y, rows);
      });
    }
  }

  // The integer dot products are the dequantized values' dot products.
  void quantizedDotsAreDequantizedDots() {
    const infer::Kernels& ref = infer::reference_kernels();
    std::mt19937 gen(3);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (size_t n : {32u, 64u, 256u, 1024u}) {
      std::vector<float> w(n), x(n);
      for (auto& v : w)
        v = normal(gen);
      for (auto& v : x)
        v = normal(gen);
      std::string q8, q4;
      gguf::quantize_q8_0(w.data(), n, q8);
      gguf::quantize_q4_0(w.data(), n, q4);
      std::vector<infer::ActivationBlock> xq(n / infer::kBlock);
      ref.quantize_activations(x.data(), n, xq.data());
      double magnitude = 0;
      for (size_t i = 0; i < n; ++i)
        magnitude += std::fabs(w[i] * x[i]);
      const double tol = 1e-5 * magnitude;
      const auto* w8 = reinterpret_cast<const uint8_t*>(q8.data());
      const auto* w4 = reinterpret_cast<const uint8_t*>(q4.data());
      const size_t blocks = n / infer::kBlock;
      std::vector<float> w8f(n), w4f(n), xf(n);
      gguf::dequantize_q8_0(w8, n, w8f.data());
      gguf::dequantize_q4_0(w4, n, w4f.data());
      for (size_t i = 0; i < n; ++i)
        xf[i] = xq[i / infer::kBlock].d * float(xq[i / infer::kBlock].qs[i % infer::kBlock]);
      QVERIFY(std::fabs(ref.dot_q8_0(w8, xq.data(), blocks) -
                        ref.dot_f32(w8f.data(), xf.data(), n)) < tol);
      QVERIFY(std::fabs(ref.dot_q4_0(w4, xq.data(), blocks) -
                        ref.dot_f32(w4f.data(), xf.data(), n)) < tol);
    }
  }

  // The matrix-matrix products (prompts) give each (row, token) the dot product's bits, for
  // every tile shape and remainder (rows 1-17, tokens 1-7), and the SIMD products the scalar
  // ones' values (floats summed in another order).
  void productsEqualDotProducts() {
    std::mt19937 gen(5);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    const std::vector<const infer::Kernels*> sets = infer::kernel_sets();
    for (size_t cols : {40u, 256u}) {  // 40: F32/F16 rows with a tail past the last 8 columns
      const size_t max_rows = 17, max_tokens = 7, blocks = cols / infer::kBlock;
      std::vector<float> w(max_rows * cols), x(max_tokens * cols);
      for (auto& v : w)
        v = normal(gen);
      for (auto& v : x)
        v = normal(gen);
      std::string f16, q8, q4;
      for (size_t r = 0; r < max_rows; ++r) {
        gguf::quantize_f16(w.data() + r * cols, cols, f16);
        if (cols % infer::kBlock == 0) {
          gguf::quantize_q8_0(w.data() + r * cols, cols, q8);
          gguf::quantize_q4_0(w.data() + r * cols, cols, q4);
        }
      }
      std::vector<infer::ActivationBlock> xq(max_tokens * blocks);
      for (size_t t = 0; t < max_tokens && blocks; ++t)
        infer::reference_kernels().quantize_activations(x.data() + t * cols, blocks * infer::kBlock,
                                                        xq.data() + t * blocks);
      const auto* w8 = reinterpret_cast<const uint8_t*>(q8.data());
      const auto* w4 = reinterpret_cast<const uint8_t*>(q4.data());
      const auto* wf = reinterpret_cast<const uint8_t*>(w.data());
      const auto* wh = reinterpret_cast<const uint8_t*>(f16.data());
      const size_t q8_row = blocks * gguf::kQ8_0BlockBytes, q4_row = blocks * gguf::kQ4_0BlockBytes;
      for (size_t rows = 1; rows <= max_rows; ++rows)
        for (size_t tokens = 1; tokens <= max_tokens; ++tokens) {
          std::map<std::string, std::vector<float>> first;  // per type, from the first set
          for (const infer::Kernels* k : sets) {
            // Outputs in a wider matrix (stride rows + 3) whose padding must stay untouched.
            const size_t stride = rows + 3;
            auto check = [&](const std::string& type, auto&& product, auto&& dot) {
              std::vector<float> y(tokens * stride, -7.0f);
              product(y.data(), stride);
              for (size_t t = 0; t < tokens; ++t)
                for (size_t r = 0; r < stride; ++r) {
                  const float got = y[t * stride + r];
                  if (r >= rows) {
                    QCOMPARE(got, -7.0f);
                    continue;
                  }
                  const float want = dot(r, t);
                  QVERIFY2(std::memcmp(&got, &want, sizeof got) == 0,
                           qPrintable(QString("%1 %2 product (%3 rows, %4 tokens, %5 cols) at row "
                                              "%6 token %7: %8, its dot product %9")
                                          .arg(k->name, type.c_str())
                                          .arg(rows)
                                          .arg(tokens)
                                          .arg(cols)
                                          .arg(r)
                                          .arg(t)
                                          .arg(double(got), 0, 'g', 9)
                                          .arg(double(want), 0, 'g', 9)));
                }
              auto& base = first[type];
              if (base.empty()) {
                base = y;
                return;
              }
              double magnitude = 0, diff = 0;
              for (size_t i = 0; i < y.size(); ++i) {
                magnitude = std::max(magnitude, std::fabs(double(base[i])));
                diff = std::max(diff, std::fabs(double(y[i]) - double(base[i])));
              }
              QVERIFY2(
                  diff <= 1e-5 * std::max(1.0, magnitude) * double(cols),
                  qPrintable(QString("%1 %2 vs scalar: %3").arg(k->name, type.c_str()).arg(diff)));
            };
            check(
                "F32",
                [&](float* y, size_t ys) {
                  k->product_f32(wf, cols * 4, rows, x.data(), cols, tokens, y, ys);
                },
                [&](size_t r, size_t t) {
                  return k->dot_f32(w.data() + r * cols, x.data() + t * cols, cols);
                });
            if (QTest::currentTestFailed()) return;
            check(
                "F16",
                [&](float* y, size_t ys) {
                  k->product_f16(wh, cols * 2, rows, x.data(), cols, tokens, y, ys);
                },
                [&](size_t r, size_t t) {
                  return k->dot_f16(reinterpret_cast<const uint16_t*>(wh + r * cols * 2),
                                    x.data() + t * cols, cols);
                });
            if (cols % infer::kBlock) continue;
            if (QTest::currentTestFailed()) return;
            check(
                "Q8_0",
                [&](float* y, size_t ys) {
                  k->product_q8_0(w8, q8_row, rows, xq.data(), blocks, tokens, y, ys);
                },
                [&](size_t r, size_t t) {
                  return k->dot_q8_0(w8 + r * q8_row, xq.data() + t * blocks, blocks);
                });
            if (QTest::currentTestFailed()) return;
            check(
                "Q4_0",
                [&](float* y, size_t ys) {
                  k->product_q4_0(w4, q4_row, rows, xq.data(), blocks, tokens, y, ys);
                },
                [&](size_t r, size_t t) {
                  return k->dot_q4_0(w4 + r * q4_row, xq.data() + t * blocks, blocks);
                });
            if (QTest::currentTestFailed()) return;
          }
        }
    }
  }

  // infer::gelu against the double formula: over a dense sweep of [-12, 12] (2^22 + 1 evenly
  // spaced values, plus both signs of a geometric sweep from 1e-30 to 12) within an ulp (the
  // brief asks for 2; measured about 0.5: it rounds a double result once), and the specials.
  // Values fed one at a time (the padded tail) give the bits of the whole array (the blocks),
  // so any split over threads gives the same floats.
  void geluWithinAnUlpOfTheDoubleFormula() {
    std::vector<float> xs;
    const int steps = 1 << 22;
    for (int i = 0; i <= steps; ++i)
      xs.push_back(float(-12.0 + 24.0 * i / steps));
    for (double x = 1e-30; x < 12; x *= 1.001) {
      xs.push_back(float(x));
      xs.push_back(float(-x));
    }
    std::vector<float> ys = xs;
    infer::gelu(ys.data(), ys.size());
    double worst = 0;
    float worst_x = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double want = gelu_double(xs[i]);
      const double ulps = std::fabs(double(ys[i]) - want) / float_ulp(want);
      if (ulps > worst) {
        worst = ulps;
        worst_x = xs[i];
      }
    }
    qInfo("gelu: %zu values in [-12, 12], max error %.4f ulp (at x = %.9g)", xs.size(), worst,
          double(worst_x));
    QVERIFY2(worst < 1.0, qPrintable(QString("%1 ulp at x = %2").arg(worst).arg(worst_x)));
    for (size_t i = 0; i < xs.size(); i += 997) {
      float one = xs[i];
      infer::gelu(&one, 1);
      QVERIFY2(std::memcmp(&one, &ys[i], sizeof one) == 0, qPrintable(QString::number(xs[i])));
    }

    const float inf = std::numeric_limits<float>::infinity();
    const float max = std::numeric_limits<float>::max();
    auto gelu_of = [](float x) {
      infer::gelu(&x, 1);
      return x;
    };
    auto bits = [](float v) {
      uint32_t b;
      std::memcpy(&b, &v, sizeof b);
      return b;
    };
    // Signed zeros, huge values (x, or -0 as the function rounds), infinities (-inf: the limit).
    const std::vector<std::pair<float, float>> exact = {
        {0.0f, 0.0f}, {-0.0f, -0.0f}, {max, max}, {-max, -0.0f}, {inf, inf}, {-inf, -0.0f}};
    for (const auto& [x, want] : exact)
      QVERIFY2(bits(gelu_of(x)) == bits(want),
               qPrintable(QString("gelu(%1) = %2, want %3").arg(x).arg(gelu_of(x)).arg(want)));
    // Tiny values, subnormals included: x / 2 within an ulp (half the smallest subnormal ties
    // to 0).
    for (float x :
         {std::numeric_limits<float>::denorm_min(), std::numeric_limits<float>::min(), 1e-20f})
      for (float signed_x : {x, -x})
        QVERIFY2(std::fabs(double(gelu_of(signed_x)) - gelu_double(signed_x)) <=
                     float_ulp(gelu_double(signed_x)),
                 qPrintable(QString("gelu(%1) = %2").arg(signed_x).arg(gelu_of(signed_x))));
    QVERIFY(std::isnan(gelu_of(std::numeric_limits<float>::quiet_NaN())));
  }

  // The attention softmax (its own exponential, exact operations only, so every arch gives the
  // same floats) against softmax in double, within 4 ulp: scores over the range attention sees,
  // large and small spreads, a single score, and values far below the top (clamped, weight ~0).
  void softmaxWithinUlpsOfTheDoubleFormula() {
    std::mt19937 gen(7);
    double worst = 0;
    for (size_t n : {size_t(1), size_t(5), size_t(16), size_t(37), size_t(300)})
      for (float spread : {0.01f, 1.0f, 8.0f, 60.0f}) {
        std::normal_distribution<float> normal(0.0f, spread);
        std::vector<float> s(n);
        for (float& v : s)
          v = normal(gen);
        const float scale = 0.125f;
        // The exponent as float arithmetic gives it (any float softmax has its rounding): the
        // test measures the exponential, the sum and the division.
        std::vector<double> want(n);
        float top = -INFINITY;
        double total = 0;
        for (size_t j = 0; j < n; ++j)
          top = std::max(top, s[j] * scale);
        for (size_t j = 0; j < n; ++j)
          total += want[j] = std::exp(double(s[j] * scale - top));
        infer::reference_kernels().softmax(s.data(), n, scale);
        for (size_t j = 0; j < n; ++j) {
          want[j] /= total;
          if (want[j] < 1e-30) {  // below the clamp: e^-87 at most
            QVERIFY2(s[j] < 1e-30f, qPrintable(QString("%1 for %2").arg(s[j]).arg(want[j])));
            continue;
          }
          worst = std::max(worst, std::fabs(double(s[j]) - want[j]) / float_ulp(want[j]));
        }
      }
    qInfo("softmax: max error %.2f ulp", worst);
    QVERIFY2(worst < 4.0, qPrintable(QString("%1 ulp").arg(worst)));
  }

  // Every set's activation quantizer writes the scalar one's blocks bit for bit, ties (x.5 after
  // scaling, which std::lround rounds away from zero) and all-zero blocks included.
  void activationQuantizersAgree() {
    const auto sets = infer::kernel_sets();
    if (sets.size() == 1) QSKIP("this CPU (or build) has only the scalar kernels");
    for (const infer::Kernels* set : sets) {
      std::mt19937 gen(9);
      std::normal_distribution<float> normal(0.0f, 1.0f);
      std::uniform_int_distribution<int> halves(-254, 254);
      for (int rep = 0; rep < 2000; ++rep) {
        std::vector<float> x(256);
        for (auto& v : x)
          v = rep % 2 ? normal(gen) : float(halves(gen)) * 0.5f;
        x[3] = 127.0f;  // scale 1 for the first block: its halves stay halves
        if (rep % 7 == 0) std::fill(x.begin() + 32, x.begin() + 64, 0.0f);
        std::vector<infer::ActivationBlock> a(8), b(8);
        infer::reference_kernels().quantize_activations(x.data(), x.size(), a.data());
        set->quantize_activations(x.data(), x.size(), b.data());
        QVERIFY2(std::memcmp(a.data(), b.data(), a.size() * sizeof(a[0])) == 0,
                 qPrintable(QString("%1 repetition %2").arg(set->name).arg(rep)));
      }
    }
  }

  // A prompt in one eval (the blocked products, attention over groups of queries) gives the
  // logits of its tokens fed one by one (the matrix-vector products, one query) bit for bit, for
  // every type and every kernel set; so does a prompt after a cached prefix (13 tokens, then 27
  // in one eval: groups that start past position 0). 40 tokens are several attention groups.
  void promptGivesTokenByTokenBits() {
    const auto ids = seeded_tokens(40, config_.n_vocab, 14);
    const std::vector<const infer::Kernels*> sets = infer::kernel_sets();
    for (const auto& [type, path] : files_) {
      auto model = infer::Model::load(path);
      TINYLLM_VERIFY_OK(model);
      for (const infer::Kernels* k : sets) {
        infer::SessionOptions options;
        options.kernels = k;
        const auto prompt = runtime_logits(*model, ids, false, options);
        const auto one_by_one = runtime_logits(*model, ids, true, options);
        QVERIFY2(
            prompt == one_by_one,
            qPrintable(QString("%1 %2: max diff %3")
                           .arg(gguf::to_string(type), k->name)
                           .arg(max_abs_diff(prompt.data(), one_by_one.data(), prompt.size()))));
        infer::Session session(*model, options);
        TINYLLM_VERIFY_OK(session.eval(ids.data(), 13, true));
        std::vector<float> after_prefix = session.logits();
        TINYLLM_VERIFY_OK(session.eval(ids.data() + 13, ids.size() - 13, true));
        after_prefix.insert(after_prefix.end(), session.logits().begin(), session.logits().end());
        QVERIFY2(after_prefix == one_by_one,
                 qPrintable(QString("%1 %2, after a cached prefix: max diff %3")
                                .arg(gguf::to_string(type), k->name)
                                .arg(max_abs_diff(after_prefix.data(), one_by_one.data(),
                                                  one_by_one.size()))));
      }
    }
  }

  // A set with packed products (avx512-vnni) runs a Q8_0/Q4_0 model's matrices to the reference's
  // bits: its logits equal, bit for bit, those of the same set without packing whose quantized
  // products are the reference's (attention's float products stay the set's), for a prompt
  // (16-row groups, 12-token tiles and remainders, 2 threads) and token by token.
  void packedProductsGiveReferenceBits() {
    const auto ids = seeded_tokens(40, config_.n_vocab, 15);
    int sets_with_packing = 0;
    for (const infer::Kernels* k : infer::kernel_sets()) {
      if (!k->pack_q8_0 && !k->pack_q4_0) continue;
      ++sets_with_packing;
      infer::Kernels unpacked = *k;
      unpacked.pack_q8_0 = unpacked.pack_q4_0 = nullptr;
      unpacked.product_q8_0 = infer::reference_kernels().product_q8_0;
      unpacked.product_q4_0 = infer::reference_kernels().product_q4_0;
      for (auto type : {gguf::TensorType::q8_0, gguf::TensorType::q4_0}) {
        auto model = infer::Model::load(files_[type]);
        TINYLLM_VERIFY_OK(model);
        infer::SessionOptions reference, packed;
        reference.kernels = &unpacked;
        packed.kernels = k;
        packed.threads = reference.threads = 2;
        for (bool token_by_token : {false, true}) {
          const auto want = runtime_logits(*model, ids, token_by_token, reference);
          const auto got = runtime_logits(*model, ids, token_by_token, packed);
          QVERIFY(!want.empty());
          QVERIFY2(got == want,
                   qPrintable(QString("%1 %2: max diff %3")
                                  .arg(gguf::to_string(type), k->name)
                                  .arg(max_abs_diff(got.data(), want.data(), got.size()))));
        }
      }
    }
    if (!sets_with_packing) QSKIP("no kernel set with packed products on this CPU");
  }

  // F32 weights: the runtime's logits are libtorch's, for a 40-token prompt in one eval
  // (matrix-matrix) and token by token (KV cache), with every kernel set.
  void f32LogitsMatchLibtorch() {
    auto model = infer::Model::load(files_[gguf::TensorType::f32]);
    TINYLLM_VERIFY_OK(model);
    const auto ids = seeded_tokens(40, config_.n_vocab, 11);
    const auto expected = torch_logits(*torch_model_, ids);
    QCOMPARE(expected.size(), ids.size() * size_t(config_.n_vocab));
    for (const infer::Kernels* k : infer::kernel_sets()) {
      infer::SessionOptions options;
      options.kernels = k;
      for (bool token_by_token : {false, true}) {
        const auto got = runtime_logits(*model, ids, token_by_token, options);
        QCOMPARE(got.size(), expected.size());
        const double diff = max_abs_diff(got.data(), expected.data(), got.size());
        qInfo("F32 %s %s: logits[0..2] %.6f %.6f %.6f vs libtorch %.6f %.6f %.6f, maxdiff %.2e",
              k->name, token_by_token ? "token by token" : "all at once", got[0], got[1], got[2],
              expected[0], expected[1], expected[2], diff);
        QVERIFY2(diff < kF32Tolerance, qPrintable(QString("maxdiff %1").arg(diff)));
      }
    }
  }

  // Threads split rows, never a row's sum: any thread count gives the same bits, for every
  // type, with the blocked products of a prompt and the matrix-vector products of generation.
  void threadsDoNotChangeTheResult() {
    const auto ids = seeded_tokens(40, config_.n_vocab, 12);
    for (const auto& [type, path] : files_) {
      auto model = infer::Model::load(path);
      TINYLLM_VERIFY_OK(model);
      for (bool token_by_token : {false, true}) {
        infer::SessionOptions one;
        one.threads = 1;
        const auto expected = runtime_logits(*model, ids, token_by_token, one);
        QVERIFY(!expected.empty());
        for (int threads : {2, 3}) {
          infer::SessionOptions many;
          many.threads = threads;
          QVERIFY2(runtime_logits(*model, ids, token_by_token, many) == expected,
                   qPrintable(QString("%1, %2 threads").arg(gguf::to_string(type)).arg(threads)));
        }
      }
    }
  }

  // Every index runs exactly once per job, over many short jobs (spinning and sleeping paths).
  void threadPoolRunsEveryIndexOnce() {
    infer::ThreadPool pool(4);
    for (size_t job = 0; job < 3000; ++job) {
      const size_t count = job % 37;
      std::vector<std::atomic<int>> hits(count);
      pool.parallel_for(count, [&](size_t begin, size_t end) {
        for (size_t i = begin; i < end; ++i)
          hits[i].fetch_add(1);
      });
      for (size_t i = 0; i < count; ++i)
        QCOMPARE(hits[i].load(), 1);
      if (job % 1000 == 999) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }

  // F16, Q8_0 and Q4_0 files: against the same weights dequantized to F32 (the kernels' own
  // error: F16 none, Q8_0/Q4_0 the activations' 8-bit rounding), and against the original F32
  // weights (the quantization's error as well). Tolerances as measured, with room.
  void quantizedLogitsCloseToF32() {
    auto f32 = infer::Model::load(files_[gguf::TensorType::f32]);
    TINYLLM_VERIFY_OK(f32);
    const auto ids = seeded_tokens(40, config_.n_vocab, 13);
    const auto reference = runtime_logits(*f32, ids, false);
    double spread = 0;
    for (float v : reference)
      spread = std::max(spread, std::fabs(double(v)));
    struct Limits {
      double kernel, total;
    };
    const std::map<gguf::TensorType, Limits> limits = {{gguf::TensorType::f16, {1e-4, 5e-3}},
                                                       {gguf::TensorType::q8_0, {1e-1, 1.5e-1}},
                                                       {gguf::TensorType::q4_0, {1e-1, 1.0}}};
    for (const auto& [type, limit] : limits) {
      auto model = infer::Model::load(files_[type]);
      TINYLLM_VERIFY_OK(model);
      const fs::path twin_path = files_[type].string() + ".dequantized.gguf";
      TINYLLM_VERIFY_OK(write_dequantized(files_[type], twin_path));
      auto twin = infer::Model::load(twin_path);
      TINYLLM_VERIFY_OK(twin);
      const auto dequantized = runtime_logits(*twin, ids, false);
      for (bool token_by_token : {false, true}) {
        const auto got = runtime_logits(*model, ids, token_by_token);
        QCOMPARE(got.size(), reference.size());
        const double kernel = max_abs_diff(got.data(), dequantized.data(), got.size());
        const double total = max_abs_diff(got.data(), reference.data(), got.size());
        qInfo(
            "%s %s: maxdiff %.2e against its dequantized weights, %.2e against F32 (largest "
            "|logit| %.2f)",
            gguf::to_string(type), token_by_token ? "token by token" : "all at once", kernel, total,
            spread);
        QVERIFY2(kernel < limit.kernel, qPrintable(QString("kernel maxdiff %1").arg(kernel)));
        QVERIFY2(total < limit.total, qPrintable(QString("maxdiff %1").arg(total)));
      }
    }
  }

  // Scoring from the cached prompt equals scoring each prompt + answer from scratch; the best
  // answer is the brute force's argmax.
  void classificationMatchesBruteForce() {
    for (auto type : {gguf::TensorType::f32, gguf::TensorType::q4_0}) {
      auto model = infer::Model::load(files_[type]);
      TINYLLM_VERIFY_OK(model);
      const std::vector<std::vector<int32_t>> answers = {{5, 9, 3},     {5, 9, 4},  {7},
                                                         {11, 2, 2, 8}, {5, 10, 3}, {60, 3}};
      for (uint32_t seed = 20; seed < 24; ++seed) {
        const auto prompt = seeded_tokens(30, config_.n_vocab, seed);
        infer::Session session(*model);
        auto scores = infer::score_answers(session, prompt, answers);
        TINYLLM_VERIFY_OK(scores);
        QCOMPARE(scores->size(), answers.size());
        std::vector<double> brute;
        for (const auto& answer : answers) {
          std::vector<int32_t> all = prompt;
          all.insert(all.end(), answer.begin(), answer.end());
          infer::Session fresh(*model);
          TINYLLM_VERIFY_OK(fresh.eval(all, true));
          double sum = 0;
          const size_t V = size_t(config_.n_vocab);
          for (size_t i = 0; i < answer.size(); ++i)
            sum += infer::log_probability(fresh.logits().data() + (prompt.size() - 1 + i) * V, V,
                                          answer[i]);
          brute.push_back(sum);
        }
        for (size_t a = 0; a < answers.size(); ++a)
          QVERIFY2(
              std::fabs((*scores)[a] - brute[a]) < 1e-4,
              qPrintable(QString("answer %1: %2 vs %3").arg(a).arg((*scores)[a]).arg(brute[a])));
        const size_t best = infer::best_answer(*scores);
        QVERIFY(best < answers.size());
        QCOMPARE(best, infer::best_answer(brute));
      }
    }
  }

  // A broken or foreign file is refused with a message naming it.
  void loadRefusesFilesThatAreNotModels() {
    const fs::path bad = fs::path(dir_.path().toStdString()) / "not-a-model.gguf";
    std::ofstream(bad) << "GGUF but not really";
    auto m = infer::Model::load(bad);
    QVERIFY(!m.ok());
    QVERIFY(m.error().to_string().find("not-a-model.gguf") != std::string::npos);
    auto e = infer::Engine::load(files_[gguf::TensorType::f32]);  // a bare model: no tokenizer
    TINYLLM_VERIFY_OK(e);
    auto g = (*e)->generate("hello", {}, 4);
    QVERIFY(!g.ok());
    QVERIFY(g.error().to_string().find("tinyllm.tokenizer.model_proto") != std::string::npos);
    tinyllm_model* c = tinyllm_load(bad.c_str(), 1);
    QVERIFY(c && tinyllm_load_failed(c));
    QVERIFY(std::string(tinyllm_last_error(c)).find("not-a-model.gguf") != std::string::npos);
    tinyllm_free(c);
  }

  // A file from a newer workbench (tinyllm.format_version above this runtime's) is refused with
  // both versions named, not misread; the current format loads and reports who wrote it.
  void loadRefusesANewerFormatAndNamesVersions() {
    auto source = gguf::File::open(files_[gguf::TensorType::f32]);
    TINYLLM_VERIFY_OK(source);
    for (const uint32_t format :
         {gguf::keys::kTinyFormatVersionCurrent, gguf::keys::kTinyFormatVersionCurrent + 1}) {
      gguf::Writer w;
      for (const auto& kv : source->metadata())
        w.set(kv.key, kv.value);
      w.set_u32(gguf::keys::kTinyFormatVersion, format);
      w.set_string(gguf::keys::kTinyWorkbenchVersion, "9.8.7");
      for (const auto& t : source->tensors()) {
        auto values = source->dequantize(t);
        TINYLLM_VERIFY_OK(values);
        TINYLLM_VERIFY_OK(w.add_tensor(t.name, gguf::TensorType::f32, t.ne, *values));
      }
      const fs::path path =
          fs::path(dir_.path().toStdString()) / ("format-" + std::to_string(format) + ".gguf");
      TINYLLM_VERIFY_OK(w.write(path));
      auto engine = infer::Engine::load(path);
      if (format == gguf::keys::kTinyFormatVersionCurrent) {
        TINYLLM_VERIFY_OK(engine);
        QCOMPARE((*engine)->workbench_version(), std::string("9.8.7"));
        const auto info = run("tinyllm-run",
                              {"info", "--model", QString::fromStdString(path.string()), "--json"});
        QCOMPARE(info.code, 0);
        QVERIFY2(info.out.contains(QString("\"runtime_version\": \"%1\"").arg(kWorkbenchVersion)) &&
                     info.out.contains("\"workbench_version\": \"9.8.7\""),
                 qPrintable(info.out));
      } else {
        QVERIFY(!engine.ok());
        const std::string message = engine.error().to_string();
        QVERIFY2(message.find("newer workbench (9.8.7)") != std::string::npos &&
                     message.find(std::string("this runtime (") + kWorkbenchVersion) !=
                         std::string::npos,
                 message.c_str());
      }
    }
  }

  // A file whose general.alignment of 1 puts F32 data at an address that is not a multiple of 4
  // is refused by name instead of being read unaligned (which faults on 32-bit ARM). The writer
  // pads to 32 regardless, so the reader's data section starts up to 31 bytes early; a padding
  // key of 0..3 bytes makes one of the four files misaligned.
  void loadRefusesMisalignedTensorData() {
    auto source = gguf::File::open(files_[gguf::TensorType::f32]);
    TINYLLM_VERIFY_OK(source);
    int refused = 0;
    for (size_t pad = 0; pad < 4; ++pad) {
      gguf::Writer w;
      for (const auto& kv : source->metadata())
        w.set(kv.key, kv.value);
      w.set_u32(gguf::keys::kAlignment, 1);
      w.set_string("tinyllm.test.pad", std::string(pad, 'x'));
      for (const auto& t : source->tensors()) {
        auto values = source->dequantize(t);
        TINYLLM_VERIFY_OK(values);
        TINYLLM_VERIFY_OK(w.add_tensor(t.name, gguf::TensorType::f32, t.ne, *values));
      }
      auto bytes = w.bytes();
      TINYLLM_VERIFY_OK(bytes);
      auto file = gguf::File::parse(*bytes, "aligned-1.gguf");
      TINYLLM_VERIFY_OK(file);
      const bool misaligned = file->data_offset() % alignof(float) != 0;
      auto model = infer::Model::from_file(std::move(*file));
      QCOMPARE(model.ok(), !misaligned);
      if (misaligned) {
        const std::string message = model.error().to_string();
        QVERIFY2(message.find("aligned-1.gguf") != std::string::npos &&
                     message.find("is not aligned to 4 bytes") != std::string::npos,
                 message.c_str());
        ++refused;
      }
    }
    QVERIFY(refused > 0);
  }

  // The whole path on the demo project: a short fine-tune, `tinyllm eval` (libtorch) and
  // `tinyllm-run eval` (this runtime, F32 export) predict the same answers except near-ties.
  void cliEvalMatchesTinyllmEval() {
    const QString project = dir_.path() + "/demo";
    const fs::path root = project.toStdString();
    for (const QStringList& args :
         {QStringList{"project", "new", project, "--demo", "imu"},
          QStringList{"data", "prepare", "--project", project},
          QStringList{"tokenizer", "train", "--project", project, "--quiet"},
          QStringList{"finetune", "--project", project, "--from", "scratch", "--steps", "30",
                      "--n_layer", "2", "--n_embd", "64", "--n_head", "2", "--lr", "3e-3",
                      "--eval_every", "30", "--threads", "2"},
          QStringList{"eval", "--project", project, "--json"},
          QStringList{"export", "--project", project, "--run", "ft1", "--type", "f32,q8_0"}}) {
      const auto r = run("tinyllm", args);
      QVERIFY2(r.code == 0, qPrintable(args.join(' ') + ": " + r.err + r.out.right(1000)));
    }
    const fs::path gguf_file = root / "exports" / "ft1-f32.gguf";
    const fs::path predictions = root / "runtime-predictions.jsonl";
    const fs::path examples = root / "data" / "prepared" / "task_test.jsonl";
    auto r =
        run("tinyllm-run", {"eval", "--model", QString::fromStdString(gguf_file.string()), "--file",
                            QString::fromStdString(examples.string()), "--predictions",
                            QString::fromStdString(predictions.string()), "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const json summary = json::parse(r.out.toStdString());
    std::ifstream theirs(root / "reports" / "ft1-test" / "predictions.jsonl");
    std::ifstream ours(predictions);
    size_t n = 0, same = 0, near_ties = 0, correct = 0;
    double worst_score_diff = 0;
    for (std::string a, b; std::getline(theirs, a) && std::getline(ours, b); ++n) {
      const json t = json::parse(a), o = json::parse(b);
      QCOMPARE(o["label"].get<int>(), t["label"].get<int>());
      const auto ts = t["scores"].get<std::vector<double>>();
      const auto os = o["scores"].get<std::vector<double>>();
      for (size_t i = 0; i < ts.size(); ++i)
        worst_score_diff = std::max(worst_score_diff, std::fabs(ts[i] - os[i]));
      correct += o["predicted"] == o["label"];
      if (o["predicted"] == t["predicted"]) {
        ++same;
        continue;
      }
      std::vector<double> sorted = ts;
      std::sort(sorted.rbegin(), sorted.rend());
      const bool near_tie = sorted.size() > 1 && sorted[0] - sorted[1] < 1e-4;
      qInfo("example %zu: runtime %d, libtorch %d, top two libtorch scores %.6f %.6f%s", n,
            o["predicted"].get<int>(), t["predicted"].get<int>(), sorted[0], sorted[1],
            near_tie ? " (a near-tie)" : "");
      QVERIFY(near_tie);
      ++near_ties;
    }
    qInfo(
        "%zu test examples: %zu same predictions, %zu near-ties; largest score difference "
        "%.2e; accuracy %.3f",
        n, same, near_ties, worst_score_diff, summary["accuracy"].get<double>());
    QVERIFY(n > 10);
    QCOMPARE(summary["examples"].get<size_t>(), n);
    QCOMPARE(summary["correct"].get<size_t>(), correct);
    QVERIFY(worst_score_diff < 1e-3);

    // The other modes answer in JSON; Q8_0 classifies with the same labels; the C API agrees.
    const QString q8 = QString::fromStdString((root / "exports" / "ft1-q8_0.gguf").string());
    r = run("tinyllm-run", {"info", "--model", q8, "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const json info = json::parse(r.out.toStdString());
    QCOMPARE(info["type"].get<std::string>(), std::string("Q8_0"));
    QCOMPARE(info["n_layer"].get<int>(), 2);
    const auto answers = info["answers"].get<std::vector<std::string>>();
    QVERIFY(answers.size() >= 2);
    std::string first_prompt;
    {
      std::ifstream in(examples);
      std::string line;
      std::getline(in, line);
      first_prompt = json::parse(line)["prompt"].get<std::string>();
    }
    QProcess p;
    p.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm-run",
            {"classify", "--model", q8, "--json"});
    p.write(QByteArray::fromStdString(first_prompt));
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(60000));
    QCOMPARE(p.exitCode(), 0);
    const json c = json::parse(p.readAllStandardOutput().toStdString());
    QVERIFY(std::find(answers.begin(), answers.end(), c["label"].get<std::string>()) !=
            answers.end());
    QCOMPARE(c["scores"].size(), answers.size());
    tinyllm_model* m = tinyllm_load(q8.toStdString().c_str(), 2);
    QVERIFY2(!tinyllm_load_failed(m), tinyllm_last_error(m));
    char label[64];
    std::vector<float> scores(answers.size());
    const int best = tinyllm_classify(m, first_prompt.c_str(), label, sizeof label, scores.data(),
                                      scores.size());
    QCOMPARE(best, c["index"].get<int>());
    QCOMPARE(std::string(label), c["label"].get<std::string>());
    char text[256];
    QVERIFY(tinyllm_generate(m, first_prompt.c_str(), 8, 0.8f, 20, 0.9f, 5, text, sizeof text) >=
            0);
    tinyllm_free(m);
    r = run("tinyllm-run", {"generate", "--model", q8, "--prompt",
                            QString::fromStdString(first_prompt), "--max-tokens", "8", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY(json::parse(r.out.toStdString())["generated_tokens"].get<int>() <= 8);
    r = run("tinyllm-run", {"bench", "--model", q8, "--prompt-tokens", "32", "--gen-tokens", "8",
                            "--repeat", "1", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    const json bench = json::parse(r.out.toStdString());
    QVERIFY(bench["prompt_tokens_per_s"].get<double>() > 0);
    QVERIFY(bench["peak_rss_mib"].get<double>() > 0);
    QCOMPARE(bench["runs"].get<int>(), 1);
    // --min-seconds keeps repeating a run of milliseconds: more runs than --repeat asks for.
    r = run("tinyllm-run", {"bench", "--model", q8, "--prompt-tokens", "32", "--gen-tokens", "8",
                            "--repeat", "1", "--min-seconds", "0.5", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QVERIFY2(json::parse(r.out.toStdString())["runs"].get<int>() > 1, qPrintable(r.out));
    r = run("tinyllm-run", {"eval", "--model", q8});
    QCOMPARE(r.code, 1);
    QVERIFY(r.err.contains("--file"));
  }

  // Raw readings on the device: the demo's recorded CSV, cut where a test window ends, becomes
  // through the GGUF's recipe exactly the prompt data preparation wrote for that window; a stream
  // of a whole recording is classified every stride with confidence, threshold and smoothing.
  void rawReadingsMakeThePreparedPrompt() {
    const fs::path root = fs::path(dir_.path().toStdString()) / "demo";
    if (!fs::exists(root / "exports" / "ft1-q8_0.gguf"))
      QSKIP("needs cliEvalMatchesTinyllmEval's demo project");
    const QString q8 = QString::fromStdString((root / "exports" / "ft1-q8_0.gguf").string());
    const json prepared = json::parse(std::ifstream(root / "data/prepared/prepared.json"));
    const double rate = prepared["rate_hz"].get<double>();
    const size_t window_rows = prepared["window_rows"].get<size_t>();
    size_t checked = 0;
    std::ifstream examples(root / "data/prepared/task_test.jsonl");
    for (std::string line; std::getline(examples, line);) {
      const json e = json::parse(line);
      const size_t start = e["start"].get<size_t>(), rows = e["rows"].get<size_t>();
      // Resampling starts at the first reading given: the window must start the recording, or
      // be a whole window (then the last window_rows rows are it).
      if (start != 0 && rows != window_rows) continue;
      std::ifstream raw(root / "data/raw" / (e["series"].get<std::string>() + ".csv"));
      if (!raw) continue;
      std::string header, row, csv;
      std::getline(raw, header);
      csv = header + "\n";
      while (std::getline(raw, row))
        if (std::stod(row.substr(0, row.find(','))) / 1000.0 < double(start + rows) / rate - 1e-9)
          csv += row + "\n";
      const fs::path window_csv = root / "window.csv";
      std::ofstream(window_csv) << csv;
      auto r = run("tinyllm-run", {"classify", "--model", q8, "--csv",
                                   QString::fromStdString(window_csv.string()), "--json"});
      QVERIFY2(r.code == 0, qPrintable(r.err));
      QCOMPARE(json::parse(r.out.toStdString())["prompt"].get<std::string>(),
               e["prompt"].get<std::string>());
      ++checked;
    }
    qInfo("%zu test windows made from raw readings, prompts identical", checked);
    QVERIFY(checked >= 1);

    // A whole recording as a stream, 2 windows smoothed, a threshold of 0.5.
    QProcess p;
    p.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm-run",
            {"stream", "--model", q8, "--json", "--smooth", "2", "--threshold", "0.5"});
    std::ifstream raw(root / "data/raw/imu_p01.csv");
    const std::string all((std::istreambuf_iterator<char>(raw)), std::istreambuf_iterator<char>());
    p.write(QByteArray::fromStdString(all));
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(120000));
    QVERIFY2(p.exitCode() == 0, p.readAllStandardError().constData());
    const auto answers =
        json::parse(
            run("tinyllm-run", {"info", "--model", q8, "--json"}).out.toStdString())["answers"]
            .get<std::vector<std::string>>();
    size_t windows = 0, last_row = 0;
    for (const auto& out : p.readAllStandardOutput().split('\n')) {
      if (out.isEmpty()) continue;
      const json w = json::parse(out.toStdString());
      QVERIFY(std::find(answers.begin(), answers.end(), w["label"].get<std::string>()) !=
              answers.end());
      const double confidence = w["confidence"].get<double>();
      QVERIFY(confidence > 0 && confidence <= 1);
      QVERIFY(w["shown"] == "none" || confidence >= 0.5);
      QVERIFY(w["row"].get<size_t>() > last_row);
      last_row = w["row"].get<size_t>();
      ++windows;
    }
    const size_t raw_rows = size_t(std::count(all.begin(), all.end(), '\n')) - 1;
    qInfo("%zu raw rows streamed: %zu windows classified", raw_rows, windows);
    QVERIFY(windows >= 2);
    QVERIFY(last_row <= raw_rows);

    // Readings without the model's columns: a clear error naming the missing one.
    std::ofstream(root / "bad.csv") << "time_ms,x,y,z\n0,1,2,3\n";
    auto bad = run("tinyllm-run", {"classify", "--model", q8, "--csv",
                                   QString::fromStdString((root / "bad.csv").string())});
    QCOMPARE(bad.code, 1);
    QVERIFY2(bad.err.contains("no column 'ax'"), qPrintable(bad.err));
  }

  // serve: JSON Lines over a loopback port, the same answers as the modes give.
  void serveAnswersOverLoopback() {
    const fs::path root = fs::path(dir_.path().toStdString()) / "demo";
    if (!fs::exists(root / "exports" / "ft1-q8_0.gguf"))
      QSKIP("needs cliEvalMatchesTinyllmEval's demo project");
    const QString q8 = QString::fromStdString((root / "exports" / "ft1-q8_0.gguf").string());
    std::string prompt;
    {
      std::ifstream in(root / "data/prepared/task_test.jsonl");
      std::string line;
      std::getline(in, line);
      prompt = json::parse(line)["prompt"].get<std::string>();
    }
    const auto direct = run("tinyllm-run", {"classify", "--model", q8, "--prompt",
                                            QString::fromStdString(prompt), "--json"});
    QCOMPARE(direct.code, 0);
    const json expected = json::parse(direct.out.toStdString());

    QProcess server;
    server.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm-run",
                 {"serve", "--model", q8, "--port", "0"});
    QVERIFY(server.waitForReadyRead(30000));
    const json listening = json::parse(server.readLine().toStdString());
    QCOMPARE(listening["listening"].get<std::string>(), std::string("127.0.0.1"));
    QTcpSocket socket;
    socket.connectToHost("127.0.0.1", quint16(listening["port"].get<int>()));
    QVERIFY(socket.waitForConnected(10000));
    auto ask = [&](const json& request) {
      socket.write(QByteArray::fromStdString(request.dump() + "\n"));
      while (!socket.canReadLine()) {
        if (!socket.waitForReadyRead(30000)) return json();
      }
      return json::parse(socket.readLine().toStdString());
    };
    const json info = ask({{"op", "info"}});
    QCOMPARE(info["type"].get<std::string>(), std::string("Q8_0"));
    const json classified = ask({{"op", "classify"}, {"prompt", prompt}});
    QCOMPARE(classified["label"], expected["label"]);
    QCOMPARE(classified["scores"], expected["scores"]);
    // Raw readings in a request: the first second of a recording.
    std::ifstream raw(root / "data/raw/imu_p01.csv");
    std::string csv, line;
    for (int n = 0; n < 60 && std::getline(raw, line); ++n)
      csv += line + "\n";
    const json from_csv = ask({{"op", "classify"}, {"csv", csv}});
    QVERIFY2(from_csv.contains("label"), from_csv.dump().c_str());
    const json generated = ask({{"op", "generate"}, {"prompt", prompt}, {"max_tokens", 4}});
    QVERIFY(generated["generated_tokens"].get<int>() <= 4);
    const json bad = ask({{"op", "train"}});
    QVERIFY(bad["error"].get<std::string>().find("unknown op") != std::string::npos);
    QVERIFY(ask({{"nothing", 1}}).contains("error"));
    socket.disconnectFromHost();
    server.kill();
    server.waitForFinished();
  }
};

QTEST_GUILESS_MAIN(TestInfer)
#include "test_infer.moc"
