// tinyllm_text and tinyllm_vocab_learning: our encoder gives libsentencepiece's ids exactly (BPE
// and unigram, sensor text and fuzz), decoding round-trips, bad model files give clear errors,
// token shards round-trip, and the tokenizer step writes a complete tokenizer folder.
#include <QtTest>

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "base/files.h"
#include "text/answer_form.h"
#include "text/prompt_template.h"
#include "text/readable.h"
#include "text/shard.h"
#include "text/tokenizer.h"
#include "text/vocab_learning.h"
#include "text_fixtures.h"

using namespace tinyllm;
namespace fs = std::filesystem;

#define VERIFY_OK(expr)                                               \
  do {                                                                \
    const auto& r_ = (expr);                                          \
    QVERIFY2(r_.ok(), r_.ok() ? "" : r_.error().to_string().c_str()); \
  } while (0)

// libsentencepiece logs every training step to stderr; the library exports this switch (0.1.97)
// without declaring it in its public headers. Only the tests use it, to keep their output short.
namespace sentencepiece::logging {
void SetMinLogLevel(int level);
}

namespace {

class VectorSentences : public sentencepiece::SentenceIterator {
 public:
  explicit VectorSentences(const std::vector<std::string>& v) : v_(v) {}
  bool done() const override { return i_ >= v_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return v_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& v_;
  size_t i_ = 0;
};

// A model trained directly with libsentencepiece, for settings our trainer never uses.
std::string train_raw(const std::vector<std::string>& corpus,
                      std::unordered_map<std::string, std::string> kwargs) {
  kwargs.emplace("num_threads", "2");
  kwargs.emplace("hard_vocab_limit", "false");
  kwargs.emplace("max_sentence_length", "65536");
  VectorSentences it(corpus);
  std::string model;
  const auto st = sentencepiece::SentencePieceTrainer::Train(kwargs, &it, &model);
  if (!st.ok()) qWarning("trainer: %s", st.ToString().c_str());
  return model;
}

// Compares ids and decoded text of our tokenizer and libsentencepiece on every text; also
// checks decode(encode(x)) == x where that is expected. Returns the number of texts checked.
size_t compare_all(const std::string& model_bytes, const std::vector<std::string>& texts,
                   const char* what) {
  sentencepiece::SentencePieceProcessor sp;
  if (const auto st = sp.LoadFromSerializedProto(model_bytes); !st.ok()) {
    qWarning("%s: libsentencepiece cannot load the model: %s", what, st.ToString().c_str());
    return 0;
  }
  auto ours = text::Tokenizer::from_bytes(model_bytes, what);
  if (!ours.ok()) {
    qWarning("%s: %s", what, ours.error().to_string().c_str());
    return 0;
  }
  const bool lossless =
      ours->settings().byte_fallback && !ours->settings().remove_extra_whitespaces;
  size_t checked = 0;
  for (const auto& t : texts) {
    std::vector<int> expected;
    sp.Encode(t, &expected).IgnoreError();
    const auto got = ours->encode(t);
    if (std::vector<int>(got.begin(), got.end()) != expected) {
      QString a, b;
      for (int id : expected)
        a += QString::number(id) + " ";
      for (int id : got)
        b += QString::number(id) + " ";
      qWarning("%s: ids differ for %s\n  libsentencepiece: %s\n  ours:             %s", what,
               QByteArray::fromStdString(t).toPercentEncoding(" :-#").constData(), qPrintable(a),
               qPrintable(b));
      return 0;
    }
    std::string expected_text;
    sp.Decode(expected, &expected_text).IgnoreError();
    const auto text_back = ours->decode(got);
    if (!text_back.ok() || *text_back != expected_text) {
      qWarning("%s: decoded text differs for %s", what,
               QByteArray::fromStdString(t).toPercentEncoding().constData());
      return 0;
    }
    if (lossless && test::round_trip_expected(t) && *text_back != t) {
      qWarning("%s: no round trip for %s", what,
               QByteArray::fromStdString(t).toPercentEncoding().constData());
      return 0;
    }
    ++checked;
  }
  return checked;
}

// Every distinct line of the texts (documents repeat their task example's lines).
std::vector<std::string> unique_lines(const std::vector<std::string>& texts) {
  const auto lines = test::lines_of(texts);
  const std::set<std::string> unique(lines.begin(), lines.end());
  return {unique.begin(), unique.end()};
}

// Top-level fields of a serialized ModelProto: (field number, end offset).
std::vector<std::pair<int, size_t>> top_level_fields(const std::string& bytes) {
  std::vector<std::pair<int, size_t>> out;
  size_t pos = 0;
  auto varint = [&]() {
    uint64_t v = 0;
    for (int shift = 0; pos < bytes.size(); shift += 7) {
      const auto b = uint8_t(bytes[pos++]);
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) break;
    }
    return v;
  };
  while (pos < bytes.size()) {
    const uint64_t key = varint();
    const uint64_t length = varint();  // every top-level field is length-delimited
    pos += length;
    out.push_back({int(key >> 3), pos});
  }
  return out;
}

}  // namespace

