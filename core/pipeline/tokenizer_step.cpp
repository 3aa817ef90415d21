#include "pipeline/tokenizer_step.h"

#include "base/files.h"

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

}  // namespace tinyllm::pipeline
