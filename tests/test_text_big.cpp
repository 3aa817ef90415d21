// The tokenizer step on a 100 MB corpus: the trainer samples it down and the encoder streams it
// into shards, so peak memory stays far below the corpus size. Label: slow.
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <random>

#include "text/shard.h"
#include "text/vocab_learning.h"
#include "text_fixtures.h"

using namespace tinyllm;
namespace fs = std::filesystem;

namespace {

// Peak resident memory of this process so far, in MiB (VmHWM), or -1 where /proc is missing.
double peak_rss_mib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmHWM:") {
      double kib = 0;
      in >> kib;
      return kib / 1024.0;
    }
    in.ignore(1 << 16, '\n');
  }
  return -1;
}

}  // namespace

class TestTextBig : public QObject {
  Q_OBJECT
 private slots:
  void hundredMegabyteCorpusUsesBoundedMemory() {
    QTemporaryDir dir;
    const fs::path prepared = fs::path(dir.path().toStdString()) / "prepared";
    fs::create_directories(prepared);
    // Written in a stream: the corpus never exists in memory as a whole.
    constexpr uint64_t kCorpusBytes = 100ull << 20;
    uint64_t written = 0, documents = 0;
    {
      std::ofstream out(prepared / "pretrain_train.jsonl");
      for (uint32_t seed = 1; written < kCorpusBytes; ++seed) {
        const auto corpus = test::synthetic_corpus(seed, 200);
        for (const auto& doc : corpus.all_texts()) {
          const std::string line = nlohmann::json{{"text", doc}, {"split", "train"}}.dump() + "\n";
          out << line;
          written += line.size();
          ++documents;
        }
      }
    }
    {
      std::ofstream out(prepared / "pretrain_val.jsonl");
      for (const auto& doc : test::synthetic_corpus(999, 100).all_texts())
        out << nlohmann::json{{"text", doc}, {"split", "val"}}.dump() << "\n";
    }
    const double before = peak_rss_mib();

    text::VocabSettings settings;
    settings.vocab_size = 1024;
    settings.max_training_bytes = 4ull << 20;  // the trainer sees a 4 MB sample
    settings.threads = 2;
    QElapsedTimer timer;
    timer.start();
    auto summary =
        text::build_tokenizer(prepared, prepared.parent_path() / "tokenizer", settings, nullptr);
    QVERIFY2(summary.ok(), summary.ok() ? "" : summary.error().to_string().c_str());
    const double after = peak_rss_mib();
    qInfo("corpus %.0f MiB, %llu documents; build %.1f s; peak RSS %.0f MiB before, %.0f MiB after",
          double(written) / (1 << 20), static_cast<unsigned long long>(documents),
          double(timer.elapsed()) / 1000.0, before, after);

    QCOMPARE((*summary)["corpus"]["documents"].get<uint64_t>(), documents);
    QVERIFY((*summary)["corpus"]["sampled_documents"].get<uint64_t>() < documents / 10);
    QCOMPARE((*summary)["lossy_documents"].get<int>(), 0);
    uint64_t shard_documents = 0;
    for (const auto& s : (*summary)["shards"]["train"])
      shard_documents += s["documents"].get<uint64_t>();
    QCOMPARE(shard_documents, documents);
    if (after > 0) QVERIFY2(after < 100.0 + before, "peak memory grew by more than 100 MiB");
  }
};

QTEST_GUILESS_MAIN(TestTextBig)
#include "test_text_big.moc"