class TestText : public QObject {
  Q_OBJECT

  fs::path datasets_;
  test::SensorCorpus wand_, uji_;
  std::string bpe_, unigram_;  // trained on sensor text by our trainer
  std::vector<std::string> fuzz_;

  std::string train_ours(const std::vector<std::string>& docs, const std::string& type, int vocab,
                         std::vector<std::string> labels = {}, double coverage = 0.9995) {
    text::VocabSettings s;
    s.character_coverage = coverage;
    s.model_type = type;
    s.vocab_size = vocab;
    s.threads = 2;
    test::VectorDocuments d(docs);
    auto m = text::learn_sentencepiece(d, s, labels, nullptr);
    if (!m.ok()) qWarning("%s", m.error().to_string().c_str());
    return m.ok() ? m->model_bytes : std::string();
  }

 private slots:
  void initTestCase() {
    sentencepiece::logging::SetMinLogLevel(1);  // warnings and errors only
    datasets_ = test::shared_datasets(TINYLLM_SHARED_DIR);
    fuzz_ = test::fuzz_corpus(20240611, 6000);
    std::vector<std::string> training;
    if (!datasets_.empty()) {
      wand_ = test::magic_wand_corpus(datasets_ / "magic_wand" / "magic_wand_samples.csv", 100000);
      uji_ = test::uji_corpus(datasets_ / "ujiindoorloc" / "validationData.csv", 100000);
      // A few hundred KB of training text keeps the default run fast.
      for (size_t i = 0; i < wand_.documents.size(); i += 8)
        training.push_back(wand_.all_texts()[i]);
      for (size_t i = 0; i < uji_.documents.size(); i += 8)
        training.push_back(uji_.all_texts()[i]);
    } else {
      training = test::synthetic_corpus(7, 300).all_texts();
    }
    const std::vector<std::string> labels = {"wing", "ring", "slope", "negative", "b0f1", "b2f3"};
    bpe_ = train_ours(training, "bpe", 600, labels);
    unigram_ = train_ours(training, "unigram", 600, labels);
    QVERIFY(!bpe_.empty());
    QVERIFY(!unigram_.empty());
  }

  // The position form accepts exactly "x=N y=N\n### End" and every prefix of it; decoding held
  // to it can always finish, and what it makes parses back to the point.
  void positionFormAcceptsPrefixesOfTheAnswerOnly() {
    const text::PositionForm form(4);
    const std::string end = "\n### End";
    for (const std::string& ok : std::vector<std::string>{
             "", " ", "x", "x=", "x=-", "x=1", "x=12.", "x=12.5", "x=12.5 ", "x=12.5 y",
             "x=12.5 y=", "x=12.5 y=-0.25", "x=12.5 y=-0.25\n", "x=12.5 y=-0.25\n### E"})
      QVERIFY2(form.viable(ok) && !form.complete(ok), ok.c_str());
    for (const std::string& done :
         std::vector<std::string>{"x=12.5 y=-0.25" + end, " x=3 y=4" + end})
      QVERIFY2(form.viable(done) && form.complete(done), done.c_str());
    for (const std::string& bad : std::vector<std::string>{
             "y", "x=a", "x=.5", "x=1..", "x=1.5.", "x=1 z", "x=1 y=2 ", "x=12345", "x=1.23456",
             "x=1 y=2" + end + " more", "x= 1", "x=1 y=2\n### Ed"})
      QVERIFY2(!form.viable(bad), bad.c_str());
    const auto p = text::parse_position(" x=12.5 y=-0.25" + end);
    QVERIFY(p);
    QCOMPARE(p->x, 12.5);
    QCOMPARE(p->y, -0.25);
    QVERIFY(text::parse_position("x=3 y=4"));
    for (const char* bad : {"x=3", "x=3 y=", "y=3 x=4", "x=1e y=2", "label"})
      QVERIFY2(!text::parse_position(bad), bad);
  }

  // A token's text as decoding sees it: the piece with its space mark as a space, byte pieces
  // as their byte, control pieces empty.
  void tokenTextsAreWhatDecodingShows() {
    auto tokenizer = text::Tokenizer::from_bytes(bpe_, "bpe");
    QVERIFY(tokenizer.ok());
    const auto texts = text::token_texts(*tokenizer);
    QCOMPARE(int(texts.size()), tokenizer->vocab_size());
    int compared = 0;
    for (int32_t id = 0; id < tokenizer->vocab_size(); ++id) {
      const auto type = tokenizer->type(id);
      if (type == text::PieceType::control || type == text::PieceType::unknown) {
        QVERIFY(texts[size_t(id)].empty());
        continue;
      }
      if (type == text::PieceType::byte && (id < 3 || texts[size_t(id)][0] & 0x80)) continue;
      // Decoding "a" then the token shows the token's text after the "a".
      const int32_t a = tokenizer->encode("a").back();
      auto decoded = tokenizer->decode(std::vector<int32_t>{a, id});
      QVERIFY(decoded.ok());
      QCOMPARE(decoded->substr(decoded->size() - texts[size_t(id)].size()), texts[size_t(id)]);
      ++compared;
    }
    QVERIFY2(compared > tokenizer->vocab_size() / 3, qPrintable(QString::number(compared)));
  }

