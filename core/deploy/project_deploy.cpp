#include "deploy/project_deploy.h"

#include <cctype>

#include "base/files.h"
#include "deploy/runtimes.h"

namespace tinyllm::deploy {
namespace fs = std::filesystem;
using nlohmann::json;

Result<ExportChoice> choose_export(const project::Project& project, const std::string& type,
                                   const std::string& gguf_path) {
  ExportChoice choice;
  const fs::path test = project.path("data/prepared/task_test.jsonl");
  std::error_code ec;
  if (fs::is_regular_file(test, ec)) choice.test_examples = test;
  if (!gguf_path.empty()) {
    choice.gguf = fs::absolute(gguf_path);
    if (!fs::is_regular_file(choice.gguf, ec)) return make_error(gguf_path, "no such GGUF file");
    choice.type = "";
    return choice;
  }
  auto lower = [](std::string text) {
    for (auto& c : text)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
  };
  const std::string wanted = lower(type.empty() ? "q8_0" : type);
  const project::Artifact* newest = nullptr;
  for (const auto& a : project.artifacts) {
    if (a.kind != "gguf" || lower(a.settings.value("type", "")) != wanted) continue;
    if (!newest || a.created >= newest->created) newest = &a;
  }
  if (!newest)
    return make_error(project.root.string(),
                      "no " + wanted + " export in this project: run `tinyllm export --project " +
                          project.root.string() + " --type " + wanted + "` first");
  choice.gguf = project.path(newest->path);
  choice.type = wanted;
  choice.artifact_id = newest->id;
  if (!fs::is_regular_file(choice.gguf, ec))
    return make_error(choice.gguf.string(),
                      "the export is recorded but its file is gone: export "
                      "again");
  return choice;
}

Result<Package> package_for(const project::Project& project, const DeviceProfile& device,
                            const ExportChoice& choice) {
  TINYLLM_TRY_ASSIGN(arch, runtime_arch_for(device));
  TINYLLM_TRY_ASSIGN(runtime, find_runtime(arch));
  return make_package(project.name, choice.gguf, runtime, arch, choice.test_examples);
}

Result<json> installs(const fs::path& project_root, const std::string& device_name) {
  const fs::path file = device_folder(project_root, device_name) / "installs.json";
  std::error_code ec;
  if (!fs::exists(file, ec)) return json::array();
  TINYLLM_TRY_ASSIGN(text, read_file(file));
  json list = json::parse(text, nullptr, false);
  if (list.is_discarded() || !list.is_array())
    return make_error(file.string(), "not a JSON array of installs");
  return list;
}

Status record_install(const fs::path& project_root, const DeviceProfile& device,
                      const ExportChoice& choice, const Package& package,
                      const DeployOutcome& outcome) {
  TINYLLM_TRY_ASSIGN(list, installs(project_root, device.name));
  std::string gguf_sha;
  for (const auto& f : package.files)
    if (f.name == "model.gguf") gguf_sha = f.sha256;
  list.push_back({{"time", utc_now_iso8601()},
                  {"device", device.name},
                  {"model", package.model},
                  {"version", outcome.version},
                  {"previous", outcome.previous},
                  {"type", choice.type},
                  {"artifact", choice.artifact_id},
                  {"gguf", project::stored_path(project_root, choice.gguf)},
                  {"gguf_sha256", gguf_sha},
                  {"runtime_arch", package.runtime_arch},
                  {"remote_dir", outcome.model_dir + "/" + outcome.version},
                  {"bytes_sent", outcome.bytes_sent},
                  {"unchanged", outcome.unchanged}});
  const fs::path folder = device_folder(project_root, device.name);
  std::error_code ec;
  fs::create_directories(folder, ec);
  return write_file_atomic(folder / "installs.json", list.dump(2) + "\n");
}

}  // namespace tinyllm::deploy
