#include "train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <algorithm>

#include "base/files.h"
#include "base/version.h"
#include "model/config_json.h"
#include "safetensors/safetensors.h"

namespace tinyllm::train {
namespace fs = std::filesystem;
using nlohmann::json;
namespace {

void fsync_folder(const fs::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

Result<json> read_json(const fs::path& path) {
  TINYLLM_TRY_ASSIGN(text, read_file(path));
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) return make_error(path.string(), "not valid JSON (corrupt checkpoint?)");
  return j;
}

// The tensors go to the host before writing (a no-op on CPU).
torch::Tensor host(const torch::Tensor& t) {
  return t.detach().to(torch::kCPU).contiguous();
}

}  // namespace

std::string step_folder_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "step-%08lld", static_cast<long long>(step));
  return buf;
}

json to_json(const TrainState& s) {
  json j{{"step", s.step},
         {"tokens_seen", s.tokens_seen},
         {"adam_steps", s.adam_steps},
         {"best_val_loss", s.best_val_loss},
         {"evals_since_best", s.evals_since_best},
         {"val_accuracy", s.val_accuracy},
         {"best_val_accuracy", s.best_val_accuracy},
         {"val_error", s.val_error},
         {"best_val_error", s.best_val_error},
         {"loss_mean", s.loss_mean},
         {"loss_mean_count", s.loss_mean_count},
         {"bad_steps", s.bad_steps},
         {"val_loss", s.val_loss},
         {"seed", s.seed}};
  if (!s.base_sha256.empty()) j["base_sha256"] = s.base_sha256;
  return j;
}

Result<TrainState> state_from_json(const json& j, const std::string& where) {
  TrainState s;
  try {
    s.step = j.at("step").get<int64_t>();
    s.tokens_seen = j.at("tokens_seen").get<int64_t>();
    s.adam_steps = j.at("adam_steps").get<int64_t>();
    s.best_val_loss = j.at("best_val_loss").get<double>();
    s.evals_since_best = j.at("evals_since_best").get<int64_t>();
    s.val_accuracy = j.value("val_accuracy", -1.0);
    s.best_val_accuracy = j.value("best_val_accuracy", -1.0);
    s.val_error = j.value("val_error", -1.0);
    s.best_val_error = j.value("best_val_error", 1e30);
    s.loss_mean = j.at("loss_mean").get<double>();
    s.loss_mean_count = j.at("loss_mean_count").get<int64_t>();
    s.bad_steps = j.at("bad_steps").get<int64_t>();
    s.val_loss = j.at("val_loss").get<double>();
    s.seed = j.at("seed").get<uint64_t>();
    s.base_sha256 = j.value("base_sha256", "");
  } catch (const json::exception& e) {
    return make_error(where, std::string("training state: ") + e.what());
  }
  return s;
}