  // Readable text: UTF-8 kept, controls as pictures, a newline as ⏎ plus the break, stray bytes
  // as <0xNN>, never U+FFFD.
  void readableTextShowsWhatIsThere() {
    QCOMPARE(text::readable_text("a\tb\nc\x7f"), std::string("a\xE2\x90\x89"
                                                             "b\xE2\x8F\x8E\nc\xE2\x90\xA1"));
    QCOMPARE(text::readable_text("caf\xC3\xA9 \xC3"), std::string("caf\xC3\xA9 <0xC3>"));
    QCOMPARE(text::piece_text("\xE2\x96\x81"
                              "ab"
                              "\xE2\x96\x81"),
             std::string(" ab "));
  }

  void encoderMatchesOnMagicWandText() {
    if (datasets_.empty()) QSKIP("../shared/datasets is missing: the real-data tests need it");
    // Every distinct line, and every task example whole (a document's lines are in its example).
    auto lines = unique_lines(wand_.all_texts());
    for (const auto& t : wand_.tasks)
      lines.push_back(t.prompt + t.response);
    QCOMPARE(compare_all(bpe_, lines, "bpe/magic_wand"), lines.size());
    QCOMPARE(compare_all(unigram_, lines, "unigram/magic_wand"), lines.size());
  }

  void encoderMatchesOnUjiText() {
    if (datasets_.empty()) QSKIP("../shared/datasets is missing: the real-data tests need it");
    auto lines = unique_lines(uji_.all_texts());
    for (const auto& t : uji_.tasks)
      lines.push_back(t.prompt + t.response);
    QCOMPARE(compare_all(bpe_, lines, "bpe/uji"), lines.size());
    QCOMPARE(compare_all(unigram_, lines, "unigram/uji"), lines.size());
  }

  void encoderMatchesOnFuzz() {
    QCOMPARE(compare_all(bpe_, fuzz_, "bpe/fuzz"), fuzz_.size());
    QCOMPARE(compare_all(unigram_, fuzz_, "unigram/fuzz"), fuzz_.size());
    // Vocabularies learned from the fuzz text itself: multi-byte merges, odd characters.
    const auto train = test::fuzz_corpus(99, 3000);
    for (const char* type : {"bpe", "unigram"}) {
      const std::string model = train_ours(train, type, 8000, {}, 0.98);
      QCOMPARE(compare_all(model, fuzz_, (type + std::string("-fuzz/fuzz")).c_str()), fuzz_.size());
    }
  }

  // Settings our trainer does not use but SentencePiece models can have.
  void encoderMatchesOtherSettings() {
    const auto train = datasets_.empty() ? test::synthetic_corpus(3, 200).all_texts()
                                         : test::lines_of(wand_.all_texts());
    std::vector<std::string> sample(train.begin(),
                                    train.begin() + std::min<size_t>(train.size(), 1500));
    for (const char* type : {"bpe", "unigram"}) {
      for (int variant = 0; variant < 3; ++variant) {
        std::unordered_map<std::string, std::string> kw = {{"model_type", type},
                                                           {"vocab_size", "400"},
                                                           {"normalization_rule_name", "identity"},
                                                           {"character_coverage", "0.98"},
                                                           {"user_defined_symbols", "ax:,wing"}};
        if (variant == 0) kw["byte_fallback"] = "false";  // unknowns merge into one <unk>
        if (variant == 1) kw["remove_extra_whitespaces"] = "true";
        if (variant == 2) {  // no dummy prefix
          kw["add_dummy_prefix"] = "false";
          kw["byte_fallback"] = "true";
          kw["remove_extra_whitespaces"] = "false";
        }
        const std::string model = train_raw(sample, kw);
        QVERIFY(!model.empty());
        const std::string what = std::string(type) + "/variant" + std::to_string(variant);
        QCOMPARE(compare_all(model, fuzz_, what.c_str()), fuzz_.size());
      }
    }
  }

