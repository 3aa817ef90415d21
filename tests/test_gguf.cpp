// tinyllm_gguf: quantizers bit-exact with the spec's reference formulas
// (../shared/reference/gguf-gpt2.md §4), write -> read round trips, and a reader that turns every
// kind of damage into an Error naming the byte offset (never a crash). The export and
// `tinyllm export`: test_gguf_export.cpp.
#include <QtTest>

#include <cmath>
#include <cstring>
#include <random>

#include "base/binary.h"
#include "gguf/gguf.h"
#include "gguf/keys.h"
#include "gguf/quant.h"
#include "test_verify.h"

using namespace tinyllm;
using namespace tinyllm::gguf;

namespace {

std::string hex(const std::string& bytes) {
  std::string out;
  char buf[4];
  for (unsigned char c : bytes) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

void put_u32(std::string& bytes, uint64_t at, uint32_t v) {
  binary_detail::store_le(v, reinterpret_cast<uint8_t*>(&bytes[at]));
}
void put_u64(std::string& bytes, uint64_t at, uint64_t v) {
  binary_detail::store_le(v, reinterpret_cast<uint8_t*>(&bytes[at]));
}

// The spec's dequantization formulas, written out again here so the library's are checked.
float spec_half(const uint8_t* p) {
  uint16_t h = static_cast<uint16_t>(p[0] | (p[1] << 8));
  const int sign = h >> 15, exponent = (h >> 10) & 31, mantissa = h & 1023;
  const double value =
      exponent == 0 ? std::ldexp(mantissa, -24) : std::ldexp(1024 + mantissa, exponent - 25);
  return static_cast<float>(sign ? -value : value);
}
std::vector<float> spec_dequantize(TensorType type, const std::string& bytes, size_t count) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  std::vector<float> out(count);
  for (size_t i = 0; i < count; ++i) {
    const size_t b = i / 32, j = i % 32;
    if (type == TensorType::f16) {
      out[i] = spec_half(p + 2 * i);
    } else if (type == TensorType::q8_0) {
      out[i] = spec_half(p + 34 * b) * static_cast<float>(static_cast<int8_t>(p[34 * b + 2 + j]));
    } else {  // q4_0: low nibble = element j, high nibble = element j + 16
      const uint8_t q = p[18 * b + 2 + (j % 16)];
      out[i] = static_cast<float>((j < 16 ? (q & 15) : (q >> 4)) - 8) * spec_half(p + 18 * b);
    }
  }
  return out;
}

std::vector<float> seeded_values(size_t count, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, scale);
  std::vector<float> v(count);
  for (auto& x : v)
    x = normal(rng);
  return v;
}

// A small valid file with every section: the base of the corruption tests.
std::string small_file() {
  Writer w;
  w.set_string(keys::kArchitecture, "gpt2");
  w.set_u32("t.one", 1);
  w.set_u32("t.two", 2);
  w.set_f32_array("t.arr", {1.0f, 2.0f, 3.0f});
  w.set_string_array("t.strs", {"a", "bc"});
  w.set_bool("t.flag", true);
  if (!w.add_tensor("t.aa", TensorType::f32, {4, 2}, seeded_values(8, 1)).ok() ||
      !w.add_tensor("t.bb", TensorType::q8_0, {32, 2}, seeded_values(64, 2)).ok() ||
      !w.add_tensor("t.cc", TensorType::q4_0, {32, 1}, seeded_values(32, 3)).ok() ||
      !w.add_tensor("t.dd", TensorType::f16, {3}, seeded_values(3, 4)).ok())
    qFatal("small_file: add_tensor failed");
  return w.bytes().value();
}

// Parses `bytes`; the test fails unless it is an Error whose text has `offset`'s "@0x...".
void expect_error_at(const std::string& bytes, uint64_t offset, const char* what) {
  auto f = File::parse(bytes, "bad.gguf");
  QVERIFY2(!f.ok(), what);
  const std::string text = f.error().to_string();
  QVERIFY2(text.find("bad.gguf " + hex_offset(offset) + ":") != std::string::npos,
           qPrintable(QString("%1: expected %2 in: %3")
                          .arg(what, QString::fromStdString(hex_offset(offset)),
                               QString::fromStdString(text))));
}

