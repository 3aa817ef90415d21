#include "infer/kernel_check.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "gguf/quant.h"

namespace tinyllm::infer {
namespace {

constexpr size_t kMaxRows = 9;    // two 4-row tiles and a remainder, 8 + 1
constexpr size_t kMaxTokens = 7;  // a 4-token tile and a 3-token one, two 3s and a 1

bool same_bits(float a, float b) {
  return std::memcmp(&a, &b, sizeof a) == 0;
}

std::string number(double v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.9g", v);
  return text;
}

// The sum of |w[i] * x[i]|: the scale of a dot product's rounding errors.
double magnitude(const float* w, const float* x, size_t n) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i)
    sum += std::fabs(double(w[i]) * double(x[i]));
  return sum;
}

// The inputs of one round: `rows` weight rows and `tokens` activation rows of `cols` values.
struct Inputs {
  size_t cols = 0;
  std::vector<float> w, x;  // (kMaxRows, cols), (kMaxTokens, cols)
  std::string f16, q8, q4;  // w in the file's encodings (q8/q4 when cols is a multiple of 32)
  std::vector<ActivationBlock> xq;  // x quantized by the reference, (kMaxTokens, cols / 32)
};

// Round 0 is fixed (small integers and halves: many exact products and ties), the others seeded.
Inputs make_inputs(size_t cols, int round, std::mt19937& gen) {
  Inputs in;
  in.cols = cols;
  in.w.resize(kMaxRows * cols);
  in.x.resize(kMaxTokens * cols);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  for (size_t i = 0; i < in.w.size(); ++i)
    in.w[i] = round == 0 ? float(int(i % 9) - 4) * 0.25f : normal(gen);
  for (size_t i = 0; i < in.x.size(); ++i)
    in.x[i] = round == 0 ? float(int(i % 7) - 3) * 0.5f : normal(gen) * 3.0f;
  for (size_t r = 0; r < kMaxRows; ++r) {
    gguf::quantize_f16(in.w.data() + r * cols, cols, in.f16);
    if (cols % kBlock == 0) {
      gguf::quantize_q8_0(in.w.data() + r * cols, cols, in.q8);
      gguf::quantize_q4_0(in.w.data() + r * cols, cols, in.q4);
    }
  }
  const size_t blocks = cols / kBlock;
  in.xq.resize(kMaxTokens * blocks);
  for (size_t t = 0; t < kMaxTokens && blocks; ++t)
    reference_kernels().quantize_activations(in.x.data() + t * cols, blocks * kBlock,
                                             in.xq.data() + t * blocks);
  return in;
}

class Checker {
 public:
  explicit Checker(const Kernels& set) : set_(set), ref_(reference_kernels()) {}

  KernelCheck result() const { return result_; }
  bool failed() const { return !result_.passed(); }