  // Pieces marked unused (SentencePiece's SetVocabulary) are split again after BPE merges.
  // SetVocabulary turns byte pieces into normal ones, so these models have no byte fallback.
  void encoderMatchesWithUnusedPieces() {
    const auto train = datasets_.empty() ? test::synthetic_corpus(3, 200).all_texts()
                                         : test::lines_of(wand_.all_texts());
    std::vector<std::string> sample(train.begin(),
                                    train.begin() + std::min<size_t>(train.size(), 1500));
    for (const char* type : {"bpe", "unigram"}) {
      const std::string model = train_raw(sample, {{"model_type", type},
                                                   {"vocab_size", "400"},
                                                   {"normalization_rule_name", "identity"},
                                                   {"user_defined_symbols", "ax:"},
                                                   {"remove_extra_whitespaces", "false"}});
      sentencepiece::SentencePieceProcessor sp;
      QVERIFY(sp.LoadFromSerializedProto(model).ok());
      std::vector<std::string_view> keep;  // views into sp's pieces
      for (int id = 0; id < sp.GetPieceSize(); id += 2)
        keep.push_back(sp.IdToPiece(id));
      QVERIFY(sp.SetVocabulary(keep).ok());
      const std::string restricted = sp.serialized_model_proto();
      QCOMPARE(compare_all(restricted, fuzz_, type), fuzz_.size());
    }
  }

  // "\n" never merges, so a prompt (ending in "### Response:\n") encodes to a prefix of its
  // full example: the model is prompted with exactly the tokens it was trained on.
  void promptTokensArePrefixOfExample() {
    const auto tasks = datasets_.empty() ? test::synthetic_corpus(4, 200).tasks : wand_.tasks;
    for (const std::string* model : {&bpe_, &unigram_}) {
      auto tok = text::Tokenizer::from_bytes(*model, "model");
      VERIFY_OK(tok);
      for (const auto& t : tasks) {
        const auto prompt = tok->encode(t.prompt);
        const auto full = tok->encode(t.prompt + t.response);
        QVERIFY(full.size() > prompt.size());
        QVERIFY(std::equal(prompt.begin(), prompt.end(), full.begin()));
      }
    }
  }

  void specialIdsAndSymbols() {
    auto tok = text::Tokenizer::from_bytes(bpe_, "bpe");
    VERIFY_OK(tok);
    QCOMPARE(tok->unk_id(), 0);
    QCOMPARE(tok->bos_id(), 1);
    QCOMPARE(tok->eos_id(), 2);
    QCOMPARE(tok->pad_id(), 3);
    QCOMPARE(tok->piece(4), std::string("\n"));
    QVERIFY(tok->settings().byte_fallback);
    QCOMPARE(tok->settings().normalization, std::string("identity"));
    // The template markers and labels are single tokens; a task example round-trips.
    const std::string example =
        "### Instruction:\nWhich gesture?\n### Input:\nax: 12 -3 981\n### Response:\nwing\n### End";
    const auto ids = tok->encode(example);
    for (const char* piece : {"###\xE2\x96\x81Instruction:", "###\xE2\x96\x81Response:", "wing"})
      QVERIFY2(std::count(ids.begin(), ids.end(), tok->piece_to_id(piece)) == 1, piece);
    QCOMPARE(*tok->decode(ids), example);
    // Control pieces decode to nothing; bad ids are errors.
    std::vector<int32_t> with_specials = {1};
    with_specials.insert(with_specials.end(), ids.begin(), ids.end());
    with_specials.push_back(2);
    QCOMPARE(*tok->decode(with_specials), example);
    QVERIFY(!tok->decode(std::vector<int32_t>{tok->vocab_size()}).ok());
    QVERIFY(!tok->decode(std::vector<int32_t>{-1}).ok());
    // Byte fallback: a character the vocabulary lacks becomes its UTF-8 bytes.
    const auto emoji = tok->encode("\xF0\x9F\x98\x80");
    QVERIFY(std::count_if(emoji.begin(), emoji.end(),
                          [&](int32_t id) { return tok->type(id) == text::PieceType::byte; }) == 4);
  }

  void corruptModelGivesClearError() {
    const auto fields = top_level_fields(bpe_);
    size_t normalizer_end = 0;
    for (auto [field, end] : fields)
      if (field == 3) normalizer_end = end;
    QVERIFY(normalizer_end > 0);
    // Cut anywhere up to the end of the normalizer spec: always an error, never a model.
    for (size_t cut = 0; cut < normalizer_end; cut += 1 + cut / 50) {
      auto r = text::Tokenizer::from_bytes(std::string_view(bpe_).substr(0, cut), "cut.model");
      QVERIFY2(!r.ok(), qPrintable(QString("cut at %1 loaded").arg(cut)));
      QVERIFY(r.error().to_string().find("cut.model") == 0);
    }
    // A broken length inside a piece names the offset and the field.
    std::string broken = bpe_;
    const size_t piece10 = [&] {
      size_t pos = 0;
      for (int i = 0; i < 10; ++i)
        pos += 2 + uint8_t(broken[pos + 1]);  // short pieces: 1-byte lengths
      return pos;
    }();
    broken[piece10 + 3] = char(0x7f);  // the piece string's length
    auto r = text::Tokenizer::from_bytes(broken, "broken.model");
    QVERIFY(!r.ok());
    const std::string message = r.error().to_string();
    QVERIFY2(message.find("broken.model @0x") == 0, message.c_str());
    QVERIFY2(message.find("ModelProto.pieces[10]") != std::string::npos, message.c_str());
    // Not a model at all, an empty file, and a missing file.
    QVERIFY(!text::Tokenizer::from_bytes("hello, this is text\n", "text.model").ok());
    QVERIFY(!text::Tokenizer::from_bytes("", "empty.model").ok());
    auto missing = text::Tokenizer::load("/nonexistent/tokenizer.model");
    QVERIFY(!missing.ok());
    QVERIFY(missing.error().to_string().find("/nonexistent/tokenizer.model") == 0);
    // A model with a normalization rule we do not implement is refused by name.
    std::vector<std::string> corpus = test::synthetic_corpus(5, 50).all_texts();
    const std::string nfkc = train_raw(corpus, {{"model_type", "bpe"}, {"vocab_size", "300"}});
    auto refused = text::Tokenizer::from_bytes(nfkc, "nfkc.model");
    QVERIFY(!refused.ok());
    QVERIFY2(refused.error().to_string().find("nmt_nfkc") != std::string::npos,
             refused.error().to_string().c_str());
  }