// Everything a reader's user would touch, so a bad file that parses is still exercised.
void touch_everything(const File& f) {
  for (const auto& kv : f.metadata())
    (void)kv.value.size();
  for (const auto& t : f.tensors()) {
    auto values = f.dequantize(t);
    if (values.ok()) QCOMPARE(values->size(), size_t(t.elements()));
  }
}

}  // namespace

class TestGguf : public QObject {
  Q_OBJECT

 private slots:
  // --- quantizers ---

  void fp16RoundsToNearestEven() {
    const std::pair<float, uint16_t> cases[] = {
        {0.0f, 0x0000},
        {-0.0f, 0x8000},
        {1.0f, 0x3C00},
        {-2.0f, 0xC000},
        {0.1f, 0x2E66},
        {65504.0f, 0x7BFF},  // the largest half
        {65519.0f, 0x7BFF},  // below the halfway point to 65536
        {65520.0f, 0x7C00},  // the tie goes to even: infinity
        {1e6f, 0x7C00},      // overflow
        {-INFINITY, 0xFC00},
        {1.0f + std::ldexp(1.0f, -11), 0x3C00},      // tie between 0x3C00 and 0x3C01: even
        {1.0f + 3 * std::ldexp(1.0f, -11), 0x3C02},  // tie between 0x3C01 and 0x3C02: even
        {std::ldexp(1.0f, -14), 0x0400},             // the smallest normal
        {std::ldexp(1.0f, -14) - std::ldexp(1.0f, -24), 0x03FF},  // the largest subnormal
        {std::ldexp(1.0f, -24), 0x0001},                          // the smallest subnormal
        {std::ldexp(1.0f, -25), 0x0000},                          // tie between 0 and 1: even (0)
        {3 * std::ldexp(1.0f, -25), 0x0002},                      // tie between 1 and 2: even (2)
        {1e-8f, 0x0000},
        {NAN, 0x7E00},
    };
    for (const auto& [value, bits] : cases)
      QVERIFY2(fp32_to_fp16(value) == bits, qPrintable(QString("%1 -> %2, expected %3")
                                                           .arg(double(value), 0, 'g', 10)
                                                           .arg(fp32_to_fp16(value), 4, 16)
                                                           .arg(bits, 4, 16)));
    // Every half converts to a float and back unchanged (NaNs aside).
    for (uint32_t h = 0; h < 0x10000; ++h) {
      if ((h & 0x7C00) == 0x7C00 && (h & 0x3FF)) continue;
      QCOMPARE(fp32_to_fp16(fp16_to_fp32(uint16_t(h))), uint16_t(h));
    }
#ifdef __FLT16_MAX__
    // And agrees with the compiler's own binary16 conversion on random bit patterns.
    std::mt19937 rng(7);
    for (int i = 0; i < 1000000; ++i) {
      const uint32_t bits = rng();
      float x;
      std::memcpy(&x, &bits, 4);
      if (std::isnan(x)) continue;
      const _Float16 h = static_cast<_Float16>(x);
      uint16_t expected;
      std::memcpy(&expected, &h, 2);
      if (fp32_to_fp16(x) != expected)
        QFAIL(
            qPrintable(QString("%1: %2 vs %3").arg(double(x)).arg(fp32_to_fp16(x)).arg(expected)));
    }
#endif
  }

