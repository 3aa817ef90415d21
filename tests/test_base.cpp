// tinyllm_base: Result, atomic files, SHA-256, the binary reader/writer.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "base/binary.h"
#include "base/files.h"
#include "base/result.h"
#include "base/sha256.h"

using namespace tinyllm;
#define TINYLLM_VERIFY(expr)                                          \
  do {                                                                \
    const auto& r_ = (expr);                                          \
    QVERIFY2(r_.ok(), r_.ok() ? "" : r_.error().to_string().c_str()); \
  } while (0)
namespace fs = std::filesystem;

class TestBase : public QObject {
  Q_OBJECT
 private slots:
  // Every type round-trips through the writer and reader, little-endian on disk.
  void binaryRoundTripsLittleEndian() {
    QTemporaryDir dir;
    const fs::path path = fs::path(dir.path().toStdString()) / "b.bin";
    auto w = ByteWriter::create(path);
    TINYLLM_VERIFY(w);
    w->raw("MAGC");
    w->u8(0xab);
    w->u16(0x1234);
    w->u32(0xdeadbeef);
    w->u64(0x0102030405060708ull);
    w->i32(-5);
    w->i64(-6);
    w->f32(1.5f);
    w->f64(-2.25);
    w->string_u64("hello");
    const std::vector<float> floats = {1.0f, -0.5f, 3e7f};
    w->array(floats);
    QCOMPARE(w->offset(), uint64_t(4 + 1 + 2 + 4 + 8 + 4 + 8 + 4 + 8 + 13 + 12));
    QVERIFY(!fs::exists(path));  // nothing visible before commit
    TINYLLM_VERIFY(w->commit());
    const std::string bytes = *read_file(path);
    QCOMPARE(uint8_t(bytes[5]), uint8_t(0x34));  // low byte first
    QCOMPARE(uint8_t(bytes[7]), uint8_t(0xef));
    for (int variant = 0; variant < 2; ++variant) {
      auto opened = ByteReader::open(path);
      TINYLLM_VERIFY(opened);
      ByteReader r = variant == 0 ? *opened : ByteReader(bytes, "memory");
      TINYLLM_VERIFY(r.expect_magic("MAGC", "test file"));
      QCOMPARE(*r.u8("a"), uint8_t(0xab));
      QCOMPARE(*r.u16("b"), uint16_t(0x1234));
      QCOMPARE(*r.u32("c"), 0xdeadbeefu);
      QCOMPARE(*r.u64("d"), 0x0102030405060708ull);
      QCOMPARE(*r.i32("e"), -5);
      QCOMPARE(*r.i64("f"), int64_t(-6));
      QCOMPARE(*r.f32("g"), 1.5f);
      QCOMPARE(*r.f64("h"), -2.25);
      QCOMPARE(*r.string_u64("i"), std::string("hello"));
      std::vector<float> back;
      TINYLLM_VERIFY(r.array(back, 3, "floats"));
      QCOMPARE(back, floats);
      QVERIFY(r.at_end());
    }
  }

  // Reads past the end, hostile counts and lengths: errors with the offset and the field, no
  // allocation of the claimed size, the offset unchanged.
  void binaryReaderRejectsHostileSizes() {
    std::string bytes(11, '\0');
    bytes[0] = 'X';
    ByteReader r(bytes, "f.bin");
    auto wrong_magic = r.expect_magic("TLLM", "token shard");
    QVERIFY(!wrong_magic.ok());
    QCOMPARE(QString::fromStdString(wrong_magic.error().where), QString("f.bin @0x0"));
    TINYLLM_VERIFY(r.skip(8, "header"));
    auto n = r.u64("n_tensors");
    QVERIFY(!n.ok());
    QCOMPARE(QString::fromStdString(n.error().to_string()),
             QString("f.bin @0x8: expected 8 bytes for 'n_tensors', 3 left"));
    QCOMPARE(r.offset(), uint64_t(8));
    std::vector<double> big;
    for (uint64_t count : {uint64_t(1) << 61, ~uint64_t(0), uint64_t(1)}) {
      auto s = r.array(big, count, "values");
      QVERIFY(!s.ok());
      QVERIFY(big.empty());  // checked before allocating
      QVERIFY(s.error().where == "f.bin @0x8");
    }
    QVERIFY(!r.string(~uint64_t(0), "name").ok());
    QVERIFY(!r.skip(~uint64_t(0), "gap").ok());
    QVERIFY(!r.seek(12).ok());
    // A string whose u64 length is huge.
    std::string s(8, '\xff');
    s += "abc";
    ByteReader rs(s, "s.bin");
    auto text = rs.string_u64("key");
    QVERIFY(!text.ok());
    QVERIFY(text.error().message.find("'key'") != std::string::npos);
    QCOMPARE(rs.offset(), uint64_t(0));
    // A slice ends where it says, and its offsets stay those of the file.
    ByteReader outer(bytes, "f.bin");
    TINYLLM_VERIFY(outer.skip(2, "x"));
    auto inner = outer.slice(4, "record");
    TINYLLM_VERIFY(inner);
    QCOMPARE(outer.offset(), uint64_t(6));
    TINYLLM_VERIFY(inner->u32("a"));
    auto past = inner->u8("b");
    QVERIFY(!past.ok());
    QCOMPARE(QString::fromStdString(past.error().where), QString("f.bin @0x6"));
    QVERIFY(!outer.slice(100, "record").ok());
    // Size arithmetic that would wrap is refused.
    QVERIFY(!checked_mul(uint64_t(1) << 32, uint64_t(1) << 32));
    QVERIFY(!checked_add(~uint64_t(0), 1));
    QCOMPARE(*checked_mul(3, 4), uint64_t(12));
  }