  void shardsRoundTrip() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    std::mt19937 rng(3);
    for (uint32_t vocab : {600u, 70000u}) {
      std::vector<std::vector<int32_t>> docs(50);
      for (auto& d : docs)
        for (size_t n = rng() % 3000; n > 0; --n)
          d.push_back(int32_t(rng() % vocab));
      const fs::path path = root / ("shard_" + std::to_string(vocab) + ".bin");
      auto w = text::ShardWriter::create(path, vocab, 2, 0x1234);
      VERIFY_OK(w);
      for (const auto& d : docs)
        VERIFY_OK(w->write_document(d));
      QVERIFY(!w->write_document(std::vector<int32_t>{int32_t(vocab)}).ok());
      QVERIFY(!fs::exists(path));  // nothing visible before commit
      VERIFY_OK(w->commit());
      auto r = text::ShardReader::open(path);
      VERIFY_OK(r);
      QCOMPARE(r->info().token_bytes, vocab <= 65536 ? 2u : 4u);
      QCOMPARE(r->info().document_count, uint64_t(docs.size()));
      QCOMPARE(r->info().tokenizer_fingerprint, uint64_t(0x1234));
      VERIFY_OK(r->verify());
      std::vector<uint32_t> all;
      VERIFY_OK(r->read(0, size_t(r->info().token_count), all));
      std::vector<uint32_t> expected;
      for (const auto& d : docs) {
        expected.push_back(2);  // the separator precedes every document
        expected.insert(expected.end(), d.begin(), d.end());
      }
      QVERIFY(all == expected);
      QVERIFY(!r->read(all.size(), 1, all).ok());

      // Truncated, corrupted, or not a shard: errors that say so.
      std::string bytes = *read_file(path);
      VERIFY_OK(write_file_atomic(root / "cut.bin", bytes.substr(0, bytes.size() - 10)));
      QVERIFY(!text::ShardReader::open(root / "cut.bin").ok());
      std::string flipped = bytes;
      flipped[text::kShardHeaderSize + 5] ^= 0x40;
      VERIFY_OK(write_file_atomic(root / "flip.bin", flipped));
      auto f = text::ShardReader::open(root / "flip.bin");
      VERIFY_OK(f);
      QVERIFY(!f->verify().ok());
      // An id outside the vocabulary is found where it is.
      std::string bad_id = bytes;
      const size_t token = 1000, at = text::kShardHeaderSize + token * r->info().token_bytes;
      for (uint32_t b = 0; b < r->info().token_bytes; ++b)
        bad_id[at + b] = char(0xff);
      VERIFY_OK(write_file_atomic(root / "bad_id.bin", bad_id));
      auto b = text::ShardReader::open(root / "bad_id.bin");
      VERIFY_OK(b);
      auto bad = b->verify();
      QVERIFY(!bad.ok());
      char where[32];
      std::snprintf(where, sizeof where, " @0x%zx", at);
      QCOMPARE(QString::fromStdString(bad.error().where),
               QString::fromStdString((root / "bad_id.bin").string() + where));
      QVERIFY2(bad.error().message.find("token 1000 has id") != std::string::npos,
               bad.error().to_string().c_str());
      // Truncated or cut at any offset: an error, never a crash or a huge allocation.
      for (size_t cut = 0; cut < bytes.size(); cut += 1 + cut / 3) {
        VERIFY_OK(write_file_atomic(root / "cut_any.bin", bytes.substr(0, cut)));
        auto c = text::ShardReader::open(root / "cut_any.bin");
        QVERIFY(!c.ok() || !c->verify().ok());
      }
      VERIFY_OK(write_file_atomic(root / "text.bin", std::string(100, 'x')));
      auto t = text::ShardReader::open(root / "text.bin");
      QVERIFY(!t.ok());
      QVERIFY(t.error().to_string().find("not a token shard") != std::string::npos);
    }
  }

  void buildWritesTokenizerFolder() {
    QTemporaryDir dir;
    const fs::path root = dir.path().toStdString();
    const fs::path prepared = root / "data" / "prepared";
    fs::create_directories(prepared);
    const auto corpus =
        datasets_.empty()
            ? test::synthetic_corpus(11, 240)
            : test::magic_wand_corpus(datasets_ / "magic_wand" / "magic_wand_samples.csv", 240);
    // 0..159 train, 160..199 val, 200.. test; test examples carry a marker that must not leak.
    auto write_split = [&](const char* name, size_t from, size_t to, bool tasks,
                           const char* split) {
      std::ofstream out(prepared / name);
      for (size_t i = from; i < to && i < corpus.documents.size(); ++i) {
        nlohmann::json line;
        if (tasks) {
          line = {{"prompt", corpus.tasks[i].prompt},
                  {"response",
                   corpus.tasks[i].response + (std::string(split) == "test" ? " TESTONLY" : "")},
                  {"label", corpus.tasks[i].label},
                  {"split", split}};
        } else {
          line = {{"text", corpus.documents[i]}, {"split", split}};
        }
        out << line.dump() << "\n";
      }
    };
    write_split("pretrain_train.jsonl", 0, 160, false, "train");
    write_split("task_train.jsonl", 0, 160, true, "train");
    write_split("pretrain_val.jsonl", 160, 200, false, "val");
    write_split("task_val.jsonl", 160, 200, true, "val");
    write_split("task_test.jsonl", 200, 240, true, "test");

    text::VocabSettings settings;
    settings.vocab_size = 500;
    settings.threads = 2;
    settings.max_tokens_per_shard = 20000;  // several train shards
    std::vector<std::string> phases;
    auto summary =
        text::build_tokenizer(prepared, root / "tokenizer", settings,
                              [&](const text::Progress& p) { phases.push_back(p.phase); });
    VERIFY_OK(summary);
    QVERIFY(std::count(phases.begin(), phases.end(), "train") > 0);
    QVERIFY(std::count(phases.begin(), phases.end(), "encode") > 0);
    for (const char* f : {"tokenizer.model", "tokenizer.vocab", "tokenizer.json"})
      QVERIFY2(fs::exists(root / "tokenizer" / f), f);
    QCOMPARE((*summary)["lossy_documents"].get<int>(), 0);
    QVERIFY((*summary)["shards"]["train"].size() > 1);
    QCOMPARE((*summary)["stats"]["task_test"]["prompt_tokens"]["count"].get<int>(), 40);
    const double used = (*summary)["stats"]["vocab"]["used_share"].get<double>();
    QVERIFY(used > 0.1 && used <= 1.0);  // most byte pieces are never needed

    auto tok = text::Tokenizer::load(root / "tokenizer" / "tokenizer.model");
    VERIFY_OK(tok);
    QVERIFY(tok->piece_to_id("wing") != tok->unk_id());  // labels are symbols
    // The shards decode back to exactly the split's documents, in order.
    auto decode_split = [&](const char* split) {
      std::vector<std::string> docs;
      for (const auto& s : (*summary)["shards"][split]) {
        auto r = text::ShardReader::open(root / "tokenizer" / s["path"].get<std::string>());
        if (!r.ok() || r->info().tokenizer_fingerprint != tok->fingerprint()) return docs;
        std::vector<uint32_t> ids;
        if (!r->read(0, size_t(r->info().token_count), ids).ok()) return docs;
        std::vector<int32_t> doc;
        for (size_t i = 0; i <= ids.size(); ++i) {
          if (i == ids.size() || int32_t(ids[i]) == r->info().separator_id) {
            if (i > 0) docs.push_back(*tok->decode(doc));
            doc.clear();
          } else {
            doc.push_back(int32_t(ids[i]));
          }
        }
      }
      return docs;
    };
    const auto train_docs = decode_split("train");
    const auto val_docs = decode_split("val");
    QCOMPARE(train_docs.size(), size_t(320));
    QCOMPARE(val_docs.size(), size_t(80));
    QCOMPARE(train_docs.front(), corpus.documents[0]);
    QCOMPARE(val_docs.back(), corpus.tasks[199].prompt + corpus.tasks[199].response);
    for (const auto& d : train_docs)
      QVERIFY(d.find("TESTONLY") == std::string::npos);

    // A damaged tokenizer file is refused with the file and the offset; one that still parses
    // (a changed score) no longer matches the fingerprint its shards recorded.
    const fs::path model_path = root / "tokenizer" / "tokenizer.model";
    VERIFY_OK(text::verify_tokenizer_file(model_path));
    const std::string model_bytes = *read_file(model_path);
    std::string changed = model_bytes;
    const size_t unk = changed.find("<unk>");
    QVERIFY(unk != std::string::npos && uint8_t(changed[unk + 5]) == 0x15);  // score, fixed32
    changed[unk + 6] = char(uint8_t(changed[unk + 6]) ^ 0x01);
    VERIFY_OK(text::Tokenizer::from_bytes(changed, "changed.model"));  // it still parses
    VERIFY_OK(write_file_atomic(model_path, changed));
    auto mismatch = text::verify_tokenizer_file(model_path);
    QVERIFY(!mismatch.ok());
    QVERIFY2(mismatch.error().message.find("not the one that made") != std::string::npos,
             mismatch.error().to_string().c_str());
    std::string broken = model_bytes;
    broken[unk - 1] = char(0x7f);  // the <unk> string's length now runs past its piece
    VERIFY_OK(write_file_atomic(model_path, broken));
    auto damaged = text::verify_tokenizer_file(model_path);
    QVERIFY(!damaged.ok());
    QVERIFY2(damaged.error().where.find(model_path.string() + " @0x") == 0,
             damaged.error().to_string().c_str());
    QVERIFY2(damaged.error().message.find("re-run") != std::string::npos,
             damaged.error().to_string().c_str());
    VERIFY_OK(write_file_atomic(model_path, model_bytes));

    // A second build replaces the folder; a failing one leaves it as it was.
    settings.model_type = "unigram";
    VERIFY_OK(text::build_tokenizer(prepared, root / "tokenizer", settings, nullptr));
    auto json = nlohmann::json::parse(*read_file(root / "tokenizer" / "tokenizer.json"));
    QCOMPARE(json["model_type"].get<std::string>(), std::string("unigram"));
    QVERIFY(!text::build_tokenizer(root / "nowhere", root / "tokenizer", settings, nullptr).ok());
    QVERIFY(fs::exists(root / "tokenizer" / "tokenizer.model"));
    int entries = 0;
    for (const auto& e : fs::directory_iterator(root))
      entries += e.exists();
    QCOMPARE(entries, 2);  // data/ and tokenizer/: no staging folders left behind
  }

  // More than 64 classes: labels are no longer made single tokens, and the step says so, naming
  // the count and the labels (the CLI prints the summary's warnings).
  void tokenizerWarnsWhenLabelsAreNotSingleTokens() {
    QTemporaryDir dir;
    const fs::path root(dir.path().toStdString());
    auto build = [&](const std::vector<std::string>& labels) {
      const fs::path prepared = root / "prepared";
      fs::create_directories(prepared);
      std::ofstream docs(prepared / "pretrain_train.jsonl", std::ios::trunc);
      std::ofstream tasks(prepared / "task_train.jsonl", std::ios::trunc);
      std::mt19937 gen(5);
      for (int i = 0; i < 400; ++i) {
        std::string input = "ax:";
        for (int k = 0; k < 12; ++k)
          input += " " + std::to_string(int(gen() % 200) - 100);
        const auto& label = labels[size_t(i) % labels.size()];
        const auto ex = prompt::build_example("Name the zone.", input, label);
        docs << nlohmann::json{{"text", input}}.dump() << "\n";
        tasks << nlohmann::json{{"prompt", ex.prompt}, {"response", ex.response}, {"label", label}}
                     .dump()
              << "\n";
      }
      docs.close();
      tasks.close();
      text::VocabSettings settings;
      settings.vocab_size = 400;
      settings.threads = 2;
      return text::build_tokenizer(prepared, root / "tokenizer", settings, nullptr);
    };
    auto answer_tokens = [&](const std::string& label) {
      auto tok = text::Tokenizer::load(root / "tokenizer" / "tokenizer.model");
      return tok ? tok->encode("\n" + label + "\n").size() - tok->encode("\n\n").size() : 0;
    };

    std::vector<std::string> many;
    for (int i = 1; i <= 70; ++i)
      many.push_back("zone" + std::string(i < 10 ? "0" : "") + std::to_string(i));
    auto summary = build(many);
    VERIFY_OK(summary);
    QVERIFY(answer_tokens("zone07") > 1);  // the effect the warning describes
    const auto& warnings = (*summary)["warnings"];
    QCOMPARE(int(warnings.size()), 1);
    const std::string w = warnings[0].get<std::string>();
    QVERIFY2(w.find("70 of 70 class labels are not single tokens") != std::string::npos, w.c_str());
    QVERIFY2(w.find("more than the 64") != std::string::npos, w.c_str());
    QVERIFY2(w.find("zone01, zone02") != std::string::npos, w.c_str());
    QVERIFY2(w.find("(50 more)") != std::string::npos, w.c_str());
    auto saved = nlohmann::json::parse(*read_file(root / "tokenizer" / "tokenizer.json"));
    QCOMPARE(saved["warnings"], warnings);

    // 64 or fewer: single tokens and no warning, except a label that cannot be a symbol.
    const std::string long_label = "a-zone-whose-name-is-longer-than-32-bytes";  // not a symbol
    summary = build({"wing", "ring", long_label});
    VERIFY_OK(summary);
    QCOMPARE(answer_tokens("wing"), size_t(1));
    QCOMPARE(int((*summary)["warnings"].size()), 1);
    const std::string one = (*summary)["warnings"][0].get<std::string>();
    QVERIFY2(one.find("1 of 3 class labels") != std::string::npos, one.c_str());
    QVERIFY2(one.find("at most 32 bytes") != std::string::npos, one.c_str());
    QVERIFY2(one.find(": " + long_label) != std::string::npos, one.c_str());
    summary = build({"wing", "ring", "slope"});
    VERIFY_OK(summary);
    QVERIFY((*summary)["warnings"].empty());
  }

  // What libsentencepiece's trainer refuses (or crashed on) reaches the user in our words, naming
  // the corpus or the setting; nothing of its source locations or check expressions.
  void trainerFailuresAreSaidInOurTerms() {
    auto learn = [](std::vector<std::string> docs, const std::string& type, int vocab) {
      text::VocabSettings s;
      s.model_type = type;
      s.vocab_size = vocab;
      s.threads = 1;
      test::VectorDocuments d(std::move(docs));
      return text::learn_sentencepiece(d, s, {}, nullptr);
    };
    auto raw = [](const Error& e) {
      const std::string m = e.to_string();
      return m.find(".cc(") != std::string::npos || m.find("trainer_interface") != std::string::npos
                 ? m
                 : std::string();
    };
    // A small corpus (under 101 documents: the trainer refused such a sample size) learns.
    const auto few = test::synthetic_corpus(3, 20).all_texts();
    QVERIFY(few.size() <= 100);
    for (const char* type : {"bpe", "unigram"}) {
      auto small = learn(few, type, 400);
      QVERIFY2(small.ok(), small.ok() ? "" : small.error().to_string().c_str());
      VERIFY_OK(text::Tokenizer::from_bytes(small->model_bytes, "small.model"));
    }
    // More characters than the vocabulary has room for: the setting and the size it needs.
    std::string alphabet;
    for (char32_t c = 0x3041; c < 0x3041 + 80; ++c) {  // 80 hiragana, 3 bytes each in UTF-8
      alphabet += char(0xE0 | (c >> 12));
      alphabet += char(0x80 | ((c >> 6) & 0x3F));
      alphabet += char(0x80 | (c & 0x3F));
    }
    for (const char* type : {"bpe", "unigram"}) {
      auto too_small = learn(std::vector<std::string>(200, alphabet), type, 300);
      QVERIFY(!too_small.ok());
      const std::string m = too_small.error().to_string();
      QVERIFY2(too_small.error().where == "tokenizer setting vocab_size", m.c_str());
      QVERIFY2(too_small.error().message.find("300 is too small") == 0, m.c_str());
      QVERIFY2(too_small.error().message.find("at least") != std::string::npos, m.c_str());
    }
    // Only empty documents.
    auto empty = learn(std::vector<std::string>(150, ""), "bpe", 400);
    QVERIFY(!empty.ok());
    QVERIFY2(empty.error().message.find("documents are empty") != std::string::npos,
             empty.error().to_string().c_str());
    QVERIFY2(raw(empty.error()).empty(), raw(empty.error()).c_str());
    // Nothing BPE can merge (digits, spaces, template symbols): refused, where the trainer
    // crashed; unigram learns from the same text.
    const std::vector<std::string> digits(150, "12 7 0\n### Input:\n3 4");
    auto bpe = learn(digits, "bpe", 400);
    QVERIFY(!bpe.ok());
    QVERIFY2(bpe.error().message.find("model_type") != std::string::npos,
             bpe.error().to_string().c_str());
    QVERIFY(learn(digits, "unigram", 400).ok());
    QVERIFY(learn(std::vector<std::string>(150, "12 a"), "bpe", 400).ok());  // "▁a" merges

    // Through the tokenizer step, the error names the corpus file.
    QTemporaryDir dir;
    const fs::path prepared = fs::path(dir.path().toStdString()) / "prepared";
    std::string lines;
    for (int i = 0; i < 150; ++i)
      lines += R"({"text":"","split":"train"})"
               "\n";
    VERIFY_OK(write_file_atomic(prepared / "pretrain_train.jsonl", lines));
    text::VocabSettings settings;
    settings.threads = 1;
    auto built = text::build_tokenizer(prepared, fs::path(dir.path().toStdString()) / "tokenizer",
                                       settings, nullptr);
    QVERIFY(!built.ok());
    QVERIFY2(built.error().where.find("pretrain_train.jsonl") != std::string::npos,
             built.error().to_string().c_str());
  }

  void settingsRejectUnknownKeys() {
    QVERIFY(text::vocab_settings_from_json({{"vocab_size", 1024}}).ok());
    QVERIFY(!text::vocab_settings_from_json({{"vocab", 1024}}).ok());
    QVERIFY(!text::vocab_settings_from_json({{"model_type", "wordpiece"}}).ok());
    QVERIFY(!text::vocab_settings_from_json({{"vocab_size", 100}}).ok());
    const auto back = text::vocab_settings_from_json(text::to_json(text::VocabSettings{}));
    VERIFY_OK(back);
    QCOMPARE(back->vocab_size, 2048);
  }
};

QTEST_GUILESS_MAIN(TestText)
#include "test_text.moc"
