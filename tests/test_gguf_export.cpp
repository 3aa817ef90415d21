// tinyllm_gguf_export and `tinyllm export`: the tensors and keys llama.cpp needs
// (../shared/reference/gguf-gpt2.md §2, §3, §7), the task recipe complete enough to rebuild every
// prompt from the file alone, and the CLI on a demo project (made by the CLI itself).
#include <QProcess>
#include <QTemporaryDir>
#include <QtTest>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "base/version.h"
#include "data/store.h"
#include "gguf/export.h"
#include "gguf/gguf.h"
#include "gguf/keys.h"
#include "model/config_json.h"
#include "model/names.h"
#include "safetensors/safetensors.h"
#include "sensortext/sensor_text.h"
#include "test_verify.h"
#include "text/tokenizer.h"

using namespace tinyllm;
using namespace tinyllm::gguf;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct CliRun {
  int code = -1;
  QString out, err;
};

CliRun run_cli(const QStringList& args) {
  QProcess p;
  p.start(QString(TINYLLM_BINARY_DIR) + "/bin/tinyllm", args);
  p.waitForFinished(300000);
  return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
          QString::fromUtf8(p.readAllStandardOutput()),
          QString::fromUtf8(p.readAllStandardError())};
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
std::string replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

// What the device will do: make the prompt of every validation window from the raw readings with
// nothing but the file's tinyllm.* keys. Returns how many equal the prepared prompts (all must).
size_t check_prompts_from_metadata(const File& f, const fs::path& project) {
  sensortext::Schema schema;
  schema.kind = *sensortext::sensor_kind_from_string(*f.get_string(keys::kTinySensorKind));
  const auto names = *f.get_string_array(keys::kTinyChannels);
  const auto units = *f.get_string_array(keys::kTinyChannelUnits);
  for (size_t c = 0; c < names.size(); ++c)
    schema.channels.push_back({names[c], units[c]});
  schema.sample_rate_hz = *f.get_f64(keys::kTinySampleRate);
  const bool zscore = *f.get_string(keys::kTinyNormalize) == "zscore";
  auto format = sensortext::channel_format(schema, *f.get_bool(keys::kTinySiUnits), zscore,
                                           *f.get_i32(keys::kTinyDecimalsSetting),
                                           int(*f.get_u32(keys::kTinyRssiTopK)));
  if (f.find(keys::kTinyLevelCount)) {
    format.format.levels = int(*f.get_u32(keys::kTinyLevelCount));
    format.format.level_center = *f.get_f64_array(keys::kTinyLevelCenter);
    format.format.level_step = *f.get_f64_array(keys::kTinyLevelStep);
  }
  std::vector<double> mean, stdev;
  if (zscore)
    mean = *f.get_f64_array(keys::kTinyNormMean), stdev = *f.get_f64_array(keys::kTinyNormStd);
  const auto styles = sensortext::builtin_text_styles();
  const auto* style = sensortext::find_text_style(styles, *f.get_string(keys::kTinyTextStyle));
  if (!style) return 0;
  const double rate_hz = *f.get_f64(keys::kTinyRateHz);
  const bool imu = schema.kind == sensortext::SensorKind::imu;
  const std::string tmpl = replaced(*f.get_string(keys::kTinyPromptTemplate), "{instruction}",
                                    *f.get_string(keys::kTinyInstruction));

  // The test's side: raw readings from the project's store, the prompts prepare wrote.
  const json manifest = json::parse(*read_file(project / "project.json"));
  auto store =
      data::SeriesStore::open(project / manifest["sources"][0]["store"].get<std::string>());
  if (!store) return 0;
  std::ifstream lines(project / "data" / "prepared" / "task_val.jsonl");
  size_t checked = 0;
  for (std::string line; std::getline(lines, line);) {
    const json example = json::parse(line);
    size_t index = 0;
    while (store->series()[index].id != example["series"].get<std::string>())
      ++index;
    sensortext::Series series = *store->read(index);
    sensortext::convert_units(series.values, format.unit_factor);
    if (imu && (*f.get_f64(keys::kTinyResampleHz) > 0 || !series.time_s.empty()))
      series = sensortext::resample(series, schema.channels.size(), schema.targets.size(),
                                    schema.sample_rate_hz, rate_hz);
    if (zscore) sensortext::to_zscores(series.values, mean, stdev);
    sensortext::Window window;
    window.schema = &schema;
    window.rows = example["rows"].get<size_t>();
    window.values = series.values.data() + example["start"].get<size_t>() * schema.channels.size();
    window.rate_hz = rate_hz;
    const std::string prompt = replaced(tmpl, "{input}", style->write(window, format.format));
    if (prompt != example["prompt"].get<std::string>()) {
      qWarning("from metadata:\n%s\nprepared:\n%s", prompt.c_str(),
               example["prompt"].get<std::string>().c_str());
      return 0;
    }
    ++checked;
  }
  return checked;
}

