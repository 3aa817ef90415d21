#include "deploy/remote_run.h"

#include <algorithm>

#include "base/files.h"
#include "deploy/install.h"
#include "deploy/shell.h"

namespace tinyllm::deploy {
namespace fs = std::filesystem;
using nlohmann::json;

Result<InstalledVersion> current_version(SshSession& session, const DeviceProfile& device,
                                         const std::string& model) {
  InstalledVersion installed;
  installed.model_dir = remote_model_dir(device, safe_name(model));
  const std::string manifest_path = installed.model_dir + "/current/manifest.json";
  TINYLLM_TRY_ASSIGN(manifest_text, session.read_small_file(manifest_path));
  if (!manifest_text)
    return make_error(session.label(),
                      "model '" + model + "' is not installed on this device: deploy it first");
  const json manifest = json::parse(*manifest_text, nullptr, false);
  if (manifest.is_discarded())
    return make_error(session.label() + ":" + manifest_path, "not valid JSON");
  installed.version = manifest.value("version", "");
  installed.gguf_sha256 = manifest.value("files", json::object())
                              .value("model.gguf", json::object())
                              .value("sha256", "");
  return installed;
}

Result<RunRecord> run_on_device(SshSession& session, const DeviceProfile& device,
                                const std::string& model, const std::vector<std::string>& args,
                                const ExecIo& io) {
  TINYLLM_TRY_ASSIGN(installed, current_version(session, device, model));
  const std::string& model_dir = installed.model_dir;
  RunRecord record;
  record.device = device.name;
  record.model = model;
  record.version = installed.version;
  record.gguf_sha256 = installed.gguf_sha256;
  record.mode = args.empty() ? "" : args[0];
  record.time = utc_now_iso8601();
  std::vector<std::string> full = args;
  full.push_back("--json");
  TINYLLM_TRY_ASSIGN(run, session.exec(runtime_command(device, model_dir + "/current", full), io));
  if (run.exit_status != 0) {
    std::string why = run.err;
    while (!why.empty() && why.back() == '\n')
      why.pop_back();
    return make_error(session.label(), "tinyllm-run " + record.mode +
                                           " failed on the device (exit " +
                                           std::to_string(run.exit_status) + "): " + why);
  }
  // The JSON object is the last non-empty line of stdout.
  std::string out = run.out;
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r'))
    out.pop_back();
  const auto newline = out.rfind('\n');
  record.result =
      json::parse(newline == std::string::npos ? out : out.substr(newline + 1), nullptr, false);
  if (record.result.is_discarded())
    return make_error(session.label(), "tinyllm-run " + record.mode + " printed no JSON: " + out);
  return record;
}

json to_json(const RunRecord& r) {
  return {{"device", r.device},   {"model", r.model},
          {"version", r.version}, {"gguf_sha256", r.gguf_sha256},
          {"mode", r.mode},       {"time", r.time},
          {"result", r.result}};
}

Status save_run(const fs::path& project_root, const RunRecord& r) {
  const fs::path dir = device_folder(project_root, r.device) / "results" / safe_name(r.version);
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error(dir.string(), "cannot create: " + ec.message());
  return write_file_atomic(dir / (safe_name(r.mode) + "-" + safe_name(r.time) + ".json"),
                           to_json(r).dump(2) + "\n");
}

Result<std::vector<RunRecord>> load_runs(const fs::path& project_root) {
  std::vector<RunRecord> runs;
  const fs::path root = project_root / "deployments";
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return runs;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const fs::path& p = it->path();
    if (p.extension() != ".json" || p.parent_path().parent_path().filename() != "results") continue;
    TINYLLM_TRY_ASSIGN(text, read_file(p));
    const json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return make_error(p.string(), "not a result file (not valid JSON)");
    RunRecord r;
    r.device = j.value("device", "");
    r.model = j.value("model", "");
    r.version = j.value("version", "");
    r.gguf_sha256 = j.value("gguf_sha256", "");
    r.mode = j.value("mode", "");
    r.time = j.value("time", "");
    r.result = j.value("result", json::object());
    runs.push_back(std::move(r));
  }
  std::sort(runs.begin(), runs.end(),
            [](const RunRecord& a, const RunRecord& b) { return a.time < b.time; });
  return runs;
}

}  // namespace tinyllm::deploy
