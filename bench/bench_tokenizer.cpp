// bench_tokenizer: our encoder (tinyllm_text) against libsentencepiece on the same corpus and the
// same .model, in one run. Prints a markdown table with tokens/s and the ratio ours / theirs: the
// two alternate over rounds and the ratio is the median of per-round ratios (bench_stats.h).
//
//   bench_tokenizer [--shared DIR] [--vocab N] [--rounds N] [--model-type bpe|unigram|both]
//
// The corpus is the shared datasets written as sensor text (documents and task examples, as the
// tokenizer step sees them); without them, a synthetic corpus of the same shape.
#include <sentencepiece_processor.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_stats.h"
#include "text/tokenizer.h"
#include "text/vocab_learning.h"
#include "text_fixtures.h"

namespace sentencepiece::logging {
void SetMinLogLevel(int level);  // exported by libsentencepiece 0.1.97, not declared
}

using namespace tinyllm;

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

struct Run {
  double seconds = 0;
  uint64_t tokens = 0;
};

}  // namespace

int main(int argc, char** argv) {
  std::string shared = TINYLLM_SHARED_DIR, types = "both";
  int vocab = 2048, rounds_arg = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--shared"))
      shared = argv[i + 1];
    else if (!std::strcmp(argv[i], "--vocab"))
      vocab = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--rounds") || !std::strcmp(argv[i], "--repeat"))
      rounds_arg = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--model-type"))
      types = argv[i + 1];
    else {
      std::fprintf(stderr,
                   "usage: bench_tokenizer [--shared DIR] [--vocab N] [--rounds N] "
                   "[--model-type bpe|unigram|both]\n");
      return 2;
    }
  }
  const int rounds = bench::rounds_setting(rounds_arg, 5);
  sentencepiece::logging::SetMinLogLevel(2);

  std::vector<std::string> texts;
  std::string corpus_name;
  const auto datasets = test::shared_datasets(shared);
  if (!datasets.empty()) {
    for (const auto& t :
         test::magic_wand_corpus(datasets / "magic_wand" / "magic_wand_samples.csv", 1 << 30)
             .all_texts())
      texts.push_back(t);
    for (const auto& t :
         test::uji_corpus(datasets / "ujiindoorloc" / "validationData.csv", 1 << 30).all_texts())
      texts.push_back(t);
    corpus_name = "magic_wand + ujiindoorloc validation";
  } else {
    texts = test::synthetic_corpus(1, 4000).all_texts();
    corpus_name = "synthetic (shared datasets missing)";
  }
  uint64_t bytes = 0;
  for (const auto& t : texts)
    bytes += t.size();
  std::printf(
      "corpus: %s, %zu documents, %.1f MB; vocab %d; %d rounds alternating the encoders: "
      "seconds are medians, the ratio the median of per-round ratios (min..max)\n\n",
      corpus_name.c_str(), texts.size(), double(bytes) / 1e6, vocab, rounds);
  std::printf(
      "| model | encoder | tokens | seconds | tokens/s | MB/s | ours / libsentencepiece |\n");
  std::printf("|---|---|---:|---:|---:|---:|---:|\n");

  for (const char* type : {"bpe", "unigram"}) {
    if (types != "both" && types != type) continue;
    text::VocabSettings settings;
    settings.model_type = type;
    settings.vocab_size = vocab;
    test::VectorDocuments docs(texts);
    auto trained =
        text::learn_sentencepiece(docs, settings, {"wing", "ring", "slope", "negative"}, nullptr);
    if (!trained.ok()) {
      std::fprintf(stderr, "bench_tokenizer: %s\n", trained.error().to_string().c_str());
      return 1;
    }
    sentencepiece::SentencePieceProcessor sp;
    if (!sp.LoadFromSerializedProto(trained->model_bytes).ok()) return 1;
    auto ours = text::Tokenizer::from_bytes(trained->model_bytes, "bench.model");
    if (!ours.ok()) {
      std::fprintf(stderr, "bench_tokenizer: %s\n", ours.error().to_string().c_str());
      return 1;
    }

    std::vector<int> spm_ids;
    std::vector<int32_t> our_ids;
    auto time_spm = [&] {
      Run run;
      const auto start = std::chrono::steady_clock::now();
      for (const auto& t : texts) {
        sp.Encode(t, &spm_ids).IgnoreError();
        run.tokens += spm_ids.size();
      }
      run.seconds = seconds_since(start);
      return run;
    };
    auto time_ours = [&] {
      Run run;
      const auto start = std::chrono::steady_clock::now();
      for (const auto& t : texts) {
        our_ids.clear();
        ours->encode(t, our_ids);
        run.tokens += our_ids.size();
      }
      run.seconds = seconds_since(start);
      return run;
    };
    uint64_t mismatches = 0;
    std::vector<double> spm_seconds, our_seconds, ratios;
    uint64_t spm_tokens = 0, our_tokens = 0;
    for (int r = 0; r < rounds; ++r) {
      Run spm_run, our_run;
      if (bench::ours_first(r)) {
        our_run = time_ours();
        spm_run = time_spm();
      } else {
        spm_run = time_spm();
        our_run = time_ours();
      }
      spm_seconds.push_back(spm_run.seconds);
      our_seconds.push_back(our_run.seconds);
      spm_tokens = spm_run.tokens;
      our_tokens = our_run.tokens;
      // Tokens per second, ours over theirs, within this round.
      ratios.push_back((double(our_run.tokens) / our_run.seconds) /
                       (double(spm_run.tokens) / spm_run.seconds));
    }
    for (const auto& t : texts) {  // not timed: the ids must be the same
      sp.Encode(t, &spm_ids).IgnoreError();
      const auto ids = ours->encode(t);
      if (std::vector<int>(ids.begin(), ids.end()) != spm_ids) ++mismatches;
    }
    const double spm_time = bench::spread(spm_seconds).median;
    const double our_time = bench::spread(our_seconds).median;
    std::printf("| %s (%d pieces) | libsentencepiece 0.1.97 | %llu | %.3f | %.0f | %.1f | 1.00 |\n",
                type, ours->vocab_size(), static_cast<unsigned long long>(spm_tokens), spm_time,
                double(spm_tokens) / spm_time, double(bytes) / 1e6 / spm_time);
    std::printf("| %s (%d pieces) | tinyllm_text | %llu | %.3f | %.0f | %.1f | %s |\n", type,
                ours->vocab_size(), static_cast<unsigned long long>(our_tokens), our_time,
                double(our_tokens) / our_time, double(bytes) / 1e6 / our_time,
                bench::format_ratio(bench::spread(ratios)).c_str());
    if (mismatches) {
      std::fprintf(stderr, "bench_tokenizer: %llu documents encode differently!\n",
                   static_cast<unsigned long long>(mismatches));
      return 1;
    }
  }
  return 0;
}