// A checkpoint as the trainer writes it (model.json + model.safetensors) with seeded weights, for
// a one-block model over `tokenizer_bytes`' vocabulary; `data` receives the tensors in order.
bool write_checkpoint(const fs::path& dir, const std::string& tokenizer_bytes,
                      std::vector<std::vector<float>>& data) {
  model::ModelConfig config;
  config.n_layer = 1;
  config.n_head = 2;
  config.n_embd = 32;
  config.n_ff = 64;
  config.n_ctx = 32;
  auto tokenizer = text::Tokenizer::from_bytes(tokenizer_bytes, "tokenizer.model");
  if (!tokenizer) return false;
  config.n_vocab = tokenizer->vocab_size();
  fs::create_directories(dir);
  if (!write_file_atomic(dir / "model.json", model::to_json(config).dump(2))) return false;
  safetensors::SafetensorsWriter st;
  uint32_t seed = 1;
  const auto specs = model::gpt2_tensors(config);
  for (const auto& spec : specs)
    data.push_back(seeded_values(size_t(spec.numel()), seed++, 0.05f));
  for (size_t i = 0; i < specs.size(); ++i)
    st.add(specs[i].name, safetensors::StDtype::F32, specs[i].shape, data[i].data());
  return st.write(dir / "model.safetensors").ok();
}

}  // namespace

class TestGgufExport : public QObject {
  Q_OBJECT
  QTemporaryDir dir_;
  fs::path project_;  // a demo project with prepared data and a tokenizer (made by the CLI)
  std::string tokenizer_bytes_;

 private slots:
  void initTestCase() {
    project_ = fs::path(dir_.path().toStdString()) / "demo";
    const QString p = QString::fromStdString(project_.string());
    for (const QStringList& args : {QStringList{"project", "new", p, "--demo", "imu"},
                                    QStringList{"data", "prepare", "--project", p},
                                    QStringList{"tokenizer", "train", "--project", p, "--quiet"}}) {
      const auto r = run_cli(args);
      QVERIFY2(r.code == 0, qPrintable(args.join(' ') + ": " + r.err));
    }
    auto bytes = read_file(project_ / "tokenizer" / "tokenizer.model");
    TINYLLM_VERIFY_OK(bytes);
    tokenizer_bytes_ = *bytes;
  }