  void q8_0MatchesTheReferenceFormula() {
    // amax 127: d = 1, so q = roundf(x), halves away from zero.
    std::vector<float> x(64, 0.0f);
    const float firsts[] = {127, 2.5f, -2.5f, 0.5f, -0.5f, 1.5f, -127, 0.49f};
    std::copy(std::begin(firsts), std::end(firsts), x.begin());
    // Second block all zero: d = 0 and every q = 0.
    std::string out;
    quantize_q8_0(x.data(), x.size(), out);
    QCOMPARE(out.size(), size_t(2 * kQ8_0BlockBytes));
    std::string expected = std::string("\x00\x3c", 2) + "\x7f\x03\xfd\x01\xff\x02\x81" +
                           std::string(25, '\0') + std::string(34, '\0');
    QCOMPARE(hex(out), hex(expected));
    std::vector<float> back(64);
    dequantize_q8_0(reinterpret_cast<const uint8_t*>(out.data()), 64, back.data());
    QCOMPARE(back[1], 3.0f);
    QCOMPARE(back[4], -1.0f);
    QCOMPARE(back[7], 0.0f);
    // d is the fp32 amax / 127 stored as fp16: 1/127 -> 0x2008.
    std::vector<float> y(32, 0.0f);
    y[0] = 1.0f;
    y[1] = -0.5f;
    out.clear();
    quantize_q8_0(y.data(), y.size(), out);
    QCOMPARE(hex(out.substr(0, 3)), std::string("0820") + "7f");
    QCOMPARE(static_cast<int8_t>(out[3]), int8_t(-64));  // -63.5 -> -64, away from zero
  }

  void q4_0MatchesTheReferenceFormula() {
    // The signed value of largest magnitude is -16: d = -16 / -8 = 2, id = 0.5,
    // q = min(15, trunc(x * 0.5 + 8.5)).
    std::vector<float> x(32, 0.0f);
    const float lows[] = {-16, 14, 15, 1, -1, 0, 2, 3};
    std::copy(std::begin(lows), std::end(lows), x.begin());
    x[16] = -3;  // 7.0 -> 7
    x[17] = 5;   // 11.0 -> 11
    std::string out;
    quantize_q4_0(x.data(), x.size(), out);
    // Byte j: element j in the low nibble, element j + 16 in the high one.
    QCOMPARE(hex(out), std::string("0040") + "70bf8f898888898a" + "8888888888888888");
    // Ties on magnitude: the first wins (8 before -8): d = -1; -8 -> 16.5 -> clamped to 15.
    std::vector<float> y(32, 0.0f);
    y[0] = 8;
    y[1] = -8;
    out.clear();
    quantize_q4_0(y.data(), y.size(), out);
    QCOMPARE(hex(out), std::string("00bc") + "808f888888888888" + "8888888888888888");
    std::vector<float> back(32);
    dequantize_q4_0(reinterpret_cast<const uint8_t*>(out.data()), 32, back.data());
    QCOMPARE(back[0], 8.0f);
    QCOMPARE(back[1], -7.0f);
    QCOMPARE(back[2], 0.0f);
    // All zeros: d = 0 / -8 = -0.0 (fp16 0x8000, as ggml writes it), every nibble 8.
    std::vector<float> zeros(32, 0.0f);
    out.clear();
    quantize_q4_0(zeros.data(), zeros.size(), out);
    QCOMPARE(hex(out), std::string("0080") + std::string(32, '8'));
  }

  // --- write -> read ---

