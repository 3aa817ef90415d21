// tinyllm project new|info
#include <cstdio>

#include "cli_args.h"
#include "cli_output.h"
#include "commands.h"
#include "pipeline/data_step.h"
#include "pipeline/steps.h"
#include "pipeline/tokenizer_step.h"

namespace tinyllm::cli {
using nlohmann::json;

namespace {
const char* kUsage = R"(usage: tinyllm project <action> [options]

  new DIR [--name NAME] [--task gesture|localization]   create an empty project folder
  new DIR --demo imu|rssi                                create the built-in demo project
  info [DIR] [--json]                                    what the project holds and what is stale
)";
}

int run_project_command(const std::vector<std::string>& argv) {
  if (argv.empty() || wants_help(argv)) {
    std::printf("%s", kUsage);
    return argv.empty() ? 2 : 0;
  }
  auto args = Args::parse({argv.begin() + 1, argv.end()},
                          {{"name", "task", "project", "demo", "seed"}, {"json"}, {}});
  if (!args) return fail(args.error());
  const std::string dir =
      !args->positionals().empty() ? args->positionals()[0] : args->get_or("project", ".");
  if (argv[0] == "new") {
    if (args->positionals().empty())
      return fail(make_error("project new", "name the folder to create"));
    if (auto demo = args->get("demo")) {
      if (*demo != "imu" && *demo != "rssi")
        return fail(make_error("--demo", "must be imu or rssi"));
      auto seed = args->number_or("seed", 42);
      if (!seed) return fail(seed.error());
      auto registry = make_registry();
      if (!registry) return fail(registry.error());
      auto p = pipeline::create_demo_project(
          dir, *demo == "imu" ? pipeline::DemoKind::imu : pipeline::DemoKind::rssi, uint64_t(*seed),
          **registry);
      if (!p) return fail(p.error());
      std::printf("created the demo project '%s' in %s\n", p->name.c_str(),
                  p->root.string().c_str());
      return 0;
    }
    const std::string name = args->get_or("name", std::filesystem::path(dir).filename().string());
    auto p = project::create_project(dir, name, args->get_or("task", ""));
    if (!p) return fail(p.error());
    std::printf("created project '%s' in %s\n", p->name.c_str(), p->root.string().c_str());
    return 0;
  }
  if (argv[0] == "info") {
    auto p = project::open_project(dir);
    if (!p) return fail(p.error());
    if (args->flag("json")) {
      json j = project::to_json(*p);
      for (auto& a : j["artifacts"]) {
        a["stale"] = p->is_stale(*p->find_artifact(a["id"].get<std::string>()));
        if (a["id"] == pipeline::kTokenizerArtifact)
          if (auto checked = pipeline::check_tokenizer(*p); !checked)
            a["damaged"] = checked.error().to_string();
      }
      j["steps"] = json::array();
      for (const auto& step : pipeline::steps()) {
        const auto state = step.state(*p);
        j["steps"].push_back({{"id", step.key},
                              {"title", step.title},
                              {"state", pipeline::to_string(state.status)},
                              {"reason", state.reason},
                              {"needs", step.needs}});
      }
      print_json(j);
      return 0;
    }
    std::printf("project %s (task: %s, created %s)\n", p->name.c_str(),
                p->task.empty() ? "not chosen" : p->task.c_str(), p->created.c_str());
    std::vector<std::vector<std::string>> rows;
    for (const auto& s : p->sources)
      rows.push_back({s.id, s.kind, s.importer, std::to_string(s.files.size()),
                      std::to_string(s.series), std::to_string(s.rows)});
    std::printf("\nsources:\n");
    print_table({"id", "kind", "importer", "files", "series", "rows"}, rows);
    rows.clear();
    for (const auto& a : p->artifacts) {
      std::string inputs;
      for (const auto& i : a.inputs)
        inputs += (inputs.empty() ? "" : ",") + i;
      const bool damaged = a.id == pipeline::kTokenizerArtifact && !pipeline::check_tokenizer(*p);
      rows.push_back({a.id, a.kind, a.path, inputs,
                      damaged          ? "DAMAGED"
                      : p->is_stale(a) ? "STALE"
                                       : "ok",
                      a.created});
    }
    std::printf("\nartifacts:\n");
    print_table({"id", "kind", "path", "made from", "state", "created"}, rows);
    rows.clear();
    for (const auto& step : pipeline::steps()) {
      const auto state = step.state(*p);
      rows.push_back({step.title, pipeline::to_string(state.status), state.reason});
    }
    std::printf("\nsteps:\n");
    print_table({"step", "state", "why"}, rows);
    return 0;
  }
  std::fprintf(stderr, "tinyllm project: unknown action '%s'\n\n%s", argv[0].c_str(), kUsage);
  return 2;
}

}  // namespace tinyllm::cli
