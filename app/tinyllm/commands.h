// The tinyllm subcommand groups. Each lives in its own cmd_<group>.cpp, parses its arguments with
// cli::Args, calls core and prints a human table or, with --json, machine output.
#pragma once

#include <string>
#include <vector>

namespace tinyllm::cli {

int run_project_command(const std::vector<std::string>& args);
int run_data_command(const std::vector<std::string>& args);
int run_plugins_command(const std::vector<std::string>& args);
int run_demo_command(const std::vector<std::string>& args);
int run_tokenizer_command(const std::vector<std::string>& args);
int run_train_command(const std::vector<std::string>& args);
int run_sample_command(const std::vector<std::string>& args);
int run_finetune_command(const std::vector<std::string>& args);
int run_eval_command(const std::vector<std::string>& args);
int run_export_command(const std::vector<std::string>& args);
int run_device_command(const std::vector<std::string>& args);
int run_deploy_command(const std::vector<std::string>& args);
int run_remote_command(const std::vector<std::string>& args);
int run_record_command(const std::vector<std::string>& args);

}  // namespace tinyllm::cli
