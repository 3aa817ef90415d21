#include "pipeline/pretrain_step.h"

#include <algorithm>

#include "base/files.h"
#include "pipeline/tokenizer_step.h"

namespace tinyllm::pipeline {
namespace fs = std::filesystem;
using nlohmann::json;

std::string checkpoint_artifact_id(const std::string& run_id, const RunFamily& family) {
  return family.artifact_prefix + run_id;
}

bool run_has_checkpoints(const fs::path& run_folder) {
  std::error_code ec;
  if (fs::exists(run_folder / "latest.json", ec) || fs::exists(run_folder / "best", ec))
    return true;
  for (const auto& e : fs::directory_iterator(run_folder, ec))
    if (e.path().filename().string().rfind("step-", 0) == 0) return true;
  return false;
}

std::string next_run_id(const project::Project& project, const RunFamily& family) {
  for (int n = 1;; ++n) {
    const std::string id = family.id_prefix + std::to_string(n);
    std::error_code ec;
    if (!fs::exists(project.path(family.folder) / id, ec) &&
        !project.find_artifact(checkpoint_artifact_id(id, family)))
      return id;
  }
}

std::optional<std::string> latest_run_id(const project::Project& project, const RunFamily& family) {
  const project::Artifact* latest = nullptr;
  for (const auto& a : project.artifacts)
    if (a.kind == family.kind && (!latest || a.created >= latest->created)) latest = &a;
  if (!latest) return std::nullopt;
  const std::string from_id = latest->id.substr(checkpoint_artifact_id("", family).size());
  return latest->settings.is_object() ? latest->settings.value("run_id", from_id) : from_id;
}

Result<std::string> choose_run(const project::Project& project,
                               const std::optional<std::string>& requested, bool resume,
                               const RunFamily& family) {
  if (resume) {
    if (requested) return *requested;
    if (auto latest = latest_run_id(project, family)) return *latest;
    return make_error(project.path(family.folder).string(),
                      "there is no run to resume yet; start one first");
  }
  if (!requested) return next_run_id(project, family);
  if (run_has_checkpoints(project.path(family.folder) / *requested))
    return make_error(
        project.path(family.folder).string(),
        "run '" + *requested +
            "' already holds trained checkpoints; resume it (--resume) or start a new run "
            "(without a run name, or --run " +
            next_run_id(project, family) + "). Nothing was changed.");
  return *requested;
}

Status record_checkpoint(const fs::path& project_root, const std::string& run_id,
                         const fs::path& checkpoint, json train_config, const RunOutcome& outcome,
                         const fs::path& tokenizer, const RunFamily& family) {
  TINYLLM_TRY_ASSIGN(p, project::open_project(project_root));
  const fs::path weights = project::resolve_path(p.root, checkpoint.string()) / "model.safetensors";
  TINYLLM_TRY_ASSIGN(sha, sha256_file(weights));
  for (const char* key : {"out_dir", "data_dir", "init_from", "examples_dir"})
    if (train_config.contains(key) && train_config[key].is_string())
      train_config[key] = project::stored_path(p.root, train_config[key].get<std::string>());
  project::Artifact a;
  a.id = checkpoint_artifact_id(run_id, family);
  a.kind = family.kind;
  a.path = project::stored_path(p.root, checkpoint);
  a.sha256 = sha;
  a.created = utc_now_iso8601();
  a.settings = std::move(train_config);
  a.outcome = {{"reason", outcome.reason}, {"step", outcome.step}, {"steps", outcome.steps}};
  if (outcome.best_val_loss) a.outcome["best_val_loss"] = *outcome.best_val_loss;
  if (outcome.best_val_accuracy) a.outcome["best_val_accuracy"] = *outcome.best_val_accuracy;
  if (family.kind != std::string(kCheckpointKind)) {
    if (p.find_artifact("prepared")) a.inputs.push_back("prepared");
    const std::string init = a.settings.value("init_from", "");
    if (!init.empty())
      if (const auto* from = run_of_checkpoint(p, project::resolve_path(p.root, init)))
        a.inputs.push_back(from->id);
  }
  if (!tokenizer.empty()) {
    const fs::path model = project::resolve_path(p.root, tokenizer.string());
    TINYLLM_TRY_ASSIGN(tokenizer_sha, sha256_file(model));
    a.outcome["tokenizer"] = {{"path", project::stored_path(p.root, model)},
                              {"sha256", tokenizer_sha}};
    if (p.find_artifact(kTokenizerArtifact)) a.inputs.push_back(kTokenizerArtifact);
  }
  p.put_artifact(std::move(a));
  return project::save_project(p);
}

const project::Artifact* run_of_checkpoint(const project::Project& p, const fs::path& checkpoint) {
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::absolute(checkpoint), ec);
  for (const auto& a : p.artifacts) {
    if (a.kind != kCheckpointKind && a.kind != kFinetuneRuns.kind) continue;
    const fs::path run_folder =
        fs::weakly_canonical(project::resolve_path(p.root, a.path), ec).parent_path();
    if (run_folder == dir.parent_path()) return &a;
  }
  return nullptr;
}

Result<std::optional<fs::path>> find_recorded_tokenizer(const fs::path& checkpoint,
                                                        std::string* why_none) {
  auto none = [&](std::string why) -> Result<std::optional<fs::path>> {
    if (why_none) *why_none = std::move(why);
    return std::optional<fs::path>();
  };
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::absolute(checkpoint), ec);
  fs::path root;
  for (fs::path at = dir; !at.empty(); at = at.parent_path()) {
    if (fs::exists(at / project::kManifestName, ec)) {
      root = at;
      break;
    }
    if (at == at.parent_path()) break;
  }
  if (root.empty())
    return none("no tokenizer is recorded for this checkpoint (it is not inside a project)");
  TINYLLM_TRY_ASSIGN(p, project::open_project(root));
  const project::Artifact* run = run_of_checkpoint(p, dir);
  if (!run) return none("the project does not record the run of this checkpoint");
  if (!run->outcome.contains("tokenizer") || !run->outcome["tokenizer"].is_object())
    return none("run '" + run->id +
                "' was trained without a tokenizer (token ids only), so a text prompt cannot be "
                "encoded");
  const std::string hint = "; pass --tokenizer FILE to choose one";
  const json& t = run->outcome["tokenizer"];
  const fs::path model = project::resolve_path(p.root, t.value("path", ""));
  if (!fs::exists(model, ec))
    return make_error(model.string(),
                      "the tokenizer this checkpoint was trained with is missing" + hint);
  TINYLLM_TRY_ASSIGN(sha, sha256_file(model));
  if (sha != t.value("sha256", ""))
    return make_error(model.string(),
                      "the tokenizer file changed since this checkpoint was trained (damaged or "
                      "replaced: it would give other ids); retrain, or" +
                          hint.substr(1));
  return std::optional<fs::path>(model);
}

Result<fs::path> recorded_tokenizer(const fs::path& checkpoint) {
  std::string why_none;
  TINYLLM_TRY_ASSIGN(found, find_recorded_tokenizer(checkpoint, &why_none));
  if (!found)
    return make_error(checkpoint.string(), why_none + "; pass --tokenizer FILE to choose one");
  return *found;
}

}  // namespace tinyllm::pipeline
