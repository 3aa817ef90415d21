// tinyllm_base: Result, atomic files, SHA-256.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "base/files.h"
#include "base/result.h"
#include "base/sha256.h"

using namespace tinyllm;
namespace fs = std::filesystem;

class TestBase : public QObject {
  Q_OBJECT
 private slots:
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