  void binaryWriterKeepsOldFileOnFailure() {
    QTemporaryDir dir;
    const fs::path path = fs::path(dir.path().toStdString()) / "keep.bin";
    TINYLLM_VERIFY(write_file_atomic(path, "old"));
    {
      auto w = ByteWriter::create(path);
      TINYLLM_VERIFY(w);
      std::vector<uint8_t> big(200000, 7);
      w->array(big);  // bypasses the buffer
      w->u32(1);
      // destroyed without commit
    }
    QCOMPARE(*read_file(path), std::string("old"));
    QCOMPARE(
        std::distance(fs::directory_iterator(dir.path().toStdString()), fs::directory_iterator{}),
        std::ptrdiff_t(1));
    auto w = ByteWriter::create(path);
    std::vector<uint8_t> big(200000, 7);
    w->u32(9);
    w->array(big);
    w->u8(1);
    QCOMPARE(w->offset(), uint64_t(200005));
    TINYLLM_VERIFY(w->commit());
    QCOMPARE(fs::file_size(path), uintmax_t(200005));
  }

  void resultCarriesValueOrError() {
    Result<int> ok = 7;
    QVERIFY(ok.ok());
    QCOMPARE(*ok, 7);
    Result<int> bad = make_error("data.csv:3:2", "not a number");
    QVERIFY(!bad.ok());
    QCOMPARE(QString::fromStdString(bad.error().to_string()),
             QString("data.csv:3:2: not a number"));
    Status fine;
    QVERIFY(fine.ok());
  }

  void sha256MatchesKnownVectors() {
    QCOMPARE(QString::fromStdString(sha256_hex("")),
             QString("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    QCOMPARE(QString::fromStdString(sha256_hex("abc")),
             QString("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
    // Longer than one block, and a split update gives the same digest.
    std::string million(1000000, 'a');
    QCOMPARE(QString::fromStdString(sha256_hex(million)),
             QString("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
    Sha256 h;
    h.update(million.data(), 12345);
    h.update(million.data() + 12345, million.size() - 12345);
    QCOMPARE(QString::fromStdString(h.hex_digest()),
             QString("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
  }

  void atomicWriteReplacesWhole() {
    QTemporaryDir dir;
    const fs::path target = fs::path(dir.path().toStdString()) / "sub" / "file.txt";
    QVERIFY(write_file_atomic(target, "first").ok());
    QVERIFY(write_file_atomic(target, "second").ok());
    auto text = read_file(target);
    QVERIFY(text.ok());
    QCOMPARE(QString::fromStdString(*text), QString("second"));
    // No temporary files are left behind.
    int entries = 0;
    for (const auto& e : fs::directory_iterator(target.parent_path()))
      entries += e.exists();
    QCOMPARE(entries, 1);
  }

  void uncommittedFileLeavesOldContent() {
    QTemporaryDir dir;
    const fs::path target = fs::path(dir.path().toStdString()) / "file.txt";
    QVERIFY(write_file_atomic(target, "kept").ok());
    {
      auto file = AtomicFile::create(target);
      QVERIFY(file.ok());
      QVERIFY(file->write("half-written").ok());
      // destroyed without commit: an interrupted write
    }
    QCOMPARE(QString::fromStdString(*read_file(target)), QString("kept"));
    int entries = 0;
    for (const auto& e : fs::directory_iterator(target.parent_path()))
      entries += e.exists();
    QCOMPARE(entries, 1);
  }

  void readFileNamesMissingPath() {
    auto r = read_file("/nonexistent/x.txt");
    QVERIFY(!r.ok());
    QVERIFY(r.error().where.find("/nonexistent/x.txt") != std::string::npos);
  }
};

QTEST_APPLESS_MAIN(TestBase)
#include "test_base.moc"
