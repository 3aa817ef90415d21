// tinyllm export: step 4's files. The best fine-tuned checkpoint (or one given) with the project's
// tokenizer and task recipe becomes one GGUF file per type in exports/, recorded in project.json
// as "gguf-<run>-<type>" artifacts (inputs: the checkpoint's run, the tokenizer, the prepared
// data), so a later fine-tune or data change marks them stale. core/gguf/export.h does the work.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "base/files.h"
#include "cli_args.h"
#include "cli_output.h"
#include "cli_runtime.h"
#include "commands.h"
#include "data/store.h"
#include "gguf/export.h"
#include "gguf/gguf.h"
#include "gguf/keys.h"
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
  --no-report        skip the quantization report
  --json             progress lines, one JSON line per file, then the report (docs/gguf.md)

Then the quantization report (reports/quantization-<run>.json): each file's size and bits per
weight, perplexity on the validation text (data/prepared/pretrain_val.jsonl), accuracy on the test
split and prompt/generation tokens/s, all measured by the edge runtime on this computer, and the
change against F32 (exported now or before).

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

// The three measurements of each variant, in the order they are made and reported.
constexpr const char* kMeasurements[] = {"accuracy", "perplexity", "speed"};
constexpr const char* kAllTypes[] = {"f32", "f16", "q8_0", "q4_0"};

// With --json, one line per file written and per measurement made, each with how many of all
// are done (docs/gguf.md), so that a progress bar moves through the whole command.
class Progress {
 public:
  Progress(bool on, int total) : on_(on), total_(total) {}
  void start() const { print(json{{"stage", "export"}}); }
  void step(const std::string& stage, const std::string& type, const std::string& what = "") {
    ++done_;
    json e = {{"stage", stage}, {"type", type}};
    if (!what.empty()) e["what"] = what;
    print(e);
  }

 private:
  void print(json e) const {
    if (!on_) return;
    e["event"] = "progress";
    e["done"] = done_;
    e["total"] = total_;
    std::printf("%s\n", e.dump().c_str());
    std::fflush(stdout);  // a pipe buffers: the reader must see each line as it happens
  }
  bool on_;
  int total_;
  int done_ = 0;
};

// The types the report of `run` will hold: those exported now and those already in exports/.
size_t report_variant_count(const project::Project& project, const std::string& run,
                            const std::vector<gguf::TensorType>& types) {
  size_t n = 0;
  for (const char* type : kAllTypes) {
    std::error_code ec;
    const bool exported =
        fs::is_regular_file(project.path("exports") / (run + "-" + type + ".gguf"), ec);
    const auto parsed = gguf::tensor_type_from_string(type);
    const bool requested = parsed && std::find(types.begin(), types.end(), *parsed) != types.end();
    if (exported || requested) ++n;
  }
  return n;
}

struct Measured {
  std::string type;
  fs::path file;
  uint64_t bytes = 0;
  double bits_per_weight = 0;
  json eval, perplexity, bench;
};

// What the edge runtime measures of one file on this computer.
// `measured_one` is called after each of kMeasurements, made or not.
Result<Measured> measure(const project::Project& project, const fs::path& file,
                         const std::string& type, uint64_t bytes, double bits_per_weight,
                         const std::function<void(const char* what)>& measured_one) {
  Measured m{type, file, bytes, bits_per_weight, json(), json(), json()};
  const fs::path prepared = project.path(pipeline::kPreparedFolder);
  // A measurement that cannot be made (an example longer than the context, no validation text)
  // is reported in its place; it never fails the export.
  auto measured = [](Result<json> r) { return r ? *r : json{{"error", r.error().to_string()}}; };
  if (fs::exists(prepared / "task_test.jsonl"))
    m.eval = measured(run_local_runtime({"eval", "--model", file.string(), "--file",
                                         (prepared / "task_test.jsonl").string(), "--json"}));
  measured_one(kMeasurements[0]);
  if (fs::exists(prepared / "pretrain_val.jsonl"))
    m.perplexity = measured(run_local_runtime({"perplexity", "--model", file.string(), "--file",
                                               (prepared / "pretrain_val.jsonl").string(),
                                               "--max-docs", "100", "--json"}));
  measured_one(kMeasurements[1]);
  // Half the context for the prompt (at most 128 tokens), so small test models can be measured;
  // the best of as many runs as fit in half a second (at least 2): a small model's runs take
  // milliseconds, and the best of 2 moved by 2x between reports.
  uint32_t n_ctx = 256;
  if (auto parsed = gguf::File::open(file); parsed)
    if (auto c = parsed->get_u32(gguf::keys::kContextLength); c) n_ctx = *c;
  m.bench =
      measured(run_local_runtime({"bench", "--model", file.string(), "--prompt-tokens",
                                  std::to_string(std::min<uint32_t>(128, n_ctx / 2)),
                                  "--gen-tokens", std::to_string(std::min<uint32_t>(32, n_ctx / 4)),
                                  "--repeat", "2", "--min-seconds", "0.5", "--json"}));
  measured_one(kMeasurements[2]);
  return m;
}

