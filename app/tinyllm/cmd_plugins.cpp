// tinyllm plugins: what can import data and which tasks exist.
#include <cstdio>

#include "builtin.h"
#include "cli_args.h"
#include "cli_output.h"
#include "commands.h"
#include "data/serialize.h"

namespace tinyllm::cli {
using nlohmann::json;

int run_plugins_command(const std::vector<std::string>& argv) {
  auto args = Args::parse(argv, {{}, {"json"}, {}});
  if (!args) return fail(args.error());
  if (args->help()) {
    std::printf(
        "usage: tinyllm plugins [--json]\n\n"
        "  lists the importers, task templates and text styles, built in and from the user's\n"
        "  plugin folder\n");
    return 0;
  }
  auto registry = make_registry();
  if (!registry) return fail(registry.error());
  auto styles = data::builtin_text_styles();
  if (args->flag("json")) {
    json out = {{"plugin_folder", plugins::user_plugin_folder().string()}};
    for (const auto* i : (*registry)->importers())
      out["importers"].push_back({{"id", i->id()}, {"description", i->description()}});
    for (const auto* t : (*registry)->task_templates())
      out["tasks"].push_back({{"id", t->id()}, {"description", t->description()}});
    for (const auto& s : styles)
      out["text_styles"].push_back({{"id", s->id()}, {"description", s->description()}});
    print_json(out);
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto* i : (*registry)->importers())
    rows.push_back({"importer", i->id(), i->description()});
  for (const auto* t : (*registry)->task_templates())
    rows.push_back({"task", t->id(), t->description()});
  for (const auto& s : styles)
    rows.push_back({"text style", s->id(), s->description()});
  print_table({"kind", "id", "what it does"}, rows);
  std::printf("\nuser plugins are loaded from %s\n", plugins::user_plugin_folder().c_str());
  return 0;
}

}  // namespace tinyllm::cli
