#include "pipeline/data_step.h"

#include "base/files.h"
#include "data/demo.h"
#include "data/store.h"

namespace tinyllm::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

std::string task_template_of(const project::Project& project) {
  const auto* task = project::find_task(project.task);
  return task ? task->template_id : "";
}

int remove_stale_temp_files(const project::Project& project) {
  // Anything a dead process left before this moment; a live writer's files are never touched.
  return project::remove_stale_temp_files(project.root, fs::file_time_type::clock::now());
}

Result<ImportOutcome> import_source(project::Project& project, const data::PluginRegistry& registry,
                                    const data::ImportRequest& request) {
  remove_stale_temp_files(project);
  ImportOutcome out;
  out.source.id = project.next_source_id();
  out.source.store = "data/imported/" + out.source.id + ".tls";
  const fs::path store = project.path(out.source.store);
  TINYLLM_TRY_ASSIGN(details, data::import_to_store(registry, request, store));
  if (!project.sources.empty()) {
    // One project, one kind of sensor: a prepared dataset needs one set of channels.
    TINYLLM_TRY_ASSIGN(first, data::SeriesStore::open(project.path(project.sources.front().store)));
    if (first.schema().kind != details.schema.kind) {
      std::error_code ec;
      fs::remove(store, ec);
      return make_error(request.inputs.front().string(),
                        "this is " + std::string(data::to_string(details.schema.kind)) +
                            " data but the project holds " +
                            std::string(data::to_string(first.schema().kind)) +
                            " data; make a separate project for it");
    }
  }
  out.source.importer = details.importer;
  out.source.kind = std::string(data::to_string(details.schema.kind));
  out.source.mapping = details.mapping;
  out.source.rows = details.stats.rows;
  out.source.series = details.stats.series;
  out.source.imported = utc_now_iso8601();
  for (const auto& f : details.files)
    out.source.files.push_back(
        {project::stored_path(project.root, fs::absolute(f.path)), f.sha256, f.bytes});
  project.sources.push_back(out.source);
  if (project.task.empty())
    if (const auto* task = project::task_for_sensor(out.source.kind)) project.task = task->task;
  if (auto saved = project::save_project(project); !saved) {
    project.sources.pop_back();
    std::error_code ec;
    fs::remove(store, ec);
    return saved.error();
  }
  out.details = std::move(details);
  return out;
}

Result<json> inspect_data(const project::Project& project) {
  json sources = json::array();
  for (const auto& src : project.sources) {
    TINYLLM_TRY_ASSIGN(store, data::SeriesStore::open(project.path(src.store)));
    json files = json::array();
    for (const auto& f : src.files)
      files.push_back(f.path);
    json series = json::array();
    for (const auto& s : store.series())
      series.push_back(
          {{"id", s.id}, {"subject", s.subject}, {"rows", s.rows}, {"origin", s.origin}});
    sources.push_back({{"id", src.id},
                       {"importer", src.importer},
                       {"files", files},
                       {"schema", data::schema_to_json(store.schema())},
                       {"classes", store.classes()},
                       {"stats", store.meta().value("stats", json::object())},
                       {"report", store.meta().value("report", json::object())},
                       {"mapping", src.mapping},
                       {"series", series}});
  }
  json out = {{"project", project.name}, {"task", project.task}, {"sources", sources}};
  if (const auto* prepared = project.find_artifact("prepared")) {
    auto text = read_file(project.path(prepared->path) / "prepared.json");
    if (text) {
      out["prepared"] = json::parse(*text, nullptr, false);
      out["prepared_stale"] = project.is_stale(*prepared);
    }
  }
  return out;
}

Result<data::PrepareSettings> saved_prepare_settings(const project::Project& project) {
  auto it = project.processing.find("prepare");
  if (it != project.processing.end()) return data::prepare_settings_from_json(*it);
  data::PrepareSettings s;
  s.task = task_template_of(project);
  return s;
}

Result<data::PrepareResult> prepare_data(project::Project& project,
                                         const data::PluginRegistry& registry,
                                         const data::PrepareSettings& settings) {
  remove_stale_temp_files(project);
  std::vector<data::PrepareInput> inputs;
  for (const auto& s : project.sources)
    inputs.push_back({s.id, project.path(s.store)});
  const std::string rel = "data/prepared";
  TINYLLM_TRY_ASSIGN(result, data::prepare_dataset(registry, inputs, settings, project.path(rel)));
  std::string all;
  for (const char* f : {"prepared.json", "pretrain_train.jsonl", "pretrain_val.jsonl",
                        "task_train.jsonl", "task_val.jsonl", "task_test.jsonl"}) {
    TINYLLM_TRY_ASSIGN(sha, sha256_file(project.path(rel) / f));
    all += sha;
  }
  project.processing["prepare"] = data::to_json(settings);
  project::Artifact artifact;
  artifact.id = "prepared";
  artifact.kind = "prepared-data";
  artifact.path = rel;
  artifact.sha256 = sha256_hex(all);
  for (const auto& s : project.sources)
    artifact.inputs.push_back(s.id);
  artifact.settings = data::to_json(settings);
  project.put_artifact(std::move(artifact));
  TINYLLM_TRY(project::save_project(project));
  return result;
}

Result<project::Project> create_demo_project(const fs::path& root, DemoKind kind, uint64_t seed,
                                             const data::PluginRegistry& registry) {
  const bool imu = kind == DemoKind::imu;
  TINYLLM_TRY_ASSIGN(project,
                     project::create_project(root, imu ? "Demo gestures" : "Demo indoor zones",
                                             project::task_for_sensor(imu ? "imu" : "rssi")->task));
  const fs::path raw = project.path("data/raw");
  data::ImportRequest request;
  if (imu) {
    data::DemoImuOptions options;
    options.seed = seed;
    TINYLLM_TRY_ASSIGN(files, data::write_demo_imu(raw, options));
    request.inputs.assign(files.begin(), files.end());
    // One file per person (imu_p01.csv, ...) and no person column: the file name names the
    // person, so the splits hold whole people out as they would for a user's own recordings.
    request.overrides = {{"subject", {{"from_filename", "imu_(p[0-9]+)"}}}};
  } else {
    data::DemoRssiOptions options;
    options.seed = seed;
    TINYLLM_TRY_ASSIGN(file, data::write_demo_rssi(raw, options));
    request.inputs = {file};
  }
  TINYLLM_TRY(import_source(project, registry, request));
  data::PrepareSettings settings;
  if (imu) {
    settings.resample_hz = 25;  // halves the prompt length of the 50 Hz recordings
    settings.window_s = 2.0;
    settings.stride_s = 1.0;
  }
  settings.task = task_template_of(project);
  project.processing["prepare"] = data::to_json(settings);
  TINYLLM_TRY(project::save_project(project));
  return project;
}

}  // namespace tinyllm::pipeline