double number_of(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : NAN;
}

// Every exported type of `run` measured, F32 first, written to reports/quantization-<run>.json.
Result<json> quantization_report(const project::Project& project, const std::string& run,
                                 Progress& progress) {
  std::vector<Measured> rows;
  for (const char* type : kAllTypes) {
    const fs::path file = project.path("exports") / (run + "-" + type + ".gguf");
    std::error_code ec;
    if (!fs::is_regular_file(file, ec)) continue;
    auto parsed = gguf::File::open(file);
    double bpw = 0;
    if (parsed) {
      uint64_t weights = 0, tensor_bytes = 0;
      for (const auto& t : parsed->tensors()) {
        uint64_t n = 1;
        for (auto d : t.ne)
          n *= d;
        weights += n;
        tensor_bytes += parsed->tensor_data(t).size();
      }
      bpw = weights ? 8.0 * double(tensor_bytes) / double(weights) : 0;
    }
    TINYLLM_TRY_ASSIGN(m, measure(project, file, type, fs::file_size(file), bpw,
                                  [&](const char* what) { progress.step("measure", type, what); }));
    rows.push_back(std::move(m));
  }
  const Measured* f32 = nullptr;
  for (const auto& r : rows)
    if (r.type == "f32") f32 = &r;
  json variants = json::array();
  for (const auto& r : rows) {
    json v = {{"type", r.type},
              {"file", project::stored_path(project.root, r.file)},
              {"bytes", r.bytes},
              {"bits_per_weight", r.bits_per_weight},
              {"perplexity", number_of(r.perplexity, "perplexity")},
              {"accuracy", number_of(r.eval, "accuracy")},
              {"mean_latency_ms", number_of(r.eval, "mean_latency_ms")},
              {"prompt_tokens_per_s", number_of(r.bench, "prompt_tokens_per_s")},
              {"gen_tokens_per_s", number_of(r.bench, "gen_tokens_per_s")},
              {"peak_rss_mib", number_of(r.bench, "peak_rss_mib")}};
    json problems = json::object();
    for (const auto& [name, part] :
         {std::pair{"accuracy", &r.eval}, {"perplexity", &r.perplexity}, {"speed", &r.bench}})
      if (part->is_object() && part->contains("error")) problems[name] = (*part)["error"];
    if (!problems.empty()) v["not_measured"] = problems;
    if (f32) {
      v["vs_f32"] = {{"size", double(r.bytes) / double(f32->bytes)},
                     {"perplexity", number_of(r.perplexity, "perplexity") /
                                        number_of(f32->perplexity, "perplexity")},
                     {"accuracy_points",
                      100.0 * (number_of(r.eval, "accuracy") - number_of(f32->eval, "accuracy"))},
                     {"prompt_speed", number_of(r.bench, "prompt_tokens_per_s") /
                                          number_of(f32->bench, "prompt_tokens_per_s")},
                     {"gen_speed", number_of(r.bench, "gen_tokens_per_s") /
                                       number_of(f32->bench, "gen_tokens_per_s")}};
    }
    variants.push_back(v);
  }
  // NaN (nothing measured) is not JSON: null instead.
  for (auto& v : variants)
    for (auto& [key, value] : v.items()) {
      if (value.is_number_float() && std::isnan(value.get<double>())) value = nullptr;
      if (value.is_object())
        for (auto& [k2, v2] : value.items())
          if (v2.is_number_float() && !std::isfinite(v2.get<double>())) v2 = nullptr;
    }
  json report = {{"run", run},
                 {"measured", utc_now_iso8601()},
                 {"where", "this computer, tinyllm-run (the edge runtime)"},
                 {"variants", variants}};
  const fs::path out = project.path("reports") / ("quantization-" + run + ".json");
  std::error_code ec;
  fs::create_directories(out.parent_path(), ec);
  TINYLLM_TRY(write_file_atomic(out, report.dump(2) + "\n"));
  return report;
}