  void writeThenReadGivesTheSameMetadataAndTensors() {
    Writer w;
    w.set_string(keys::kArchitecture, "gpt2");
    w.set_u32("k.u32", 4000000000u);
    w.set_i32("k.i32", -7);
    w.set_f32("k.f32", 1.5e-5f);
    w.set_f64("k.f64", 0.1);
    w.set_bool("k.bool", true);
    w.set_string("k.str", "### Instruction:\n");
    Value u64;
    u64.type = ValueType::u64;
    u64.items = std::vector<uint64_t>{~0ull};
    w.set("k.u64", u64);
    Value i8s;
    i8s.type = ValueType::array;
    i8s.element_type = ValueType::i8;
    i8s.items = std::vector<int64_t>{-128, 0, 127};
    w.set("k.i8s", i8s);
    w.set_string_array("k.strs", {"", "▁a", "b c"});
    w.set_i32_array("k.i32s", {1, -2, 3});
    w.set_f32_array("k.f32s", {0.5f, -1.0f});
    w.set_f64_array("k.f64s", {1.0 / 3});
    w.set_u8_array("k.u8s", {0, 255});
    w.set_u32("k.u32", 5);  // replaces, keeps the place
    const auto values = seeded_values(64 * 3, 11, 0.05f);
    const TensorType types[] = {TensorType::f32, TensorType::f16, TensorType::q8_0,
                                TensorType::q4_0};
    for (const TensorType t : types)
      TINYLLM_VERIFY_OK(w.add_tensor(std::string("w.") + to_string(t), t, {64, 3}, values));
    TINYLLM_VERIFY_OK(w.add_tensor("w.vec", TensorType::f32, {5}, {1, 2, 3, 4, 5}));
    QVERIFY(!w.add_tensor("w.F32", TensorType::f32, {2}, {1, 2}).ok());  // duplicate
    QVERIFY(!w.add_tensor("w.odd", TensorType::q8_0, {48, 1}, std::vector<float>(48)).ok());
    QVERIFY(!w.add_tensor(std::string(64, 'n'), TensorType::f32, {1}, {1}).ok());
    QVERIFY(!w.add_tensor("w.count", TensorType::f32, {2, 2}, {1, 2, 3}).ok());
    std::vector<float> with_nan(32, 1.0f);
    with_nan[5] = NAN;
    QVERIFY(!w.add_tensor("w.nan", TensorType::q8_0, {32}, with_nan).ok());

    auto bytes = w.bytes();
    TINYLLM_VERIFY_OK(bytes);
    auto f = File::parse(*bytes, "rt.gguf");
    TINYLLM_VERIFY_OK(f);
    QCOMPARE(f->version(), 3u);
    QCOMPARE(f->data_offset() % 32, uint64_t(0));
    QCOMPARE(f->file_size() % 32, uint64_t(0));  // the last tensor is padded too
    QCOMPARE(f->metadata().size(), size_t(14));
    QCOMPARE(f->metadata()[1].key, std::string("k.u32"));
    QCOMPARE(*f->get_u32("k.u32"), 5u);
    QCOMPARE(*f->get_i32("k.i32"), -7);
    QCOMPARE(*f->get_f32("k.f32"), 1.5e-5f);
    QCOMPARE(*f->get_f64("k.f64"), 0.1);
    QCOMPARE(*f->get_bool("k.bool"), true);
    QCOMPARE(*f->get_string("k.str"), std::string("### Instruction:\n"));
    QCOMPARE(std::get<0>(f->find("k.u64")->value.items)[0], ~0ull);
    QCOMPARE(std::get<1>(f->find("k.i8s")->value.items), (std::vector<int64_t>{-128, 0, 127}));
    QCOMPARE(*f->get_string_array("k.strs"), (std::vector<std::string>{"", "▁a", "b c"}));
    QCOMPARE(*f->get_i32_array("k.i32s"), (std::vector<int32_t>{1, -2, 3}));
    QCOMPARE(*f->get_f32_array("k.f32s"), (std::vector<float>{0.5f, -1.0f}));
    QCOMPARE(*f->get_f64_array("k.f64s"), (std::vector<double>{1.0 / 3}));
    QCOMPARE(*f->get_u8_array("k.u8s"), (std::vector<uint8_t>{0, 255}));
    // A wrong type or a missing key is an Error naming the key.
    QVERIFY(f->get_i32("k.u32").error().to_string().find("'k.u32' is u32") != std::string::npos);
    QVERIFY(!f->get_u32("k.none").ok());

    uint64_t expected_offset = 0;
    for (const TensorType t : types) {
      const TensorInfo* info = f->find_tensor(std::string("w.") + to_string(t));
      QVERIFY(info);
      QCOMPARE(info->type, t);
      QCOMPARE(info->ne, (std::vector<uint64_t>{64, 3}));
      QCOMPARE(info->offset, expected_offset);
      expected_offset += (info->bytes + 31) / 32 * 32;
      auto back = f->dequantize(*info);
      TINYLLM_VERIFY_OK(back);
      const auto reference =
          t == TensorType::f32
              ? values
              : spec_dequantize(t, std::string(f->tensor_data(*info)), values.size());
      QCOMPARE(*back, reference);  // F32 exactly; the others as the spec's formulas decode them
    }
    QCOMPARE(*f->dequantize(*f->find_tensor("w.vec")), (std::vector<float>{1, 2, 3, 4, 5}));
  }

