// tinyllm_model (config, presets, estimates, names) and tinyllm_safetensors's safetensors
// reader/writer.
#include <QtTest>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/files.h"
#include "model/config.h"
#include "model/config_json.h"
#include "model/names.h"
#include "safetensors/safetensors.h"

using namespace tinyllm;
namespace fs = std::filesystem;

namespace {
fs::path temp_dir(const QTemporaryDir& dir) {
  return fs::path(dir.path().toStdString());
}
std::string message(const Error& e) {
  return e.to_string();
}
}  // namespace

class TestModel : public QObject {
  Q_OBJECT
 private slots:
  void presetsHaveThePapersSizes() {
    // Millions of parameters as the paper names them (with GPT-2's 50257-token vocabulary).
    const std::pair<const char*, double> expected[] = {
        {"d6", 30.3}, {"d8", 51.5}, {"d10", 82.1}, {"d11", 101.6}, {"d12", 124.4}};
    for (auto [name, millions] : expected) {
      auto c = model::preset(name);
      QVERIFY2(c.ok(), name);
      QVERIFY(model::validate(*c).ok());
      QCOMPARE(c->n_ctx, 1024);
      QCOMPARE(c->head_dim(), 64);
      const double got = double(model::parameter_count(*c)) / 1e6;
      QVERIFY2(std::abs(got - millions) < 0.1,
               (std::string(name) + " " + std::to_string(got)).c_str());
    }
    // CPU presets: about 1M and 5M.
    QVERIFY(std::abs(model::parameter_count(*model::preset("tiny")) / 1e6 - 1.1) < 0.2);
    QVERIFY(std::abs(model::parameter_count(*model::preset("small")) / 1e6 - 5.3) < 0.5);
    auto bad = model::preset("huge");
    QVERIFY(!bad.ok());
    QVERIFY(bad.error().message.find("tiny") != std::string::npos);  // lists valid names
  }

  // resources/presets/*.json are the presets: the build turns them into the table presets()
  // reads, so every file is a preset, every preset a file, and both say the same.
  void presetFilesMatchTheBuiltInTable() {
    size_t files = 0;
    for (const auto& e :
         fs::directory_iterator(fs::path(TINYLLM_SOURCE_DIR) / "resources/presets")) {
      if (e.path().extension() != ".json") continue;
      ++files;
      auto read = model::read_preset_file(e.path());
      QVERIFY2(read.ok(), read.ok() ? "" : message(read.error()).c_str());
      auto loaded = model::preset(read->name);
      QVERIFY2(loaded.ok(), read->name.c_str());
      QVERIFY2(*loaded == read->config, read->name.c_str());
      QCOMPARE(e.path().stem().string(), read->name);
    }
    QCOMPARE(files, model::presets().size());
    for (size_t i = 1; i < model::presets().size(); ++i)  // smallest first
      QVERIFY(model::parameter_count(model::presets()[i - 1].config) <=
              model::parameter_count(model::presets()[i].config));
    for (const auto& p : model::presets()) {
      const fs::path file = fs::path(TINYLLM_SOURCE_DIR) / "resources/presets" / (p.name + ".json");
      auto read = model::read_preset_file(file);
      QVERIFY2(read.ok(), read.ok() ? "" : message(read.error()).c_str());
      QVERIFY2(read->config == p.config, p.name.c_str());
      QCOMPARE(read->name, p.name);
    }
  }

  void validateNamesTheField() {
    model::ModelConfig c;
    c.n_embd = 100;
    c.n_head = 4;
    auto s = model::validate(c);
    QVERIFY(!s.ok());
    QCOMPARE(QString::fromStdString(s.error().where), QString("n_embd"));
    QVERIFY(s.error().message.find("multiple of 32") != std::string::npos);
    c = {};
    c.n_ff = 500;
    QVERIFY(!model::validate(c).ok());
    c = {};
    c.n_head = 3;
    QVERIFY(!model::validate(c).ok());  // 128 % 3 != 0
  }

  void configJsonRoundTripsAndRejectsUnknownKeys() {
    model::ModelConfig c = *model::preset("small");
    auto back = model::config_from_json(model::to_json(c), "t");
    QVERIFY(back.ok());
    QVERIFY(*back == c);
    auto typo = model::config_from_json({{"n_layers", 4}}, "cfg.json");
    QVERIFY(!typo.ok());
    QVERIFY(typo.error().where.find("n_layers") != std::string::npos);
    auto wrong_type = model::config_from_json({{"n_layer", "four"}}, "cfg.json");
    QVERIFY(!wrong_type.ok());
    auto partial = model::config_from_json({{"n_layer", 2}}, "cfg.json", c);
    QVERIFY(partial.ok());
    QCOMPARE(partial->n_layer, 2);
    QCOMPARE(partial->n_embd, c.n_embd);
  }

  void namesCoverEveryParameterOnce() {
    model::ModelConfig c = *model::preset("tiny");
    auto t = model::gpt2_tensors(c);
    QCOMPARE(int(t.size()), 2 + 12 * c.n_layer + 2);
    int64_t total = 0;
    std::set<std::string> names, gguf_names;
    for (const auto& s : t) {
      total += s.numel();
      names.insert(s.name);
      gguf_names.insert(s.gguf_name);
      QVERIFY(s.gguf_name.size() <= 63);
      QCOMPARE(s.weight_decay, s.shape.size() == 2 && s.name.rfind("w", 0) != 0);
    }
    QCOMPARE(total, model::parameter_count(c));
    QCOMPARE(names.size(), t.size());
    QCOMPARE(gguf_names.size(), t.size());
    QCOMPARE(t[2].name, std::string("h.0.ln_1.weight"));
    QCOMPARE(t[4].shape, (std::vector<int64_t>{c.n_embd, 3 * c.n_embd}));  // Conv1D [in, out]
    QVERIFY(t[4].conv1d);
  }

