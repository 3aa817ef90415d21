// Attention's three inner loops (scores, softmax, weighted sum of values), written once over a
// "lane" type and built by every kernel set: float for the scalar reference, GCC vector types
// for the SIMD sets (16 lanes AVX-512, 8 AVX2, 4 NEON). A lane does the scalar code's
// operations in the scalar code's order (plain multiplies and adds, rounded each: tinyllm_infer
// is built with -ffp-contract=off; exact integer operations), so every set gives the reference's
// floats bit for bit, on every arch.
//
// Include it inside an anonymous namespace of the kernel set's file, after <algorithm>, <cmath>,
// <cstdint>, <cstring> and <type_traits>, under the set's `#pragma GCC target`: each file then has
// its own copies, compiled for its instructions (a shared inline copy could be one built for
// AVX-512, run on a CPU without it).
//
// AttentionLanes<V, U>: V is the float lane type (float, or a GCC vector of floats), U the
// unsigned 32-bit integer type of as many lanes.
template <class V, class U>
struct AttentionLanes {
  static constexpr size_t W = sizeof(V) / sizeof(float);
  using Scalar = AttentionLanes<float, uint32_t>;

  static V load(const float* p) {
    V v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void store(float* p, V v) { std::memcpy(p, &v, sizeof v); }
  static V splat(float s) { return s - V{}; }  // s - 0 is s, -0 included
  static V max(V a, V b) { return a < b ? b : a; }
  static V min(V a, V b) { return b < a ? b : a; }

  // e^x: x = k ln 2 + r with k = round(x / ln 2) (|r| <= ln(2) / 2), e^r by its Taylor series to
  // r^7 (the rest is below 6e-9 of it), times 2^k built from k's bits. x is clamped to
  // [-87, 88] first, where 2^k is a normal float: below, e^x is under 1.7e-38, which vanishes
  // next to a softmax's largest weight, 1. Within 2 ulp of e^x.
  static V exp(V x) {
    constexpr float kLog2e = 1.44269504088896341f;
    // ln 2 split: the high part has 16 significant bits, so k * kLn2Hi is exact for |k| <= 127.
    constexpr float kLn2Hi = 0.693145751953125f;
    constexpr float kLn2Lo = 1.42860682030941723212e-6f;
    // Adding 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer (round to nearest),
    // which then sits in the low bits of the sum's representation.
    constexpr float kRoundToInteger = 12582912.0f;
    x = min(max(x, splat(-87.0f)), splat(88.0f));
    const V shifted = x * kLog2e + kRoundToInteger;
    const V k = shifted - kRoundToInteger;
    const V r = (x - k * kLn2Hi) - k * kLn2Lo;
    V p = splat(1.0f / 5040);
    p = p * r + 1.0f / 720;
    p = p * r + 1.0f / 120;
    p = p * r + 1.0f / 24;
    p = p * r + 1.0f / 6;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    U bits;
    std::memcpy(&bits, &shifted, sizeof bits);
    bits = (bits + 127u) << 23;  // k + 127 (1..254) in the exponent field
    V two_to_k;
    std::memcpy(&two_to_k, &bits, sizeof two_to_k);
    return p * two_to_k;
  }

  // s[q * s_stride + j] = sum over d < D, in order, of queries[q * q_stride + d] *
  // keys_t[d * k_stride + j], for j < keys and q < n_queries. Keys are stored transposed (a row
  // per dimension), so a lane is a key and needs no horizontal sum.
  template <size_t QN, size_t KN>
  static void score_tile(const float* keys_t, size_t k_stride, size_t j0, const float* queries,
                         size_t q_stride, size_t D, float* s, size_t s_stride) {
    V acc[QN][KN] = {};
    for (size_t d = 0; d < D; ++d) {
      V k[KN];
#pragma GCC unroll 16
      for (size_t i = 0; i < KN; ++i)
        k[i] = load(keys_t + d * k_stride + j0 + i * W);
#pragma GCC unroll 16
      for (size_t q = 0; q < QN; ++q) {
        const V b = splat(queries[q * q_stride + d]);
#pragma GCC unroll 16
        for (size_t i = 0; i < KN; ++i)
          acc[q][i] = acc[q][i] + b * k[i];
      }
    }
#pragma GCC unroll 16
    for (size_t q = 0; q < QN; ++q)
#pragma GCC unroll 16
      for (size_t i = 0; i < KN; ++i)
        store(s + q * s_stride + j0 + i * W, acc[q][i]);
  }

  // Query q's scores in rows s_stride apart; query rows q_stride apart.
  template <size_t QT, size_t KN>
  static void scores(const float* keys_t, size_t k_stride, size_t keys, const float* queries,
                     size_t q_stride, size_t D, size_t n_queries, float* s, size_t s_stride) {
    size_t covered = 0;  // keys the vector tiles reach: the same for every group
    in_groups<QT>(n_queries, [&](auto qn, size_t q) {
      covered = in_tiles<KN>(keys, [&](auto kn, size_t j) {
        score_tile<decltype(qn)::value, decltype(kn)::value>(
            keys_t, k_stride, j, queries + q * q_stride, q_stride, D, s + q * s_stride, s_stride);
      });
    });
    if (covered < keys)
      score_tail<QT>(keys_t, k_stride, covered, keys - covered, queries, q_stride, D, n_queries, s,
                     s_stride);
  }

  // The last `left` (< W) keys from j, for every query: copied once into a zero-padded vector
  // per dimension, so that they take the vector tile too (a lane's operations do not depend on
  // the other lanes).
  template <size_t QT>
  static void score_tail(const float* keys_t, size_t k_stride, size_t j, size_t left,
                         const float* queries, size_t q_stride, size_t D, size_t n_queries,
                         float* s, size_t s_stride) {
    constexpr size_t kMaxD = 256;  // 16 KiB of stack with 16 lanes
    if (D > kMaxD) {
      for (size_t q = 0; q < n_queries; ++q)
        for (size_t k = 0; k < left; ++k)
          Scalar::template score_tile<1, 1>(keys_t, k_stride, j + k, queries + q * q_stride,
                                            q_stride, D, s + q * s_stride, s_stride);
      return;
    }
    float padded[kMaxD * W];
    for (size_t d = 0; d < D; ++d)
      for (size_t l = 0; l < W; ++l)
        padded[d * W + l] = l < left ? keys_t[d * k_stride + j + l] : 0.0f;
    in_groups<QT>(n_queries, [&](auto qn, size_t q) {
      constexpr size_t QN = decltype(qn)::value;
      float out[QN * W];
      score_tile<QN, 1>(padded, W, 0, queries + q * q_stride, q_stride, D, out, W);
      for (size_t i = 0; i < QN; ++i)
        std::memcpy(s + (q + i) * s_stride + j, out + i * W, left * sizeof(float));
    });
  }

  // s[j] = e^(scale s[j] - top) / total for j < n (n >= 1), where top is the largest scale s[j]
  // and total the sum of the exponentials: 16 partial sums (partial i takes j = i mod 16, in j
  // order), then partials 0 .. 15 added in order. The order is the same for every lane width.
  static void softmax(float* s, size_t n, float scale) {
    static_assert(16 % W == 0, "16 partial sums must be whole vectors");
    constexpr size_t kParts = 16 / W;
    float top = -INFINITY;
    size_t j = 0;
    if (n >= W) {
      V m = splat(-INFINITY);
      for (; j + W <= n; j += W) {
        const V v = load(s + j) * scale;
        store(s + j, v);
        m = max(m, v);
      }
      float lanes[W];
      std::memcpy(lanes, &m, sizeof lanes);
      for (float v : lanes)
        top = std::max(top, v);
    }
    for (; j < n; ++j) {
      s[j] *= scale;
      top = std::max(top, s[j]);
    }
    V partial[kParts] = {};
    j = 0;
    for (; j + 16 <= n; j += 16)
      for (size_t i = 0; i < kParts; ++i) {
        const V e = exp(load(s + j + i * W) - top);
        store(s + j + i * W, e);
        partial[i] = partial[i] + e;
      }
    float sums[16];
    std::memcpy(sums, partial, sizeof sums);
    for (; j < n; ++j) {
      s[j] = Scalar::exp(s[j] - top);
      sums[j % 16] += s[j];
    }
    float total = sums[0];
    for (size_t i = 1; i < 16; ++i)
      total += sums[i];
    j = 0;
    for (; j + W <= n; j += W)
      store(s + j, load(s + j) / total);
    for (; j < n; ++j)
      s[j] /= total;
  }

  // out[q * out_stride + d] = sum over j < keys0 + q, in order, of p[q * p_stride + j] *
  // values[j * v_stride + d], for d < D and q < n_queries: query q sees one key more than
  // query q - 1 (a causal group). A lane is a dimension; the group's sums stay in registers.
  template <size_t QN, size_t DN>
  static void value_tile(const float* values, size_t v_stride, size_t d0, const float* p,
                         size_t p_stride, size_t keys0, float* out, size_t out_stride) {
    V acc[QN][DN] = {};
    auto add_key = [&](size_t j, size_t q_first) {
      V v[DN];
#pragma GCC unroll 16
      for (size_t i = 0; i < DN; ++i)
        v[i] = load(values + j * v_stride + d0 + i * W);
#pragma GCC unroll 16
      for (size_t q = 0; q < QN; ++q) {
        if (q < q_first)
          continue;  // a test, not a loop bound: the loop unrolls, acc stays in registers
        const V b = splat(p[q * p_stride + j]);
#pragma GCC unroll 16
        for (size_t i = 0; i < DN; ++i)
          acc[q][i] = acc[q][i] + b * v[i];
      }
    };
    for (size_t j = 0; j < keys0; ++j)
      add_key(j, 0);
    for (size_t j = keys0; j + 1 < keys0 + QN; ++j)
      add_key(j, j - keys0 + 1);  // queries q > j - keys0 see key j
#pragma GCC unroll 16
    for (size_t q = 0; q < QN; ++q)
#pragma GCC unroll 16
      for (size_t i = 0; i < DN; ++i)
        store(out + q * out_stride + d0 + i * W, acc[q][i]);
  }

  template <size_t QT, size_t DN>
  static void weighted_values(const float* values, size_t v_stride, size_t D, const float* p,
                              size_t p_stride, size_t keys0, size_t n_queries, float* out,
                              size_t out_stride) {
    in_groups<QT>(n_queries, [&](auto qn, size_t q) {
      constexpr size_t QN = decltype(qn)::value;
      auto tile = [&](auto lanes, auto dn, size_t d) {
        decltype(lanes)::template value_tile<QN, decltype(dn)::value>(
            values, v_stride, d, p + q * p_stride, p_stride, keys0 + q, out + q * out_stride,
            out_stride);
      };
      const size_t tiled =
          in_tiles<DN>(D, [&](auto dn, size_t d) { tile(AttentionLanes{}, dn, d); });
      for (size_t d = tiled; d < D; ++d)  // head sizes that are not a multiple of W: rare
        tile(Scalar{}, Count<1>{}, d);
    });
  }

  template <size_t N>
  using Count = std::integral_constant<size_t, N>;

  // Covers [0, total) with tiles of N vectors while they fit, then of one vector: tile(count, i),
  // `count` (a Count) vectors from i. Returns where the tiles stopped (the last total % W values
  // are left).
  template <size_t N, class Tile>
  static size_t in_tiles(size_t total, Tile tile) {
    size_t i = 0;
    for (; i + N * W <= total; i += N * W)
      tile(Count<N>{}, i);
    for (; i + W <= total; i += W)
      tile(Count<1>{}, i);
    return i;
  }

  // Queries in groups of QT, then one at a time: group(count, first query).
  template <size_t QT, class Group>
  static void in_groups(size_t n, Group group) {
    size_t q = 0;
    for (; q + QT <= n; q += QT)
      group(Count<QT>{}, q);
    for (; q < n; ++q)
      group(Count<1>{}, q);
  }
};