void print_report(const json& report) {
  std::vector<std::vector<std::string>> rows;
  auto cell = [](const json& v, int decimals, double scale = 1, const char* suffix = "") {
    return v.is_number() ? format_number(v.get<double>() * scale, decimals) + suffix
                         : std::string("-");
  };
  for (const auto& v : report["variants"]) {
    const json vs = v.value("vs_f32", json::object());
    rows.push_back(
        {v["type"].get<std::string>(),
         model::format_bytes(int64_t(v["bytes"].get<uint64_t>())) +
             (vs.contains("size") ? " (" + cell(vs["size"], 2, 1, "x") + ")" : ""),
         cell(v["bits_per_weight"], 2), cell(v["perplexity"], 2),
         cell(v["accuracy"], 1, 100, "%") +
             (vs.contains("accuracy_points") && vs["accuracy_points"].is_number()
                  ? " (" + cell(vs["accuracy_points"], 1, 1, " pt") + ")"
                  : ""),
         cell(v["prompt_tokens_per_s"], 0) +
             (vs.contains("prompt_speed") ? " (" + cell(vs["prompt_speed"], 2, 1, "x") + ")" : ""),
         cell(v["gen_tokens_per_s"], 0) +
             (vs.contains("gen_speed") ? " (" + cell(vs["gen_speed"], 2, 1, "x") + ")" : "")});
  }
  std::printf("\nquantization report (this computer, tinyllm-run; in brackets: against F32)\n");
  print_table(
      {"type", "size", "bits/weight", "perplexity", "test accuracy", "prompt tok/s", "gen tok/s"},
      rows);
}

}  // namespace

int run_export_command(const std::vector<std::string>& argv) {
  if (wants_help(argv)) {
    std::printf("%s", kExportUsage);
    return 0;
  }
  auto args =
      Args::parse(argv, {{"project", "checkpoint", "run", "type"}, {"json", "no-report"}, {}});
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

  const bool as_json = args->flag("json");
  const bool with_report = !args->flag("no-report");
  const size_t measurements =
      with_report ? std::size(kMeasurements) * report_variant_count(*project, run, *types) : 0;
  Progress progress(as_json, int(types->size() + measurements));
  progress.start();
  auto files = gguf::export_gguf(
      inputs, *types, project->path("exports"), run, [&](const gguf::ExportedFile& f) {
        progress.step("export", f.path.stem().string().substr(run.size() + 1));  // "q8_0"
      });
  if (!files) return fail(files.error());
  record_exports(*project, checkpoint, run, *files);
  if (auto saved = project::save_project(*project); !saved) return fail(saved.error());

  if (as_json) {
    for (const auto& f : *files)
      std::printf("%s\n", json{{"path", project::stored_path(project->root, f.path)},
                               {"type", gguf::to_string(f.type)},
                               {"bytes", f.file_bytes},
                               {"weights", f.weights},
                               {"bits_per_weight", f.bits_per_weight},
                               {"sha256", f.sha256}}
                              .dump()
                              .c_str());
    if (with_report) {
      auto report = quantization_report(*project, run, progress);
      if (!report) return fail(report.error());
      std::printf("%s\n", json{{"report", *report}}.dump().c_str());
    }
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
  if (with_report) {
    auto report = quantization_report(*project, run, progress);
    if (!report) return fail(report.error());
    print_report(*report);
    std::printf("report: reports/quantization-%s.json\n", run.c_str());
  }
  return 0;
}

}  // namespace tinyllm::cli
