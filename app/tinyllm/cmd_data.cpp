// tinyllm data detect|import|inspect|prepare
#include <cstdio>

#include "cli_args.h"
#include "cli_output.h"
#include "commands.h"
#include "data/mapping.h"
#include "pipeline/data_step.h"

namespace tinyllm::cli {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

const char* kUsage = R"(usage: tinyllm data <action> [options]

  detect FILE|DIR...            show the importer and mapping that would be used
  import --project P FILE|DIR...  import recordings as a new source of the project
  inspect --project P           sources, classes, channel ranges, cleaning report, splits
  prepare --project P           windows, splits and training text (data/prepared)

import/detect options:
  --importer ID        force an importer (see 'tinyllm plugins')
  --mapping JSON|@F    a (partial) mapping that overrides what was detected
  --set key=value      one mapping field, e.g. --set sample_rate_hz=25 --set label.value=wing
  --strict             stop at the first broken row instead of skipping and reporting it
prepare options:
  --settings JSON|@F   prepare settings; --set key=value for one, e.g. --set window_s=2
                       (docs/data.md lists them with their ranges)
all: --json for machine output; --help shows this
)";

// The request from --importer, --mapping and --set. Override keys are checked against the
// mapping keys of the CSV engine and of the mapping the importer detects by itself: an unknown key
// would be saved in the source's mapping and silently do nothing.
Result<data::ImportRequest> import_request(const Args& args, const data::PluginRegistry& registry) {
  data::ImportRequest request;
  for (const auto& p : args.positionals())
    request.inputs.emplace_back(p);
  if (request.inputs.empty()) return make_error("import", "name at least one file or folder");
  request.importer = args.get_or("importer", "");
  std::vector<std::string> importer_keys;
  if (auto detected = data::detect_import(registry, request); detected)
    for (const auto& [key, value] : detected->mapping.items())
      importer_keys.push_back(key);
  if (auto m = args.get("mapping")) {
    TINYLLM_TRY_ASSIGN(mapping, json_argument(*m, "mapping"));
    TINYLLM_TRY(data::check_mapping_keys(mapping, "--mapping", importer_keys));
    request.overrides = mapping;
  }
  for (const auto& assignment : args.all("set")) {
    json one = json::object();
    TINYLLM_TRY(apply_assignments(one, {assignment}));
    TINYLLM_TRY(data::check_mapping_keys(one, "--set " + assignment, importer_keys));
    request.overrides = data::merge_mapping(request.overrides, one);
  }
  if (args.flag("strict")) request.options.on_bad_row = data::BadRowPolicy::fail;
  return request;
}

// What detection only guessed, so that the user checks it (and overrides it in the mapping).
void print_guesses(const std::vector<data::Guess>& guesses) {
  for (const auto& g : guesses)
    std::printf("  guessed: %s (%s)\n", g.what.c_str(), g.why.c_str());
}

void print_detection(const data::Detection& d) {
  std::printf("importer: %s (confidence %d)\n", d.importer.c_str(), d.confidence);
  for (const auto& n : d.notes)
    std::printf("  - %s\n", n.c_str());
  print_guesses(d.guesses);
  std::printf("mapping: %s\n", d.mapping.dump().c_str());
}

void print_report(const json& report, size_t limit) {
  const json findings = report.value("findings", json::array());
  if (findings.empty()) {
    std::printf("cleaning: nothing to fix\n");
    return;
  }
  std::printf("cleaning report:\n");
  const json counts = report.value("counts", json::object());
  for (const auto& [kind, n] : counts.items())
    std::printf("  %-18s %llu\n", kind.c_str(), static_cast<unsigned long long>(n.get<uint64_t>()));
  // Warnings first: they are what the user may need to act on.
  size_t shown = 0;
  for (const char* severity : {"error", "warning", "info"})
    for (const auto& f : findings) {
      if (f.value("severity", "") != severity) continue;
      if (shown++ == limit) {
        std::printf("  ... (--json lists all kept findings)\n");
        return;
      }
      std::printf("  %s: %s: %s\n", severity, f.value("where", "").c_str(),
                  f.value("message", "").c_str());
    }
}