  void estimatesAreSensible() {
    auto c = *model::preset("d12");
    auto m = model::estimate_memory(c, 4, 1024);
    QCOMPARE(m.weights, 4 * model::parameter_count(c));
    QCOMPARE(m.optimizer, 2 * m.weights);
    QVERIFY(m.activations > m.weights);  // batch 4 x 1024 of a 124M model
    const double f = model::training_flops_per_token(c, 1024);
    QVERIFY(f > 6.0 * 124e6 && f < 6.0 * 124e6 * 1.3);
    QCOMPARE(model::estimate_seconds(1000, 100.0), 10.0);
    QCOMPARE(QString::fromStdString(model::format_count(124439808)), QString("124.44M"));
  }

  void safetensorsRoundTrip() {
    QTemporaryDir dir;
    const fs::path path = temp_dir(dir) / "t.safetensors";
    std::vector<float> a = {1.5f, -2.0f, 3.25f, 0.0f, 1e-7f, 6.0f};
    std::vector<int32_t> b = {7, -8, 9};
    safetensors::SafetensorsWriter w;
    w.set_metadata("format", "pt");
    w.set_metadata("note", "quote \" and \\ backslash");
    w.add("h.0.attn.c_attn.weight", safetensors::StDtype::F32, {2, 3}, a.data());
    w.add("ids", safetensors::StDtype::I32, {3}, b.data());
    QVERIFY(w.write(path).ok());
    auto f = safetensors::SafetensorsFile::open(path);
    QVERIFY2(f.ok(), f.ok() ? "" : message(f.error()).c_str());
    QCOMPARE(int(f->tensors().size()), 2);
    QCOMPARE(f->metadata().at("note"), std::string("quote \" and \\ backslash"));
    std::vector<float> a2(6);
    QVERIFY(f->read_expected("h.0.attn.c_attn.weight", safetensors::StDtype::F32, {2, 3}, a2.data())
                .ok());
    QCOMPARE(a2, a);
    std::vector<int32_t> b2(3);
    QVERIFY(f->read_expected("ids", safetensors::StDtype::I32, {3}, b2.data()).ok());
    QCOMPARE(b2, b);
    // Shape mismatches are reported with both shapes.
    auto wrong = f->read_expected("ids", safetensors::StDtype::I32, {4}, b2.data());
    QVERIFY(!wrong.ok());
    QVERIFY(wrong.error().message.find("expected I32 [4]") != std::string::npos);
    // The header is 8-byte aligned, like Hugging Face's writer.
    auto bytes = read_file(path);
    uint64_t n = 0;
    std::memcpy(&n, bytes->data(), 8);
    QCOMPARE(n % 8, uint64_t(0));
  }

  void safetensorsRejectsCorruptFiles() {
    QTemporaryDir dir;
    const fs::path good = temp_dir(dir) / "good.safetensors";
    std::vector<float> a(64, 1.0f);
    safetensors::SafetensorsWriter w;
    w.add("w", safetensors::StDtype::F32, {8, 8}, a.data());
    QVERIFY(w.write(good).ok());
    const std::string bytes = *read_file(good);
    auto write = [&](const std::string& name, const std::string& content) {
      const fs::path p = temp_dir(dir) / name;
      std::ofstream(p, std::ios::binary) << content;
      return p;
    };
    struct Case {
      const char* name;
      std::string content;
      const char* expect;
    };
    // A file of just `header` and 4 data bytes.
    auto with_header = [](const std::string& header) {
      std::string out(8, '\0');
      for (int i = 0; i < 8; ++i)
        out[size_t(i)] = char(uint64_t(header.size()) >> (8 * i));
      return out + header + std::string(4, '\0');
    };
    std::string bad_json = bytes;
    bad_json[9] = '[';
    std::string bad_offsets = bytes;
    const size_t at = bad_offsets.find("[0,256]");
    QVERIFY(at != std::string::npos);
    bad_offsets.replace(at, 7, "[0,252]");
    const Case cases[] = {
        {"empty", "", "too short"},
        {"truncated", bytes.substr(0, bytes.size() - 10), "truncated"},
        {"huge_header", std::string("\xff\xff\xff\xff\x00\x00\x00\x00", 8) + bytes.substr(8),
         "header size"},
        {"bad_json", bad_json, "@0x9: safetensors header is not valid JSON"},
        {"bad_offsets", bad_offsets, "expected 256"},
        // Hostile headers: a bad escape (once an uncaught exception), sizes that overflow 64 bits,
        // values of the wrong type, an unknown dtype.
        {"bad_escape",
         with_header(R"({"w\uZZZZ":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})"),
         "not valid JSON"},
        {"overflow",
         with_header(
             R"({"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})"),
         "does not fit 64 bits"},
        {"negative", with_header(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})"),
         "not a size"},
        {"dtype", with_header(R"({"w":{"dtype":"F8","shape":[1],"data_offsets":[0,1]}})"),
         "@0x9: safetensors header: tensor 'w': unknown dtype 'F8'"},
        {"not_object", with_header("[1,2]"), "expected a JSON object"},
    };
    for (const auto& c : cases) {
      auto f = safetensors::SafetensorsFile::open(write(c.name, c.content));
      QVERIFY2(!f.ok(), c.name);
      QVERIFY2(message(f.error()).find(c.expect) != std::string::npos, message(f.error()).c_str());
      QVERIFY2(f.error().where.find(" @0x") != std::string::npos, message(f.error()).c_str());
    }
  }
};

QTEST_APPLESS_MAIN(TestModel)
#include "test_model.moc"
