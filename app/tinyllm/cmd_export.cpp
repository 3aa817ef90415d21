// tinyllm export: step 4's files. The best fine-tuned checkpoint (or one given) with the project's
// tokenizer and task recipe becomes one GGUF file per type in exports/, recorded in project.json
// as "gguf-<run>-<type>" artifacts (inputs: the checkpoint's run, the tokenizer, the prepared
// data), so a later fine-tune or data change marks them stale. core/gguf/export.h does the work.
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_args.h"
#include "cli_output.h"
#include "commands.h"
#include "data/store.h"
#include "gguf/export.h"
#include "model/config.h"
#include "pipeline/finetune_step.h"
#include "pipeline/tokenizer_step.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kExportUsage =
    R"(usage: tinyllm export --project P [--checkpoint DIR | --run ID] [--type f32,f16,q8_0,q4_0] [--json]

  --project P        project folder: reads the tokenizer and data/prepared, writes exports/
  --run ID           the fine-tuning run to export (default: the latest); its best checkpoint
  --checkpoint DIR   export this checkpoint folder instead (model.json + model.safetensors)
  --type LIST        comma-separated: f32, f16, q8_0, q4_0 (default: all four)
  --json             one JSON line per file instead of the table

Writes exports/<run>-<type>.gguf (GGUF v3, arch gpt2: llama.cpp loads it too; docs/gguf.md).
1-D tensors and position_embd stay F32; a q4_0 file keeps output.weight in Q8_0.
)";

Result<std::vector<gguf::TensorType>> parse_types(const std::string& list) {
  std::vector<gguf::TensorType> types;
  std::stringstream in(list);
  std::string item;
  while (std::getline(in, item, ',')) {
    const auto type = gguf::tensor_type_from_string(item);
    if (!type) return make_error("--type", "'" + item + "' is not one of f32, f16, q8_0, q4_0");
    for (auto t : types)
      if (t == *type) return make_error("--type", "'" + item + "' is given twice");
    types.push_back(*type);
  }
  if (types.empty()) return make_error("--type", "name at least one type");
  return types;
}

// The recording schema of the prepared data's first source, with its sample rate.
Result<sensortext::Schema> source_schema(const project::Project& project, const json& prepared) {
  const auto sources = prepared.value("sources", json::array());
  const std::string id = sources.empty() ? "" : sources[0].get<std::string>();
  for (const auto& s : project.sources) {
    if (!id.empty() && s.id != id) continue;
    TINYLLM_TRY_ASSIGN(store, data::SeriesStore::open(project.path(s.store)));
    sensortext::Schema schema = store.schema();
    if (schema.sample_rate_hz <= 0 && store.meta().contains("stats"))
      schema.sample_rate_hz = store.meta()["stats"].value("sample_rate_hz", 0.0);
    return schema;
  }
  return make_error(project.root.string(), "no imported source '" + id + "' for the prepared data");
}

void record_exports(project::Project& project, const fs::path& checkpoint, const std::string& run,
                    const std::vector<gguf::ExportedFile>& files) {
  for (const auto& f : files) {
    project::Artifact a;
    a.id = "gguf-" + run + "-" + f.path.stem().string().substr(run.size() + 1);
    a.kind = "gguf";
    a.path = project::stored_path(project.root, f.path);
    a.sha256 = f.sha256;
    a.created = utc_now_iso8601();
    a.settings = {{"type", gguf::to_string(f.type)},
                  {"checkpoint", project::stored_path(project.root, checkpoint)}};
    a.outcome = {{"bytes", f.file_bytes}, {"bits_per_weight", f.bits_per_weight}};
    if (const auto* from = pipeline::run_of_checkpoint(project, checkpoint))
      a.inputs.push_back(from->id);
    for (const char* id : {pipeline::kTokenizerArtifact, "prepared"})
      if (project.find_artifact(id)) a.inputs.push_back(id);
    project.put_artifact(std::move(a));
  }
}

}  // namespace

int run_export_command(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::printf("%s", kExportUsage);
    return 0;
  }
  auto args = Args::parse(argv, {{"project", "checkpoint", "run", "type"}, {"json"}, {}});
  if (!args) return fail(args.error());
  if (!args->positionals().empty())
    return fail(make_error(args->positionals()[0], "unexpected argument (see --help)"));
  const auto root = args->get("project");
  if (!root) return fail(make_error("--project", "required (see --help)"));
  auto types = parse_types(args->get_or("type", "f32,f16,q8_0,q4_0"));
  if (!types) return fail(types.error());
  auto project = project::open_project(*root);
  if (!project) return fail(project.error());

  // Which checkpoint, and the run name the files are called after.
  fs::path checkpoint;
  std::string run;
  if (const auto given = args->get("checkpoint")) {
    checkpoint = fs::absolute(*given).lexically_normal();
    if (checkpoint.filename().empty()) checkpoint = checkpoint.parent_path();  // "best/"
    run = checkpoint.parent_path().filename().string();
  } else {
    const auto latest = args->get("run")
                            ? args->get("run")
                            : pipeline::latest_run_id(*project, pipeline::kFinetuneRuns);
    if (!latest)
      return fail(make_error(project->root.string(),
                             "nothing fine-tuned yet: run `tinyllm finetune` first (or pass "
                             "--checkpoint DIR)"));
    run = *latest;
    auto dir = pipeline::finetune_checkpoint(*project, run);
    if (!dir) return fail(dir.error());
    checkpoint = *dir;
  }

  gguf::ExportInputs inputs;
  inputs.checkpoint = checkpoint;
  inputs.tokenizer = project->path(pipeline::kTokenizerModel);
  inputs.name = project->name + " " + run;
  inputs.checkpoint_stored = project::stored_path(project->root, checkpoint);
  auto prepared = pipeline::read_prepared_summary(project->path(pipeline::kPreparedFolder));
  if (!prepared) return fail(prepared.error());
  inputs.prepared = *prepared;
  auto schema = source_schema(*project, *prepared);
  if (!schema) return fail(schema.error());
  inputs.schema = std::move(*schema);

  auto files = gguf::export_gguf(inputs, *types, project->path("exports"), run);
  if (!files) return fail(files.error());
  record_exports(*project, checkpoint, run, *files);
  if (auto saved = project::save_project(*project); !saved) return fail(saved.error());

  if (args->flag("json")) {
    for (const auto& f : *files)
      std::printf("%s\n", json{{"path", project::stored_path(project->root, f.path)},
                               {"type", gguf::to_string(f.type)},
                               {"bytes", f.file_bytes},
                               {"weights", f.weights},
                               {"bits_per_weight", f.bits_per_weight},
                               {"sha256", f.sha256}}
                              .dump()
                              .c_str());
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& f : *files)
    rows.push_back({gguf::to_string(f.type), model::format_bytes(int64_t(f.file_bytes)),
                    format_number(f.bits_per_weight, 2),
                    project::stored_path(project->root, f.path)});
  std::printf("exported %s (%s)\n", project::stored_path(project->root, checkpoint).c_str(),
              model::format_count(int64_t(files->front().weights)).c_str());
  print_table({"type", "size", "bits/weight", "file"}, rows);
  return 0;
}

}  // namespace tinyllm::cli