  void gpt2ExportHasEveryTensorAndKeyLlamaCppNeeds() {
    model::ModelConfig config;
    config.n_layer = 2;
    config.n_head = 2;
    config.n_embd = 32;
    config.n_ff = 128;
    config.n_ctx = 48;
    auto tokenizer = text::Tokenizer::from_bytes(tokenizer_bytes_, "tokenizer.model");
    TINYLLM_VERIFY_OK(tokenizer);
    config.n_vocab = tokenizer->vocab_size() + 3;  // 3 embedding rows without a piece
    std::map<std::string, std::vector<float>> weights;
    uint32_t seed = 100;
    for (const auto& spec : model::gpt2_tensors(config))
      weights[spec.name] = seeded_values(size_t(spec.numel()), seed++, 0.1f);
    const TensorSource source = [&](const std::string& name) -> Result<std::vector<float>> {
      return weights.at(name);
    };
    json prepared;
    auto text = read_file(project_ / "data" / "prepared" / "prepared.json");
    TINYLLM_VERIFY_OK(text);
    prepared = json::parse(*text);
    sensortext::Schema schema;
    for (const auto& name : prepared["channels"])
      schema.channels.push_back({name.get<std::string>(), "m/s^2"});
    schema.sample_rate_hz = 50;

    for (const TensorType type : {TensorType::f32, TensorType::q4_0}) {
      Writer w;
      TINYLLM_VERIFY_OK(add_gpt2_model(w, config, source, type));
      TINYLLM_VERIFY_OK(add_vocabulary(w, tokenizer_bytes_, "tokenizer.model", config.n_vocab));
      TINYLLM_VERIFY_OK(add_task_metadata(w, prepared, schema));
      auto bytes = w.bytes();
      TINYLLM_VERIFY_OK(bytes);
      auto f = File::parse(*bytes, "model.gguf");
      TINYLLM_VERIFY_OK(f);

      // §2.1: hyper-parameters with exactly llama.cpp's types.
      QCOMPARE(*f->get_string(keys::kArchitecture), std::string("gpt2"));
      QCOMPARE(*f->get_u32(keys::kContextLength), 48u);
      QCOMPARE(*f->get_u32(keys::kEmbeddingLength), 32u);
      QCOMPARE(*f->get_u32(keys::kFeedForwardLength), 128u);
      QCOMPARE(*f->get_u32(keys::kBlockCount), 2u);
      QCOMPARE(*f->get_u32(keys::kHeadCount), 2u);
      QCOMPARE(*f->get_f32(keys::kLayerNormEpsilon), 1e-5f);
      QCOMPARE(*f->get_u32(keys::kFileType), file_type_id(type));
      QCOMPARE(f->find(keys::kQuantizationVersion) != nullptr, type == TensorType::q4_0);
      QVERIFY(!f->find(keys::kAlignment));

      // §2.2: exactly 4 + 12 n_layer + 1 tensors, shapes in ggml order, types per §4.7.
      QCOMPARE(f->tensors().size(), size_t(4 + 12 * 2 + 1));
      const uint64_t E = 32, F = 128, V = uint64_t(config.n_vocab), C = 48;
      std::map<std::string, std::vector<uint64_t>> shapes = {{keys::kTokenEmbd, {E, V}},
                                                             {keys::kPositionEmbd, {E, C}},
                                                             {keys::kOutputNormWeight, {E}},
                                                             {keys::kOutputNormBias, {E}},
                                                             {keys::kOutput, {E, V}}};
      const std::vector<std::vector<uint64_t>> block_shapes = {
          {E}, {E}, {E, 3 * E}, {3 * E}, {E, E}, {E}, {E}, {E}, {E, F}, {F}, {F, E}, {E}};
      for (int b = 0; b < 2; ++b)
        for (size_t i = 0; i < block_shapes.size(); ++i)
          shapes[keys::block_tensor(b, keys::kBlockTensors[i])] = block_shapes[i];
      for (const auto& [name, ne] : shapes) {
        const TensorInfo* t = f->find_tensor(name);
        QVERIFY2(t, name.c_str());
        QCOMPARE(t->ne, ne);
        TensorType expected =
            ne.size() == 1 || name == keys::kPositionEmbd ? TensorType::f32 : type;
        if (type == TensorType::q4_0 && name == keys::kOutput) expected = TensorType::q8_0;
        QVERIFY2(t->type == expected, name.c_str());
      }
      if (type == TensorType::f32) {
        // Conv1D [in, out] is transposed: ggml row o (an output) holds HF column o.
        const auto qkv = *f->dequantize(*f->find_tensor("blk.1.attn_qkv.weight"));
        const auto& hf = weights.at("h.1.attn.c_attn.weight");
        for (size_t o = 0; o < 3 * E; o += 7)
          for (size_t i = 0; i < E; i += 5)
            QCOMPARE(qkv[o * E + i], hf[i * 3 * E + o]);
        // Embeddings are not transposed, and output.weight is a copy of token_embd.
        QCOMPARE(*f->dequantize(*f->find_tensor(keys::kTokenEmbd)), weights.at("wte.weight"));
        QCOMPARE(*f->dequantize(*f->find_tensor(keys::kOutput)), weights.at("wte.weight"));
        QCOMPARE(*f->dequantize(*f->find_tensor(keys::kPositionEmbd)), weights.at("wpe.weight"));
      }

      // §3: the SentencePiece vocabulary as llama.cpp's "llama" model.
      QCOMPARE(*f->get_string(keys::kTokenizerModel), std::string("llama"));
      const auto tokens = *f->get_string_array(keys::kTokens);
      const auto token_types = *f->get_i32_array(keys::kTokenTypes);
      QCOMPARE(tokens.size(), size_t(V));
      QCOMPARE(token_types.size(), size_t(V));
      QCOMPARE(f->get_f32_array(keys::kScores)->size(), size_t(V));
      for (int byte = 0; byte < 256; ++byte) {
        char piece[8];
        std::snprintf(piece, sizeof piece, "<0x%02X>", byte);
        const auto at = std::find(tokens.begin(), tokens.end(), piece);
        QVERIFY2(at != tokens.end(), piece);
        QCOMPARE(token_types[size_t(at - tokens.begin())], keys::kTokenByte);
      }
      const auto marker = std::find(tokens.begin(), tokens.end(), "### Instruction:");
      QVERIFY2(marker != tokens.end(), "user-defined pieces are written with plain spaces");
      QCOMPARE(token_types[size_t(marker - tokens.begin())], keys::kTokenUserDefined);
      QCOMPARE(tokens.back(), "[PAD" + std::to_string(V - 1) + "]");
      QCOMPARE(token_types.back(), keys::kTokenUnused);
      QCOMPARE(*f->get_u32(keys::kEosId), uint32_t(tokenizer->eos_id()));
      QCOMPARE(*f->get_u32(keys::kUnkId), uint32_t(tokenizer->unk_id()));
      QCOMPARE(*f->get_bool(keys::kAddBos), false);
      QCOMPARE(*f->get_bool(keys::kAddSpacePrefix), false);
      const auto proto = *f->get_u8_array(keys::kTinyTokenizerProto);
      QCOMPARE(std::string(proto.begin(), proto.end()), tokenizer_bytes_);

      // Our task keys, typed.
      QCOMPARE(*f->get_string_array(keys::kTinyAnswers),
               prepared["classes"].get<std::vector<std::string>>());
      QCOMPARE(*f->get_string(keys::kTinyTaskKind), std::string("classification"));
      QCOMPARE(*f->get_string(keys::kTinyInstruction), prepared["instruction"].get<std::string>());
      QCOMPARE(
          *f->get_string(keys::kTinyPromptTemplate),
          std::string("### Instruction:\n{instruction}\n### Input:\n{input}\n### Response:\n"));
      QCOMPARE(*f->get_string(keys::kTinyTextStyle),
               prepared["settings"]["style"].get<std::string>());
      QCOMPARE(*f->get_f64(keys::kTinyRateHz), prepared["rate_hz"].get<double>());
      QCOMPARE(*f->get_u32(keys::kTinyWindowRows), prepared["window_rows"].get<uint32_t>());
      QCOMPARE(*f->get_i32_array(keys::kTinyDecimals),
               prepared["decimals"].get<std::vector<int32_t>>());
      if (prepared["levels"].is_object()) {
        QCOMPARE(*f->get_u32(keys::kTinyLevelCount), prepared["levels"]["count"].get<uint32_t>());
        QCOMPARE(*f->get_f64_array(keys::kTinyLevelCenter),
                 prepared["levels"]["center"].get<std::vector<double>>());
        QCOMPARE(*f->get_f64_array(keys::kTinyLevelStep),
                 prepared["levels"]["step"].get<std::vector<double>>());
      }
    }
  }