  void quantizer(std::mt19937& gen) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::uniform_int_distribution<int> halves(-254, 254);
    for (int round = 0; round < 200 && !failed(); ++round) {
      std::vector<float> x(256);
      for (auto& v : x)
        v = round % 2 ? normal(gen) * float(1 + round % 5) : float(halves(gen)) * 0.5f;
      x[3] = 127.0f;  // scale 1 for the first block: its halves stay halves (ties)
      if (round % 7 == 0) std::fill(x.begin() + 32, x.begin() + 64, 0.0f);  // scale 0
      std::vector<ActivationBlock> want(8), got(8);
      ref_.quantize_activations(x.data(), x.size(), want.data());
      set_.quantize_activations(x.data(), x.size(), got.data());
      result_.values += x.size();
      for (size_t b = 0; b < want.size() && !failed(); ++b)
        if (std::memcmp(&want[b], &got[b], sizeof want[b]) != 0)
          fail("quantize_activations round " + std::to_string(round) + " block " +
               std::to_string(b) + ": not the reference's block");
    }
  }

  // Attention's loops against the reference's, bit for bit, over key counts and head sizes that
  // leave every tile remainder (1..3 queries past a tile, keys and dimensions past a vector),
  // scores stored transposed in a buffer wider than the keys, as a session's cache is.
  void attention(std::mt19937& gen) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    constexpr size_t kQueries = 15, kStride = 80;   // a session's n_ctx: room past the keys
    for (size_t D : {1u, 7u, 16u, 40u, 64u, 300u})  // 300: past score_tail's stack copy
      for (size_t keys : {1u, 3u, 17u, 33u, 70u}) {
        const size_t first = keys < kQueries ? 0 : keys - kQueries;  // keys before the group
        const size_t queries = std::min(kQueries, keys - first);
        std::vector<float> keys_t(D * kStride), values(kStride * D), q(queries * 2 * D);
        for (float& v : keys_t)
          v = normal(gen);
        for (float& v : values)
          v = normal(gen);
        for (float& v : q)
          v = normal(gen) * 2.0f;
        const float scale = 1.0f / std::sqrt(float(D));
        auto shape = [&](const char* what) {
          return std::string(what) + " head size " + std::to_string(D) + ", " +
                 std::to_string(keys) + " keys";
        };
        std::vector<float> want(queries * keys, -1.0f), got = want;
        // Queries 2 * D apart: a query row inside a wider one, as in the qkv rows.
        ref_.attention_scores(keys_t.data(), kStride, keys, q.data(), 2 * D, D, queries,
                              want.data(), keys);
        set_.attention_scores(keys_t.data(), kStride, keys, q.data(), 2 * D, D, queries, got.data(),
                              keys);
        compare(shape("attention_scores"), want, got);
        for (size_t i = 0; i < queries; ++i) {  // query i sees first + i + 1 keys
          ref_.softmax(want.data() + i * keys, first + i + 1, scale);
          set_.softmax(got.data() + i * keys, first + i + 1, scale);
        }
        compare(shape("softmax"), want, got);
        std::vector<float> out_want(queries * D, -1.0f), out_got = out_want;
        ref_.weighted_values(values.data(), D, D, want.data(), keys, first + 1, queries,
                             out_want.data(), D);
        set_.weighted_values(values.data(), D, D, want.data(), keys, first + 1, queries,
                             out_got.data(), D);
        compare(shape("weighted_values"), out_want, out_got);
      }
  }

  // Layer norm against the reference's, bit for bit: rows of 1..515 values (every partial-sum
  // remainder), centred and far from zero (a mean much larger than the spread).
  void layer_norm(std::mt19937& gen) {
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (size_t C : {1u, 3u, 8u, 13u, 64u, 515u})
      for (float offset : {0.0f, 300.0f}) {
        std::vector<float> x(C), w(C), b(C), want(C), got(C);
        for (size_t c = 0; c < C; ++c) {
          x[c] = offset + normal(gen) * 2.0f;
          w[c] = 1.0f + 0.1f * normal(gen);
          b[c] = 0.1f * normal(gen);
        }
        ref_.layer_norm(x.data(), w.data(), b.data(), C, 1e-5f, want.data());
        set_.layer_norm(x.data(), w.data(), b.data(), C, 1e-5f, got.data());
        compare("layer_norm of " + std::to_string(C) + " values", want, got);
      }
  }

  // `what`: the function and its shape, for the message.
  void compare(const std::string& what, const std::vector<float>& want,
               const std::vector<float>& got) {
    result_.values += want.size();
    for (size_t i = 0; i < want.size() && !failed(); ++i)
      if (!same_bits(want[i], got[i]))
        fail(what + ", value " + std::to_string(i) + ": " + number(got[i]) + ", the reference " +
             number(want[i]));
  }

  void products(const Inputs& in) {
    const size_t cols = in.cols, blocks = cols / kBlock;
    const auto* wf = reinterpret_cast<const uint8_t*>(in.w.data());
    const auto* wh = reinterpret_cast<const uint8_t*>(in.f16.data());
    const auto* w8 = reinterpret_cast<const uint8_t*>(in.q8.data());
    const auto* w4 = reinterpret_cast<const uint8_t*>(in.q4.data());
    const size_t q8_row = blocks * gguf::kQ8_0BlockBytes, q4_row = blocks * gguf::kQ4_0BlockBytes;
    const float* x = in.x.data();
    const ActivationBlock* xq = in.xq.data();
    for (size_t rows = 1; rows <= kMaxRows && !failed(); ++rows)
      for (size_t tokens = 1; tokens <= kMaxTokens && !failed(); ++tokens) {
        Shape shape{cols, rows, tokens};
        check(
            "F32", shape,
            [&](const Kernels& k, float* y, size_t ys) {
              k.product_f32(wf, cols * 4, rows, x, cols, tokens, y, ys);
            },
            [&](const Kernels& k, size_t r, size_t t) {
              return k.dot_f32(in.w.data() + r * cols, x + t * cols, cols);
            },
            [&](size_t r, size_t t) {
              return magnitude(in.w.data() + r * cols, x + t * cols, cols);
            });
        check(
            "F16", shape,
            [&](const Kernels& k, float* y, size_t ys) {
              k.product_f16(wh, cols * 2, rows, x, cols, tokens, y, ys);
            },
            [&](const Kernels& k, size_t r, size_t t) {
              return k.dot_f16(reinterpret_cast<const uint16_t*>(wh + r * cols * 2), x + t * cols,
                               cols);
            },
            [&](size_t r, size_t t) {
              return magnitude(in.w.data() + r * cols, x + t * cols, cols);
            });
        if (blocks == 0 || cols % kBlock) continue;
        check(
            "Q8_0", shape,
            [&](const Kernels& k, float* y, size_t ys) {
              k.product_q8_0(w8, q8_row, rows, xq, blocks, tokens, y, ys);
            },
            [&](const Kernels& k, size_t r, size_t t) {
              return k.dot_q8_0(w8 + r * q8_row, xq + t * blocks, blocks);
            },
            [&](size_t r, size_t t) {
              return magnitude(in.w.data() + r * cols, x + t * cols, cols);
            });
        check(
            "Q4_0", shape,
            [&](const Kernels& k, float* y, size_t ys) {
              k.product_q4_0(w4, q4_row, rows, xq, blocks, tokens, y, ys);
            },
            [&](const Kernels& k, size_t r, size_t t) {
              return k.dot_q4_0(w4 + r * q4_row, xq + t * blocks, blocks);
            },
            [&](size_t r, size_t t) {
              return magnitude(in.w.data() + r * cols, x + t * cols, cols);
            });
      }
  }

  // Packed products (sets that have them): 1-33 rows (two groups and one row), 1-15 tokens
  // (a 12- or 14-token tile and every remainder). Q8_0/Q4_0: each value the reference's dot
  // product bit for bit; F32/F16: the row's products summed in order with fused multiply-adds.
  void packed_products(size_t cols, std::mt19937& gen) {
    constexpr size_t kRows = 2 * kPackRows + 1, kTokens = 15;
    const size_t blocks = cols / kBlock;
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<float> w(kRows * cols), x(kTokens * cols);
    for (auto& v : w)
      v = normal(gen);
    for (auto& v : x)
      v = normal(gen) * 3.0f;
    std::vector<ActivationBlock> xq(kTokens * blocks);
    std::vector<int32_t> sums(kTokens * blocks);
    for (size_t t = 0; t < kTokens; ++t)
      ref_.quantize_activations(x.data() + t * cols, cols, xq.data() + t * blocks);
    for (size_t i = 0; i < xq.size(); ++i)
      for (int8_t q : xq[i].qs)
        sums[i] += q;
    std::string f16;
    gguf::quantize_f16(w.data(), w.size(), f16);
    for (bool half : {false, true}) {
      const Kernels::Pack pack = half ? set_.pack_f16 : set_.pack_f32;
      const Kernels::PackedFloatProduct product =
          half ? set_.packed_product_f16 : set_.packed_product_f32;
      if (!pack || !product || failed()) continue;
      const PackedType packed_type = half ? PackedType::f16 : PackedType::f32;
      const auto* file = half ? reinterpret_cast<const uint8_t*>(f16.data())
                              : reinterpret_cast<const uint8_t*>(w.data());
      const size_t row_bytes = cols * (half ? 2 : 4);
      auto want = [&](size_t r, size_t t) {
        float sum = 0;
        for (size_t k = 0; k < cols; ++k) {
          const float wk =
              half ? gguf::fp16_to_fp32(reinterpret_cast<const uint16_t*>(file + r * row_bytes)[k])
                   : w[r * cols + k];
          sum = std::fma(wk, x[t * cols + k], sum);
        }
        return sum;
      };
      check_packed(
          half ? "F16" : "F32", packed_type, cols, pack, file, row_bytes, kRows, kTokens,
          [&](const uint8_t* group, size_t rows, const float* bias, size_t tokens, float* y,
              size_t stride) { product(group, rows, bias, x.data(), cols, tokens, y, stride); },
          want);
    }
    for (bool q4 : {false, true}) {
      auto pack = q4 ? set_.pack_q4_0 : set_.pack_q8_0;
      auto product = q4 ? set_.packed_product_q4_0 : set_.packed_product_q8_0;
      auto dot = q4 ? ref_.dot_q4_0 : ref_.dot_q8_0;
      if (!pack || !product || failed()) continue;
      const char* type = q4 ? "Q4_0" : "Q8_0";
      std::string file;
      (q4 ? gguf::quantize_q4_0 : gguf::quantize_q8_0)(w.data(), w.size(), file);
      const auto* wq = reinterpret_cast<const uint8_t*>(file.data());
      const size_t row_bytes = file.size() / kRows;
      check_packed(
          type, q4 ? PackedType::q4_0 : PackedType::q8_0, cols, pack, wq, row_bytes, kRows, kTokens,
          [&](const uint8_t* group, size_t rows, const float* bias, size_t tokens, float* y,
              size_t stride) {
            product(group, rows, bias, xq.data(), sums.data(), blocks, tokens, y, stride);
          },
          [&](size_t r, size_t t) {
            return dot(wq + r * row_bytes, xq.data() + t * blocks, blocks);
          });
    }
  }

 private:
  // Packs the first `rows` of `max_rows` file rows for 1, 7, 16 and all rows, runs the packed
  // product over 1..max_tokens tokens group by group (with a bias for odd token counts), and
  // compares every value with want(r, t) (+ the bias) bit for bit, and the outputs past the rows
  // with the padding they started with.
  template <class Product, class Want>
  void check_packed(const char* type, PackedType packed_type, size_t cols, Kernels::Pack pack,
                    const uint8_t* file, size_t row_bytes, size_t max_rows, size_t max_tokens,
                    Product product, Want want) {
    const size_t group_bytes = packed_group_bytes(packed_type, cols);
    std::vector<float> bias(max_rows);
    for (size_t r = 0; r < max_rows; ++r)
      bias[r] = float(int(r % 5) - 2) * 0.375f + 1e-3f * float(r);
    for (size_t rows : {size_t(1), size_t(7), kPackRows, max_rows}) {
      std::vector<uint8_t> storage(packed_matrix_bytes(packed_type, rows, cols) + 64);
      uint8_t* packed = storage.data() + (64 - reinterpret_cast<uintptr_t>(storage.data()) % 64);
      pack(file, row_bytes, rows, cols, packed);
      for (size_t tokens = 1; tokens <= max_tokens && !failed(); ++tokens) {
        const Shape shape{cols, rows, tokens};
        const size_t stride = max_rows + 3;
        constexpr float kPadding = -7.0f;
        std::vector<float> y(tokens * stride, kPadding);
        const bool biased = tokens % 2 == 1;
        for (size_t r0 = 0; r0 < rows; r0 += kPackRows)
          product(packed + r0 / kPackRows * group_bytes, std::min(kPackRows, rows - r0),
                  biased ? bias.data() + r0 : nullptr, tokens, y.data() + r0, stride);
        for (size_t t = 0; t < tokens && !failed(); ++t)
          for (size_t r = 0; r < stride && !failed(); ++r) {
            const float got = y[t * stride + r];
            ++result_.values;
            if (r >= rows) {
              if (!same_bits(got, kPadding))
                fail(shape.describe(type, "packed product") + " wrote row " + std::to_string(r) +
                     " past its rows");
              continue;
            }
            const float expected = biased ? want(r, t) + bias[r] : want(r, t);
            if (!same_bits(got, expected))
              fail(shape.describe(type, "packed product") + " at row " + std::to_string(r) +
                   " token " + std::to_string(t) + ": " + number(got) + ", expected " +
                   number(expected));
          }
      }
    }
  }

  struct Shape {
    size_t cols, rows, tokens;
    std::string describe(const char* type, const char* what) const {
      return std::string(type) + " " + what + " (" + std::to_string(rows) + " rows, " +
             std::to_string(tokens) + " tokens, " + std::to_string(cols) + " cols)";
    }
  };

  // One type at one shape: the set's product against its own dot products (bit for bit, padding
  // untouched), and its dot products against the reference's.
  template <class Product, class Dot, class Magnitude>
  void check(const char* type, const Shape& s, Product product, Dot dot, Magnitude size_of) {
    if (failed()) return;
    const size_t stride = s.rows + 3;  // outputs in a wider matrix whose padding stays untouched
    constexpr float kPadding = -7.0f;
    std::vector<float> y(s.tokens * stride, kPadding);
    product(set_, y.data(), stride);
    for (size_t t = 0; t < s.tokens && !failed(); ++t)
      for (size_t r = 0; r < stride && !failed(); ++r) {
        const float got = y[t * stride + r];
        ++result_.values;
        if (r >= s.rows) {
          if (!same_bits(got, kPadding))
            fail(s.describe(type, "product") + " wrote row " + std::to_string(r) +
                 " past its rows");
          continue;
        }
        const float own = dot(set_, r, t), ref = dot(ref_, r, t);
        const std::string at = " at row " + std::to_string(r) + " token " + std::to_string(t);
        if (!same_bits(got, own))
          fail(s.describe(type, "product") + at + ": " + number(got) + ", its dot product " +
               number(own));
        else if (set_.reference_bits && !same_bits(own, ref))
          fail(s.describe(type, "dot product") + at + ": " + number(own) + ", the reference " +
               number(ref));
        else if (!set_.reference_bits &&
                 std::fabs(double(own) - double(ref)) > 1e-5 * size_of(r, t) + 1e-30)
          fail(s.describe(type, "dot product") + at + ": " + number(own) + ", the reference " +
               number(ref) + " (beyond 1e-5 of the sum of |products|)");
      }
  }

  void fail(std::string what) {
    if (result_.mismatch.empty()) result_.mismatch = std::string(set_.name) + ": " + what;
  }

  const Kernels& set_;
  const Kernels& ref_;
  KernelCheck result_;
};

}  // namespace

KernelCheck check_kernels(const Kernels& set) {
  Checker checker(set);
  std::mt19937 gen(20261211);
  checker.quantizer(gen);
  checker.attention(gen);
  checker.layer_norm(gen);
  // 32: one block; 40: float rows with a tail past a multiple of 4 and 8; 96: three blocks; 256.
  for (size_t cols : {32u, 40u, 96u, 256u})
    for (int round = 0; round < 2; ++round)
      checker.products(make_inputs(cols, round, gen));
  for (size_t cols : {32u, 96u, 256u})
    checker.packed_products(cols, gen);
  return checker.result();
}

}  // namespace tinyllm::infer