Status write_checkpoint(const fs::path& dir, Gpt2& model, AdamW* optimizer,
                        const json& train_config, const TrainState& state,
                        const HalfWrittenObserver& half_written) {
  const fs::path parent = dir.parent_path();
  const fs::path temp =
      parent / ("." + dir.filename().string() + ".tmp-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(temp, ec);
  fs::create_directories(temp, ec);
  if (ec) return make_error(temp.string(), "cannot create the checkpoint folder: " + ec.message());

  // Weights, in checkpoint-name order with HF shapes.
  std::vector<torch::Tensor> keep;  // owns the host copies until written
  safetensors::SafetensorsWriter weights;
  weights.set_metadata("format", "pt");
  for (const auto& spec : model::gpt2_tensors(model.config())) {
    keep.push_back(host(model.merged(*model.find(spec.name))));
    weights.add(spec.name, safetensors::StDtype::F32, spec.shape, keep.back().data_ptr<float>());
  }
  TINYLLM_TRY(weights.write(temp / "model.safetensors"));
  if (half_written) half_written(temp);
  json files = json::object();
  TINYLLM_TRY_ASSIGN(weights_sha, sha256_file(temp / "model.safetensors"));
  files["model.safetensors"] = weights_sha;

  if (model.has_lora()) {
    // The adapters themselves, which resume needs (model.safetensors holds them merged).
    safetensors::SafetensorsWriter adapters;
    const auto& lora = model.lora();
    adapters.set_metadata("rank", std::to_string(lora.rank));
    adapters.set_metadata("alpha", json(lora.alpha).dump());
    for (const auto& p : model.lora_parameters()) {
      keep.push_back(host(p.value));
      adapters.add(p.spec.name, safetensors::StDtype::F32, p.spec.shape,
                   keep.back().data_ptr<float>());
    }
    TINYLLM_TRY(adapters.write(temp / "lora.safetensors"));
    TINYLLM_TRY_ASSIGN(adapters_sha, sha256_file(temp / "lora.safetensors"));
    files["lora.safetensors"] = adapters_sha;
  }
  if (optimizer) {
    safetensors::SafetensorsWriter moments;
    auto m = host(optimizer->exp_avg()), v = host(optimizer->exp_avg_sq());
    int64_t offset = 0;
    for (const auto& p : model.trainable_parameters()) {  // buffer order
      const int64_t n = p.spec.numel();
      moments.add("exp_avg." + p.spec.name, safetensors::StDtype::F32, p.spec.shape,
                  m.data_ptr<float>() + offset);
      moments.add("exp_avg_sq." + p.spec.name, safetensors::StDtype::F32, p.spec.shape,
                  v.data_ptr<float>() + offset);
      offset += n;
    }
    TINYLLM_TRY(moments.write(temp / "optimizer.safetensors"));
    TINYLLM_TRY_ASSIGN(moments_sha, sha256_file(temp / "optimizer.safetensors"));
    files["optimizer.safetensors"] = moments_sha;
  }
  TINYLLM_TRY(write_file_atomic(temp / "config.json",
                                model::hf_config_json(model.config()).dump(2) + "\n"));
  TINYLLM_TRY(
      write_file_atomic(temp / "model.json", model::to_json(model.config()).dump(2) + "\n"));
  TINYLLM_TRY(write_file_atomic(temp / "train.json", train_config.dump(2) + "\n"));
  json state_json = to_json(state);
  state_json["files"] = files;
  state_json["written"] = utc_now_iso8601();
  state_json["workbench_version"] = kWorkbenchVersion;
  TINYLLM_TRY(write_file_atomic(temp / "state.json", state_json.dump(2) + "\n"));
  fsync_folder(temp);

  // Swap into place: an existing folder of the same name moves aside first.
  const fs::path old =
      parent / ("." + dir.filename().string() + ".old-" + std::to_string(::getpid()));
  if (fs::exists(dir, ec)) {
    fs::rename(dir, old, ec);
    if (ec) return make_error(dir.string(), "cannot replace the checkpoint: " + ec.message());
  }
  fs::rename(temp, dir, ec);
  if (ec) return make_error(dir.string(), "cannot move the checkpoint into place: " + ec.message());
  fsync_folder(parent);
  fs::remove_all(old, ec);
  return {};
}

Status write_latest(const fs::path& run, const std::string& checkpoint, int64_t step) {
  return write_file_atomic(run / "latest.json",
                           json{{"checkpoint", checkpoint}, {"step", step}}.dump() + "\n");
}

Result<fs::path> latest_checkpoint(const fs::path& run) {
  const fs::path path = run / "latest.json";
  std::error_code ec;
  if (!fs::exists(path, ec))
    return make_error(run.string(), "no checkpoint to resume from (latest.json is missing)");
  TINYLLM_TRY_ASSIGN(j, read_json(path));
  if (!j.is_object() || !j.contains("checkpoint") || !j["checkpoint"].is_string())
    return make_error(path.string(), "expected {\"checkpoint\": \"step-...\"}");
  return run / j["checkpoint"].get<std::string>();
}

void prune_checkpoints(const fs::path& run, int keep) {
  std::error_code ec;
  std::string latest;
  if (auto l = latest_checkpoint(run); l) latest = l->filename().string();
  std::vector<fs::path> steps;
  std::vector<fs::path> stale;  // temporary folders of interrupted writes
  for (const auto& e : fs::directory_iterator(run, ec)) {
    const std::string name = e.path().filename().string();
    if (!e.is_directory()) continue;
    if (name.rfind("step-", 0) == 0) steps.push_back(e.path());
    if (name.rfind(".", 0) == 0 && name.find(".tmp-") != std::string::npos)
      stale.push_back(e.path());
  }
  std::sort(steps.begin(), steps.end());
  const int64_t excess = int64_t(steps.size()) - std::max(1, keep);
  for (int64_t i = 0; i < excess; ++i)
    if (steps[size_t(i)].filename() != latest) fs::remove_all(steps[size_t(i)], ec);
  for (const auto& s : stale)
    fs::remove_all(s, ec);
}

Result<CheckpointInfo> read_checkpoint_info(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return make_error(dir.string(), "no checkpoint folder here");
  CheckpointInfo info;
  TINYLLM_TRY_ASSIGN(model_json, read_json(dir / "model.json"));
  TINYLLM_TRY_ASSIGN(m, model::config_from_json(model_json, (dir / "model.json").string()));
  info.model = m;
  TINYLLM_TRY_ASSIGN(train_json, read_json(dir / "train.json"));
  info.train_config = train_json;
  TINYLLM_TRY_ASSIGN(state_json, read_json(dir / "state.json"));
  TINYLLM_TRY_ASSIGN(state, state_from_json(state_json, (dir / "state.json").string()));
  info.state = state;
  return info;
}

Status load_checkpoint(const fs::path& dir, Gpt2& model, AdamW* optimizer) {
  TINYLLM_TRY_ASSIGN(state_json, read_json(dir / "state.json"));
  // Checksums first: a flipped bit anywhere is reported as corruption, not as odd weights.
  auto check = [&](const std::string& file) -> Status {
    const json files = state_json.value("files", json::object());
    if (!files.contains(file))
      return make_error((dir / "state.json").string(), "has no checksum for " + file);
    TINYLLM_TRY_ASSIGN(sha, sha256_file(dir / file));
    if (sha != files[file].get<std::string>())
      return make_error((dir / file).string(),
                        "checksum mismatch: the file is corrupt or was changed after writing "
                        "(expected " +
                            files[file].get<std::string>().substr(0, 12) + "..., got " +
                            sha.substr(0, 12) + "...)");
    return {};
  };
  // A model with adapters takes them from lora.safetensors: its frozen weights are the base
  // run's, loaded before the adapters were added (model.safetensors here holds them merged).
  const std::string file = model.has_lora() ? "lora.safetensors" : "model.safetensors";
  if (model.has_lora() && !fs::exists(dir / file))
    return make_error(dir.string(),
                      "has no LoRA adapters (lora.safetensors): it is not a "
                      "checkpoint of this LoRA run");
  TINYLLM_TRY(check(file));
  TINYLLM_TRY_ASSIGN(weights, safetensors::SafetensorsFile::open(dir / file));
  torch::NoGradGuard no_grad;
  for (const auto& p : model.has_lora() ? model.lora_parameters() : model.parameters()) {
    auto buffer = torch::empty(p.spec.shape, torch::kFloat32);
    TINYLLM_TRY(weights.read_expected(p.spec.name, safetensors::StDtype::F32, p.spec.shape,
                                      buffer.data_ptr<float>()));
    p.value.detach().copy_(buffer);
  }
  if (!optimizer) return {};
  TINYLLM_TRY(check("optimizer.safetensors"));
  TINYLLM_TRY_ASSIGN(moments, safetensors::SafetensorsFile::open(dir / "optimizer.safetensors"));
  int64_t offset = 0;
  for (const auto& p : model.trainable_parameters()) {
    const int64_t n = p.spec.numel();
    for (auto [prefix, target] : {std::pair{"exp_avg.", &optimizer->exp_avg()},
                                  std::pair{"exp_avg_sq.", &optimizer->exp_avg_sq()}}) {
      auto buffer = torch::empty(p.spec.shape, torch::kFloat32);
      TINYLLM_TRY(moments.read_expected(prefix + p.spec.name, safetensors::StDtype::F32,
                                        p.spec.shape, buffer.data_ptr<float>()));
      target->narrow(0, offset, n).copy_(buffer.view({n}));
    }
    offset += n;
  }
  TINYLLM_TRY_ASSIGN(state, state_from_json(state_json, (dir / "state.json").string()));
  optimizer->set_steps_taken(state.adam_steps);
  return {};
}

}  // namespace tinyllm::train
