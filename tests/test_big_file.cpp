// A 2 GiB CSV streams through the importer with bounded memory (label: slow).
#include <QtTest>

#include <sys/resource.h>

#include <cstdio>
#include <filesystem>

#include "pipeline/data_step.h"
#include "test_support.h"

using namespace tinyllm;
namespace fs = std::filesystem;

namespace {
long peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}
}  // namespace

class TestBigFile : public QObject {
  Q_OBJECT
 private slots:
  void twoGigabyteFileStreams() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    auto space = fs::space(root);
    if (space.available < (3ULL << 30))
      QSKIP("needs 3 GiB of free disk for the 2 GiB file and its store");
    const fs::path big = root / "big.csv";
    // Rows carry a long free-text note column that is not imported, so the file is large while
    // the series store stays a few hundred MB.
    const std::string note(180, 'n');
    uint64_t rows = 0;
    {
      std::FILE* f = std::fopen(big.c_str(), "wb");
      QVERIFY(f);
      std::fputs("time_ms,ax,ay,az,label,note\n", f);
      std::string chunk;
      uint64_t written = 0;
      const char* labels[] = {"walk", "run", "idle"};
      while (written < (2ULL << 30)) {
        chunk.clear();
        for (int i = 0; i < 20000; ++i, ++rows) {
          char line[96];
          int n =
              std::snprintf(line, sizeof line, "%llu,%.3f,%.3f,9.81,%s,",
                            static_cast<unsigned long long>(rows * 20), 0.001 * double(rows % 977),
                            -0.002 * double(rows % 331), labels[(rows / 5000) % 3]);
          chunk.append(line, size_t(n));
          chunk += note;
          chunk += '\n';
        }
        QCOMPARE(std::fwrite(chunk.data(), 1, chunk.size(), f), chunk.size());
        written += chunk.size();
      }
      std::fclose(f);
    }
    QVERIFY(fs::file_size(big) >= (2ULL << 30));
    const long before = peak_rss_mb();
    auto registry = test::builtin_registry();
    auto project = project::create_project(root / "proj", "Big", "gesture");
    TINYLLM_VERIFY_OK(project);
    data::ImportRequest request;
    request.inputs = {big};
    auto r = pipeline::import_source(*project, *registry, request);
    TINYLLM_VERIFY_OK(r);
    QCOMPARE(r->details.stats.rows, rows);
    QCOMPARE(r->details.stats.class_rows.size(), size_t(3));
    const long after = peak_rss_mb();
    qInfo("2 GiB file: %llu rows, peak RSS %ld MB before, %ld MB after the import",
          static_cast<unsigned long long>(rows), before, after);
    // One recording is cut into 1M-row parts; memory stays far below the file size.
    QVERIFY2(after < 400, qPrintable(QString("peak RSS %1 MB").arg(after)));
    fs::remove(big);
  }
};

QTEST_APPLESS_MAIN(TestBigFile)
#include "test_big_file.moc"
