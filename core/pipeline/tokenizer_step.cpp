#include "pipeline/tokenizer_step.h"

#include <filesystem>

#include "base/files.h"
#include "text/tokenizer.h"

namespace tinyllm::pipeline {
using nlohmann::json;

namespace {
// The model and every shard: training reads them all, so a change to any makes later steps stale.
std::string shards_checksum(const json& summary) {
  std::string all = summary.value("model_sha256", "");
  for (const char* split : {"train", "val"})
    for (const auto& s : summary["shards"][split])
      all += s.value("checksum", "");
  return sha256_hex(all);
}
}  // namespace

Status record_tokenizer(project::Project& project, const json& settings, const json& summary) {
  project.processing["tokenizer"] = settings;
  project::Artifact artifact;
  artifact.id = kTokenizerArtifact;
  artifact.kind = "tokenizer";
  artifact.path = kTokenizerFolder;
  artifact.sha256 = shards_checksum(summary);
  artifact.inputs = {"prepared"};
  artifact.settings = settings;
  artifact.outcome = {{"vocab_size", summary.value("vocab_size", 0)},
                      {"model", kTokenizerModel},
                      {"model_sha256", summary.value("model_sha256", "")}};
  project.put_artifact(std::move(artifact));
  return project::save_project(project);
}

Status check_tokenizer(const project::Project& project) {
  const project::Artifact* artifact = project.find_artifact(kTokenizerArtifact);
  if (!artifact) return make_error(kTokenizerModel, "no tokenizer is recorded in the project");
  const std::string model = artifact->outcome.is_object()
                                ? artifact->outcome.value("model", std::string(kTokenizerModel))
                                : std::string(kTokenizerModel);
  const std::filesystem::path file = project::resolve_path(project.root, model);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    return make_error(model, "the tokenizer file is missing: train the tokenizer again");
  TINYLLM_TRY_ASSIGN(sha, sha256_file(file));
  const std::string recorded =
      artifact->outcome.is_object() ? artifact->outcome.value("model_sha256", "") : "";
  // Projects recorded before the checksum was kept have none: the parse and shards still count.
  if (!recorded.empty() && sha != recorded)
    return make_error(model,
                      "the tokenizer file's bytes are not the ones the tokenizer step recorded "
                      "(damaged or replaced): train the tokenizer again");
  return text::verify_tokenizer_file(file);
}

}  // namespace tinyllm::pipeline
