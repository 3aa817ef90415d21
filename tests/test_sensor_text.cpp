// tinyllm_sensor_text and the prompt template: the text the edge runtime makes from raw readings
// is byte-for-byte the text `tinyllm data prepare` wrote for the same window. The runtime side of
// each check uses only the C++17 libraries the device links (sensortext/sensor_text.h,
// text/prompt_template.h); the JSON and the store are read here only to get the raw readings and
// what prepare recorded (instruction, rate, units, z-score statistics).
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "data/store.h"
#include "pipeline/data_step.h"
#include "sensortext/sensor_text.h"
#include "test_support.h"
#include "text/prompt_template.h"

using namespace tinyllm;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

using test::read_jsonl;

// What the device knows after deployment: prepared.json's recipe. Returns the number of
// examples checked; every prompt must equal the runtime's text for the same window.
size_t check_runtime_text(const project::Project& project, const json& prepared) {
  const json& settings = prepared["settings"];
  const auto store = data::SeriesStore::open(project.path(project.sources.at(0).store));
  if (!store) qFatal("%s", store.error().to_string().c_str());
  const sensortext::Schema& schema = store->schema();
  const size_t nc = schema.channels.size(), nt = schema.targets.size();
  const bool imu = schema.kind == sensortext::SensorKind::imu;
  auto number_format = sensortext::channel_format(
      schema, settings["si_units"].get<bool>(), settings["normalize"] == "zscore",
      settings["decimals"].get<int>(), settings["rssi_top_k"].get<int>());
  if (prepared["levels"].is_object()) {  // the levels style's scale, from the training split
    number_format.format.levels = prepared["levels"]["count"].get<int>();
    number_format.format.level_center = prepared["levels"]["center"].get<std::vector<double>>();
    number_format.format.level_step = prepared["levels"]["step"].get<std::vector<double>>();
  }
  std::vector<double> mean, stdev;
  for (const auto& n : prepared["normalization"]) {
    mean.push_back(n["mean"].get<double>());
    stdev.push_back(n["std"].get<double>());
  }
  const auto styles = sensortext::builtin_text_styles();
  const auto* style = sensortext::find_text_style(styles, settings["style"].get<std::string>());
  if (!style) qFatal("no style");
  const double rate_hz = prepared["rate_hz"].get<double>();
  const double source_hz = schema.sample_rate_hz > 0
                               ? schema.sample_rate_hz
                               : store->meta()["stats"].value("sample_rate_hz", 0.0);
  const std::string instruction = prepared["instruction"].get<std::string>();

  size_t checked = 0;
  for (const char* file : {"task_train.jsonl", "task_val.jsonl"}) {
    for (const auto& example : read_jsonl(project.path("data/prepared") / file)) {
      size_t index = 0;
      while (store->series()[index].id != example["series"].get<std::string>())
        ++index;
      auto raw = store->read(index);
      if (!raw) qFatal("%s", raw.error().to_string().c_str());
      // The runtime's path: units, resampling (IMU), z-scores, the window, the style, the template.
      sensortext::Series series = std::move(*raw);
      sensortext::convert_units(series.values, number_format.unit_factor);
      if (imu && (settings["resample_hz"].get<double>() > 0 || !series.time_s.empty()))
        series = sensortext::resample(series, nc, nt, source_hz, rate_hz);
      if (number_format.format.normalized) sensortext::to_zscores(series.values, mean, stdev);
      sensortext::Window window;
      window.schema = &schema;
      window.rows = example["rows"].get<size_t>();
      window.values = series.values.data() + example["start"].get<size_t>() * nc;
      window.rate_hz = rate_hz;
      const std::string prompt =
          prompt::build_prompt(instruction, style->write(window, number_format.format));
      const std::string written = example["prompt"].get<std::string>();
      if (prompt != written) {
        qWarning("series %s start %zu:\nruntime:  %s\nprepared: %s", series.id.c_str(),
                 example["start"].get<size_t>(), prompt.c_str(), written.c_str());
        return 0;
      }
      ++checked;
    }
  }
  return checked;
}

}  // namespace

class TestSensorText : public QObject {
  Q_OBJECT
 private slots:
  void promptTemplateBuildsAndSplits() {
    const auto ex = prompt::build_example("Classify.", "ax: 1 2", "wing");
    QCOMPARE(QString::fromStdString(ex.prompt),
             QString("### Instruction:\nClassify.\n### Input:\nax: 1 2\n### Response:\n"));
    QCOMPARE(QString::fromStdString(ex.response), QString("wing\n### End"));
    const auto split = prompt::split_example(prompt::full_text(ex));
    QVERIFY(split);
    QCOMPARE(QString::fromStdString(split->prompt), QString::fromStdString(ex.prompt));
    QCOMPARE(QString::fromStdString(split->response), QString::fromStdString(ex.response));
    QCOMPARE(QString::fromStdString(std::string(prompt::answer_of(ex.response))), QString("wing"));
    QCOMPARE(QString::fromStdString(std::string(prompt::answer_of("ring"))), QString("ring"));
    QVERIFY(!prompt::split_example("no template here"));
  }

  // Demo IMU: jittered 50 Hz time axis resampled to 20 Hz, z-scores from the training split.
  void runtimeTextEqualsPreparedImuText() {
    QTemporaryDir dir;
    auto registry = test::builtin_registry();
    auto project = pipeline::create_demo_project(fs::path(dir.path().toStdString()) / "imu",
                                                 pipeline::DemoKind::imu, 42, *registry);
    TINYLLM_VERIFY_OK(project);
    data::PrepareSettings settings;
    settings.resample_hz = 20;
    settings.normalize = "zscore";
    auto prepared = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(prepared);
    const size_t checked = check_runtime_text(*project, prepared->summary);
    QVERIFY2(checked > 50, std::to_string(checked).c_str());
  }

  // Demo RSSI: one fingerprint per window, strongest access points first.
  void runtimeTextEqualsPreparedRssiText() {
    QTemporaryDir dir;
    auto registry = test::builtin_registry();
    auto project = pipeline::create_demo_project(fs::path(dir.path().toStdString()) / "rssi",
                                                 pipeline::DemoKind::rssi, 42, *registry);
    TINYLLM_VERIFY_OK(project);
    data::PrepareSettings settings;
    settings.style = "timestep-rows";
    settings.rssi_top_k = 8;
    auto prepared = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(prepared);
    const size_t checked = check_runtime_text(*project, prepared->summary);
    QVERIFY2(checked > 50, std::to_string(checked).c_str());
  }

  // Magic wand in milli-g, converted to m/s^2, compact rows at the source's 25 Hz.
  void runtimeTextEqualsPreparedMagicWandText() {
    TINYLLM_REQUIRE_DATASETS();
    QTemporaryDir dir;
    auto registry = test::builtin_registry();
    auto project =
        project::create_project(fs::path(dir.path().toStdString()) / "wand", "Wand", "gesture");
    TINYLLM_VERIFY_OK(project);
    data::ImportRequest request;
    request.inputs = {test::magic_wand_dir() / "raw"};
    TINYLLM_VERIFY_OK(pipeline::import_source(*project, *registry, request));
    data::PrepareSettings settings;
    settings.si_units = true;
    settings.style = "timestep-rows";
    auto prepared = pipeline::prepare_data(*project, *registry, settings);
    TINYLLM_VERIFY_OK(prepared);
    const size_t checked = check_runtime_text(*project, prepared->summary);
    QVERIFY2(checked > 100, std::to_string(checked).c_str());
  }
};

QTEST_APPLESS_MAIN(TestSensorText)
#include "test_sensor_text.moc"