  // --- the reader rejects damage, naming the byte offset ---

  void readerRejectsEachKindOfDamage() {
    const std::string good = small_file();
    auto parsed = File::parse(good, "good.gguf");
    TINYLLM_VERIFY_OK(parsed);
    const File& f = *parsed;
    const auto entry = [&](const char* key) { return f.find(key)->offset; };
    const auto info = [&](const char* name) { return f.find_tensor(name)->info_offset; };
    const uint64_t one = entry("t.one"), two = entry("t.two"), arr = entry("t.arr");
    const uint64_t value_type_of_one = one + 8 + 5;  // u64 length, "t.one"
    const uint64_t aa = info("t.aa"), bb = info("t.bb"), dd = info("t.dd");
    const uint64_t bb_dims = bb + 8 + 4, bb_type = bb_dims + 4 + 16, bb_offset = bb_type + 4;
    std::string b;

    b = good, b[0] = 'X', expect_error_at(b, 0, "bad magic");
    for (uint32_t v : {0u, 1u, 4u, 0x00030000u})
      b = good, put_u32(b, 4, v), expect_error_at(b, 4, "bad version");
    b = good, put_u64(b, 8, uint64_t(1) << 62), expect_error_at(b, 8, "huge tensor count");
    b = good, put_u64(b, 8, ~0ull), expect_error_at(b, 8, "negative tensor count");
    b = good, put_u64(b, 16, uint64_t(1) << 40), expect_error_at(b, 16, "huge kv count");
    b = good, put_u64(b, one, uint64_t(1) << 50), expect_error_at(b, one, "huge key length");
    b = good, put_u64(b, one, 0), expect_error_at(b, one, "empty key");
    b = good, put_u32(b, value_type_of_one, 13), expect_error_at(b, value_type_of_one, "type id");
    b = good, put_u32(b, arr + 8 + 5 + 4, 9), expect_error_at(b, arr + 17, "nested array");
    b = good, put_u32(b, arr + 8 + 5 + 4, 77), expect_error_at(b, arr + 17, "element type");
    b = good, put_u64(b, arr + 21, uint64_t(1) << 31), expect_error_at(b, arr + 21, "array len");
    b = good, put_u64(b, arr + 21, uint64_t(1) << 29), expect_error_at(b, arr + 29, "array fit");
    b = good, b[two + 8 + 2] = 'o', b[two + 8 + 3] = 'n', b[two + 8 + 4] = 'e',
    expect_error_at(b, two, "duplicate key");
    b = good, b[entry("t.flag") + 8 + 6 + 4] = 2, expect_error_at(b, entry("t.flag") + 18, "bool");
    b = good, b[bb + 8 + 2] = 'a', b[bb + 8 + 3] = 'a', expect_error_at(b, bb, "duplicate tensor");
    b = good, put_u64(b, aa, 64), expect_error_at(b, aa, "long name");
    b = good, put_u32(b, bb_dims, 0), expect_error_at(b, bb_dims, "zero dims");
    b = good, put_u32(b, bb_dims, 5), expect_error_at(b, bb_dims, "five dims");
    b = good, put_u64(b, bb_dims + 4, 16), expect_error_at(b, bb_dims, "row not a block multiple");
    b = good, put_u64(b, bb_dims + 12, uint64_t(1) << 62),
    expect_error_at(b, bb_dims + 12, "element count overflow");
    b = good, put_u32(b, bb_type, 4), expect_error_at(b, bb_type, "removed type id");
    b = good, put_u32(b, bb_type, 99), expect_error_at(b, bb_type, "unknown type id");
    b = good, put_u64(b, bb_offset, 33), expect_error_at(b, bb, "misaligned offset");
    b = good, put_u64(b, bb_offset, 64), expect_error_at(b, bb, "offset not contiguous");
    b = good, put_u64(b, dd + 8 + 4 + 4, 3 + 64), expect_error_at(b, dd, "data past the end");
    // general.alignment: u32 and a power of two.
    for (const bool as_u64 : {false, true}) {
      Writer w;
      if (as_u64) {
        Value v;
        v.type = ValueType::u64;
        v.items = std::vector<uint64_t>{32};
        w.set(keys::kAlignment, v);
      } else {
        w.set_u32(keys::kAlignment, 48);
      }
      expect_error_at(w.bytes().value(), 24, "alignment");
    }
    // A power-of-two alignment other than 32 is followed (and our 32-aligned offsets fail it).
    {
      Writer w;
      w.set_u32(keys::kAlignment, 64);
      TINYLLM_VERIFY_OK(w.add_tensor("a", TensorType::f32, {2}, {1, 2}));
      TINYLLM_VERIFY_OK(w.add_tensor("b", TensorType::f32, {2}, {3, 4}));
      auto bytes = w.bytes().value();
      auto bad = File::parse(bytes, "bad.gguf");
      QVERIFY(!bad.ok());
      QVERIFY2(bad.error().message.find("alignment 64") != std::string::npos,
               bad.error().to_string().c_str());
    }
  }