void print_stats(const json& stats, const std::vector<std::string>& classes) {
  std::printf("rows %llu, series %llu, duration %.1f s, sample rate ~%.1f Hz, missing %.1f%%\n",
              static_cast<unsigned long long>(stats.value("rows", 0ULL)),
              static_cast<unsigned long long>(stats.value("series", 0ULL)),
              stats.value("duration_s", 0.0), stats.value("sample_rate_hz", 0.0),
              100 * stats.value("missing_share", 0.0));
  std::vector<std::vector<std::string>> rows;
  for (const auto& c : classes)
    rows.push_back({c, std::to_string(stats["class_series"].value(c, 0ULL)),
                    std::to_string(stats["class_rows"].value(c, 0ULL))});
  if (!rows.empty()) print_table({"class", "series", "rows"}, rows);
  rows.clear();
  const json channels = stats.value("channels", json::array());
  for (size_t i = 0; i < channels.size(); ++i) {
    const auto& c = channels[i];
    if (channels.size() > 16 && i == 8) {
      rows.push_back({"...", "", "", "", "", ""});
      i = channels.size() - 4;
      continue;
    }
    rows.push_back({c.value("name", ""), c.value("unit", ""),
                    c.contains("min") ? format_number(c["min"].get<double>(), 2) : "-",
                    c.contains("max") ? format_number(c["max"].get<double>(), 2) : "-",
                    c.contains("mean") ? format_number(c["mean"].get<double>(), 2) : "-",
                    std::to_string(c.value("missing", 0ULL))});
  }
  print_table({"channel", "unit", "min", "max", "mean", "missing"}, rows);
}

void print_prepared(const json& p) {
  const std::string note = p.value("split_note", "");
  std::printf("task %s, split by %s%s\n", p.value("task", "").c_str(),
              p.value("split_by", "").c_str(), note.empty() ? "" : (" (" + note + ")").c_str());
  for (const auto& w : p.value("warnings", json::array()))
    if (w.is_string() && w.get<std::string>() != note)
      std::printf("warning: %s\n", w.get<std::string>().c_str());
  std::vector<std::vector<std::string>> rows;
  for (const char* s : data::kSplitNames) {
    const auto& sp = p["splits"][s];
    const auto& len = sp["example_chars"];
    std::string classes;
    for (const auto& [k, v] : sp["per_class"].items())
      classes += k + ":" + std::to_string(v.get<uint64_t>()) + " ";
    rows.push_back({s, std::to_string(sp.value("examples", 0ULL)),
                    std::to_string(sp.value("documents", 0ULL)),
                    std::to_string(sp["subjects"].size()), format_number(len.value("mean", 0.0), 0),
                    format_number(len.value("p95", 0.0), 0),
                    format_number(len.value("max", 0.0), 0), classes});
  }
  print_table({"split", "examples", "docs", "people", "chars mean", "p95", "max", "per class"},
              rows);
}

int detect(const Args& args) {
  auto registry = make_registry();
  if (!registry) return fail(registry.error());
  auto request = import_request(args, **registry);
  if (!request) return fail(request.error());
  auto d = data::detect_import(**registry, *request);
  if (!d) return fail(d.error());
  if (args.flag("json")) {
    print_json({{"importer", d->importer},
                {"confidence", d->confidence},
                {"notes", d->notes},
                {"guesses", data::to_json(d->guesses)},
                {"mapping", d->mapping},
                {"columns", d->columns},
                {"rows", d->rows}});
    return 0;
  }
  print_detection(*d);
  std::vector<std::vector<std::string>> rows(
      d->rows.begin(), d->rows.begin() + long(std::min<size_t>(d->rows.size(), 5)));
  if (!d->columns.empty() && d->columns.size() <= 16) print_table(d->columns, rows);
  return 0;
}

