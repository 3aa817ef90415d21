// tinyllm: the headless workbench. Every step the GUI offers is a subcommand here.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "base/version.h"
#include "commands.h"

namespace {

struct Group {
  const char* name;
  int (*run)(const std::vector<std::string>&);
  const char* summary;
};

constexpr Group kGroups[] = {
    {"project", tinyllm::cli::run_project_command, "create a project folder or show what it holds"},
    {"data", tinyllm::cli::run_data_command, "import, inspect and prepare sensor data (step 1)"},
    {"plugins", tinyllm::cli::run_plugins_command,
     "list importers, serializers and task templates"},
    {"tokenizer", tinyllm::cli::run_tokenizer_command,
     "train the tokenizer, write token shards (step 2)"},
    {"train", tinyllm::cli::run_train_command, "pre-train the GPT-2 model (step 2, tinyllm-train)"},
    {"finetune", tinyllm::cli::run_finetune_command,
     "fine-tune the model on the task examples (step 3, tinyllm-train)"},
    {"eval", tinyllm::cli::run_eval_command,
     "evaluate a fine-tuned model beside the baselines; write a report (step 3)"},
    {"export", tinyllm::cli::run_export_command,
     "write GGUF files (F32, F16, Q8_0, Q4_0) of a fine-tuned model (step 4)"},
    {"device", tinyllm::cli::run_device_command,
     "add, probe, list and remove the devices a model deploys to (step 5)"},
    {"deploy", tinyllm::cli::run_deploy_command,
     "install an export on one or more devices over SSH (step 5)"},
    {"remote", tinyllm::cli::run_remote_command,
     "bench, evaluate, try or serve, roll back or uninstall the model on a device (step 5)"},
    {"record", tinyllm::cli::run_record_command,
     "record a labelled take from a sensor on a device into the project (step 1)"},
    {"sample", tinyllm::cli::run_sample_command, "generate text from a trained checkpoint"},
    {"demo", tinyllm::cli::run_demo_command, "run the whole pipeline on the built-in demo project"},
};

void print_usage() {
  std::printf("usage: tinyllm <command> [options]\n\ncommands:\n");
  for (const auto& g : kGroups)
    std::printf("  %-10s %s\n", g.name, g.summary);
  std::printf(
      "\n'tinyllm <command> --help' shows the options of a command;\n"
      "'tinyllm --version [--json]' the version.\n");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    if (argc == 3 && !std::strcmp(argv[2], "--json")) {
      std::printf("{\"name\":\"tinyllm\",\"version\":\"%s\"}\n", tinyllm::kWorkbenchVersion);
      return 0;
    }
    if (argc != 2) {
      std::fprintf(stderr, "tinyllm: --version takes only --json\n");
      return 2;
    }
    std::printf("tinyllm %s\n", tinyllm::kWorkbenchVersion);
    return 0;
  }
  std::vector<std::string> rest(argv + 2, argv + argc);
  for (const auto& g : kGroups)
    if (!std::strcmp(argv[1], g.name)) return g.run(rest);
  std::fprintf(stderr, "tinyllm: unknown command '%s'\n\n", argv[1]);
  print_usage();
  return 2;
}
