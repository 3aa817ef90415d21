// Layer norm of one row, written once over a lane type and built by every kernel set, like
// attention_lanes.h (include it the same way, after <cmath>, <cstdint> and <cstring>): float and
// double for the scalar reference, GCC vectors of 8/4/2 doubles (and as many floats) for
// AVX-512/AVX2/NEON. Every set gives the reference's floats bit for bit, on every arch.
//
// The mean and the variance are sums in double (as torch's layer_norm accumulates in more than
// float) over 8 partial sums, partial i taking the values c = i mod 8 in c order, then added in
// order 0 .. 7: the same order for every lane width.
//
// LayerNormLanes<F, D>: D is the double lane type (double, or a GCC vector of doubles), F the
// float type of as many lanes.
template <class F, class D>
struct LayerNormLanes {
  static constexpr size_t W = sizeof(D) / sizeof(double);
  static_assert(8 % W == 0, "8 partial sums must be whole vectors");
  static constexpr size_t kParts = 8 / W;

  static F load(const float* p) {
    F v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static D widen(F v) {
    if constexpr (W == 1)
      return double(v);
    else
      return __builtin_convertvector(v, D);
  }

  // The sum of term(x[c]) over c < C in double, in the order above. `term` takes a double or D.
  template <class Term>
  static double sum(const float* x, size_t C, Term term) {
    D parts[kParts] = {};
    size_t c = 0;
    for (; c + 8 <= C; c += 8)
      for (size_t i = 0; i < kParts; ++i)
        parts[i] = parts[i] + term(widen(load(x + c + i * W)));
    double sums[8];
    std::memcpy(sums, parts, sizeof sums);
    for (; c < C; ++c)
      sums[c % 8] += term(double(x[c]));
    double total = sums[0];
    for (size_t i = 1; i < 8; ++i)
      total += sums[i];
    return total;
  }

  // out[c] = (x[c] - mean) * inv * w[c] + b[c], inv = 1 / sqrt(variance + eps) (biased variance,
  // as torch's layer_norm), the last line in float.
  static void layer_norm(const float* x, const float* w, const float* b, size_t C, float eps,
                         float* out) {
    const double mean = sum(x, C, [](auto v) { return v; }) / double(C);
    const double var = sum(x, C, [mean](auto v) { return (v - mean) * (v - mean); }) / double(C);
    const float inv = float(1.0 / std::sqrt(var + double(eps)));
    const float m = float(mean);
    size_t c = 0;
    for (; c + W <= C; c += W) {
      const F y = (load(x + c) - m) * inv * load(w + c) + load(b + c);
      std::memcpy(out + c, &y, sizeof y);
    }
    for (; c < C; ++c)
      out[c] = (x[c] - m) * inv * w[c] + b[c];
  }
};