int import(const Args& args) {
  auto project = project::open_project(args.get_or("project", "."));
  if (!project) return fail(project.error());
  auto registry = make_registry();
  if (!registry) return fail(registry.error());
  auto request = import_request(args, **registry);
  if (!request) return fail(request.error());
  const bool quiet = args.flag("json");
  request->options.progress = [quiet](uint64_t done, uint64_t total) {
    if (!quiet && total > (64u << 20))
      std::fprintf(stderr, "\rreading %.0f%%", 100.0 * double(done) / double(total));
    return true;
  };
  auto outcome = pipeline::import_source(*project, **registry, *request);
  if (!outcome) return fail(outcome.error());
  const auto& d = outcome->details;
  json stats = data::to_json(d.stats, d.schema);
  if (args.flag("json")) {
    print_json({{"source", outcome->source.id},
                {"importer", d.importer},
                {"mapping", d.mapping},
                {"classes", d.classes},
                {"stats", stats},
                {"report", data::to_json(d.report)},
                {"guesses", data::to_json(d.guesses)}});
    return 0;
  }
  std::printf("imported %zu file(s) as %s with %s\n", d.files.size(), outcome->source.id.c_str(),
              d.importer.c_str());
  print_guesses(d.guesses);
  print_stats(stats, d.classes);
  print_report(data::to_json(d.report), 12);
  return 0;
}

int inspect(const Args& args) {
  auto project = project::open_project(args.get_or("project", "."));
  if (!project) return fail(project.error());
  auto info = pipeline::inspect_data(*project);
  if (!info) return fail(info.error());
  if (args.flag("json")) {
    print_json(*info);
    return 0;
  }
  std::printf("project %s (task: %s)\n", project->name.c_str(), project->task.c_str());
  if ((*info)["sources"].empty())
    std::printf("no data imported yet: tinyllm data import --project P FILES\n");
  for (const auto& s : (*info)["sources"]) {
    std::printf("\nsource %s (%s, %zu file(s))\n", s.value("id", "").c_str(),
                s.value("importer", "").c_str(), s["files"].size());
    print_stats(s["stats"], s["classes"].get<std::vector<std::string>>());
    print_report(s["report"], 8);
  }
  if (info->contains("prepared")) {
    std::printf("\nprepared data%s:\n",
                info->value("prepared_stale", false) ? " (STALE: sources changed)" : "");
    print_prepared((*info)["prepared"]);
  }
  return 0;
}

int prepare(const Args& args) {
  auto project = project::open_project(args.get_or("project", "."));
  if (!project) return fail(project.error());
  json settings_json = project->processing.value("prepare", json::object());
  if (auto s = args.get("settings")) {
    auto j = json_argument(*s, "settings");
    if (!j) return fail(j.error());
    settings_json.merge_patch(*j);
  }
  if (!settings_json.contains("task") && !pipeline::task_template_of(*project).empty())
    settings_json["task"] = pipeline::task_template_of(*project);
  auto settings = data::prepare_settings_from_json(settings_json);
  if (!settings) return fail(settings.error());
  for (const auto& assignment : args.all("set"))
    if (auto st = data::apply_prepare_override(*settings, assignment); !st) return fail(st.error());
  if (auto st = data::check_split_fractions(settings->split); !st) return fail(st.error());
  auto registry = make_registry();
  if (!registry) return fail(registry.error());
  auto result = pipeline::prepare_data(*project, **registry, *settings);
  if (!result) return fail(result.error());
  if (args.flag("json")) {
    print_json({{"summary", result->summary}, {"first_example", result->first_task_example}});
    return 0;
  }
  print_prepared(result->summary);
  std::printf("\nfirst training example:\n%s\n", result->first_task_example.c_str());
  std::printf("\nwritten to %s\n", project->path("data/prepared").string().c_str());
  return 0;
}

}  // namespace

int run_data_command(const std::vector<std::string>& argv) {
  if (argv.empty() || wants_help(argv)) {
    std::printf("%s", kUsage);
    return argv.empty() ? 2 : 0;
  }
  const std::string action = argv[0];
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  ArgSpec spec{{"project", "importer", "mapping", "settings"}, {"json", "strict"}, {"set"}};
  auto args = Args::parse(rest, spec);
  if (!args) return fail(args.error());
  if (action == "detect") return detect(*args);
  if (action == "import") return import(*args);
  if (action == "inspect") return inspect(*args);
  if (action == "prepare") return prepare(*args);
  std::fprintf(stderr, "tinyllm data: unknown action '%s'\n\n%s", action.c_str(), kUsage);
  return 2;
}

}  // namespace tinyllm::cli