  void exportRefusesATokenizerLargerThanTheEmbedding() {
    Writer w;
    auto st = add_vocabulary(w, tokenizer_bytes_, "tokenizer.model", 100);
    QVERIFY(!st.ok());
    QVERIFY(st.error().message.find("embedding") != std::string::npos);
  }

  void cliExportsEveryTypeAndRecordsArtifacts() {
    const fs::path checkpoint = project_ / "finetune" / "ft1" / "best";
    std::vector<std::vector<float>> data;
    QVERIFY(write_checkpoint(checkpoint, tokenizer_bytes_, data));

    const QString p = QString::fromStdString(project_.string());
    auto r = run_cli({"export", "--project", p, "--run", "ft1", "--json"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    QStringList lines;
    std::vector<json> progress;  // docs/gguf.md: the progress lines come first
    for (const QString& line : r.out.trimmed().split('\n')) {
      json j = json::parse(line.toStdString());
      if (j.value("event", "") == "progress")
        progress.push_back(std::move(j));
      else
        lines << line;
    }
    QCOMPARE(lines.size(), 5);  // one line per file, then the quantization report
    // 4 files and 3 measurements of each, counted one by one from 0 to the total.
    QCOMPARE(progress.size(), size_t{1 + 4 + 12});
    for (size_t i = 0; i < progress.size(); ++i) {
      QCOMPARE(progress[i]["done"].get<int>(), int(i));
      QCOMPARE(progress[i]["total"].get<int>(), 16);
    }
    QCOMPARE(progress[4]["stage"].get<std::string>(), std::string("export"));
    QCOMPARE(progress[5]["stage"].get<std::string>(), std::string("measure"));
    QCOMPARE(progress[5]["type"].get<std::string>(), std::string("f32"));
    QCOMPARE(progress[5]["what"].get<std::string>(), std::string("accuracy"));
    const json report = json::parse(lines.takeLast().toStdString())["report"];
    QCOMPARE(report["variants"].size(), size_t{4});
    for (const auto& v : report["variants"]) {
      // Measured by the runtime on this computer: a perplexity, a test accuracy, speeds.
      QVERIFY2(v["perplexity"].is_number() && v["perplexity"].get<double>() > 1, v.dump().c_str());
      // This test model's context (32) is shorter than the test prompts: said, not failed.
      QVERIFY2(v["accuracy"].is_null() && v["not_measured"]["accuracy"].get<std::string>().find(
                                              "do not fit") != std::string::npos,
               v.dump().c_str());
      QVERIFY(v["prompt_tokens_per_s"].get<double>() > 0);
      const double size_ratio = v["vs_f32"]["size"].get<double>();
      if (v["type"] == "f32")
        QCOMPARE(size_ratio, 1.0);
      else
        QVERIFY2(size_ratio < 0.6, v.dump().c_str());
    }
    QVERIFY(fs::exists(project_ / "reports" / "quantization-ft1.json"));
    std::map<std::string, double> bits;
    for (const QString& line : lines) {
      const json row = json::parse(line.toStdString());
      const fs::path file = project_ / row["path"].get<std::string>();
      QCOMPARE(row["bytes"].get<uint64_t>(), uint64_t(fs::file_size(file)));
      auto f = File::open(file);
      TINYLLM_VERIFY_OK(f);
      bits[row["type"].get<std::string>()] = row["bits_per_weight"].get<double>();
      QVERIFY(f->find_tensor(keys::kOutput));
      QCOMPARE(*f->get_string(keys::kTinySourceSha256),
               *sha256_file(checkpoint / "model.safetensors"));
      QCOMPARE(*f->get_string(keys::kTinyWorkbenchVersion), std::string(kWorkbenchVersion));
      if (row["type"] == "F32") {  // the checkpoint's values, exactly; the prompt recipe whole
        const size_t prompts = check_prompts_from_metadata(*f, project_);
        QVERIFY2(prompts > 10, qPrintable(QString("%1 prompts rebuilt").arg(prompts)));
        QCOMPARE(*f->dequantize(*f->find_tensor("output_norm.bias")), data.back());
        QCOMPARE(*f->dequantize(*f->find_tensor(keys::kTokenEmbd)), data[0]);
      }
    }
    qInfo("bits per weight: F32 %.2f, F16 %.2f, Q8_0 %.2f, Q4_0 %.2f", bits["F32"], bits["F16"],
          bits["Q8_0"], bits["Q4_0"]);
    // Smaller types, fewer bits (1-D tensors and position_embd stay F32 in all of them).
    QVERIFY(bits["F32"] == 32.0);
    QVERIFY(bits["F16"] < 17.5 && bits["F16"] > 16.0);
    QVERIFY(bits["Q8_0"] < bits["F16"] && bits["Q8_0"] > 8.5);
    QVERIFY(bits["Q4_0"] < bits["Q8_0"]);
    for (const char* name : {"ft1-f32.gguf", "ft1-f16.gguf", "ft1-q8_0.gguf", "ft1-q4_0.gguf"})
      QVERIFY2(fs::exists(project_ / "exports" / name), name);
    const json manifest = json::parse(*read_file(project_ / "project.json"));
    int recorded = 0;
    for (const auto& a : manifest["artifacts"])
      if (a["kind"] == "gguf") {
        ++recorded;
        QCOMPARE(a["sha256"].get<std::string>(),
                 *sha256_file(project_ / a["path"].get<std::string>()));
      }
    QCOMPARE(recorded, 4);

    // The table, and clear errors.
    r = run_cli({"export", "--project", p, "--run", "ft1", "--type", "q8_0"});
    QVERIFY2(r.code == 0 && r.out.contains("Q8_0") && r.out.contains("bits/weight"),
             qPrintable(r.out + r.err));
    r = run_cli({"export", "--project", p, "--run", "ft1", "--type", "q3_k"});
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains("--type") && r.err.contains("q3_k"), qPrintable(r.err));
    r = run_cli({"export", "--project", p, "--run", "nope"});
    QVERIFY(r.code != 0);
    QVERIFY2(r.err.contains("nope"), qPrintable(r.err));
  }
  // RSSI fingerprints (the levels style with access-point codes): the recipe is complete too.
  void rssiPromptsRebuildFromMetadata() {
    QTemporaryDir dir;
    const fs::path project = fs::path(dir.path().toStdString()) / "rssi";
    const QString p = QString::fromStdString(project.string());
    for (const QStringList& args : {QStringList{"project", "new", p, "--demo", "rssi"},
                                    QStringList{"data", "prepare", "--project", p},
                                    QStringList{"tokenizer", "train", "--project", p, "--quiet"}}) {
      const auto r = run_cli(args);
      QVERIFY2(r.code == 0, qPrintable(args.join(' ') + ": " + r.err));
    }
    const fs::path checkpoint = project / "elsewhere" / "run7" / "best";
    std::vector<std::vector<float>> data;
    QVERIFY(
        write_checkpoint(checkpoint, *read_file(project / "tokenizer" / "tokenizer.model"), data));
    // --checkpoint with a trailing slash: the run is still named after the folder above best/.
    const auto r = run_cli({"export", "--project", p, "--checkpoint",
                            QString::fromStdString(checkpoint.string()) + "/", "--type", "f32"});
    QVERIFY2(r.code == 0, qPrintable(r.err));
    auto f = File::open(project / "exports" / "run7-f32.gguf");
    TINYLLM_VERIFY_OK(f);
    QCOMPARE(*f->get_string(keys::kTinySensorKind), std::string("rssi"));
    const size_t prompts = check_prompts_from_metadata(*f, project);
    QVERIFY2(prompts > 10, qPrintable(QString("%1 prompts rebuilt").arg(prompts)));
  }
};

QTEST_GUILESS_MAIN(TestGgufExport)
#include "test_gguf_export.moc"