  void readerRejectsEveryTruncation() {
    const std::string good = small_file();
    auto f = File::parse(good, "good.gguf");
    TINYLLM_VERIFY_OK(f);
    const TensorInfo& last = f->tensors().back();
    const uint64_t data_end = f->data_offset() + last.offset + last.bytes;
    for (uint64_t size = 0; size < good.size(); ++size) {
      auto cut = File::parse(good.substr(0, size), "cut.gguf");
      if (size < data_end) {
        QVERIFY2(!cut.ok(), qPrintable(QString("truncated to %1 bytes but accepted").arg(size)));
        QVERIFY2(cut.error().to_string().find("cut.gguf @0x") == 0,
                 cut.error().to_string().c_str());
      } else {
        TINYLLM_VERIFY_OK(cut);  // only the last tensor's padding is missing
      }
    }
  }

  void readerSurvivesRandomDamage() {
    const std::string good = small_file();
    std::mt19937 rng(20261202);
    int accepted = 0, rejected = 0;
    for (int round = 0; round < 20000; ++round) {
      std::string b = good;
      const int edits = 1 + int(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        const size_t at = rng() % b.size();
        switch (rng() % 4) {
          case 0:
            b[at] = static_cast<char>(rng());
            break;  // a random byte
          case 1:
            b[at] = static_cast<char>(b[at] ^ (1 << (rng() % 8)));
            break;  // a bit flip
          case 2:
            b[at] = static_cast<char>(0xFF);
            break;  // a large count
          default:
            b.resize(at);
            break;  // a truncation
        }
        if (b.empty()) break;
      }
      auto f = File::parse(b, "fuzz.gguf");
      if (f.ok()) {
        ++accepted;
        touch_everything(*f);
      } else {
        ++rejected;
        QVERIFY2(f.error().to_string().rfind("fuzz.gguf @0x", 0) == 0,
                 f.error().to_string().c_str());
      }
    }
    qInfo("random damage: %d accepted (damage inside values or tensor data), %d rejected", accepted,
          rejected);
    QVERIFY(rejected > 1000);
  }
};

QTEST_APPLESS_MAIN(TestGguf)
#include "test_gguf.moc"
