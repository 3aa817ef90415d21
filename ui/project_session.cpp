#include "project_session.h"

#include "builtin.h"

#include <filesystem>
#include "pipeline/data_step.h"

namespace tinyllm::ui {

QString step_state_text(StepState s) {
  switch (s) {
    case StepState::unavailable:
      return QObject::tr("not available yet");
    case StepState::blocked:
      return QObject::tr("needs an earlier step");
    case StepState::ready:
      return QObject::tr("ready");
    case StepState::running:
      return QObject::tr("running");
    case StepState::done:
      return QObject::tr("done");
    case StepState::stale:
      return QObject::tr("stale: an input changed");
  }
  return {};
}

QString step_title(Step step) {
  static const char* kTitles[] = {QT_TR_NOOP("Data"), QT_TR_NOOP("Pre-train"),
                                  QT_TR_NOOP("Fine-tune"), QT_TR_NOOP("Quantize"),
                                  QT_TR_NOOP("Deploy")};
  return QObject::tr(kTitles[int(step)]);
}

ProjectSession::ProjectSession(QObject* parent)
    : QObject(parent),
      registry_(std::make_unique<data::PluginRegistry>()),
      data_info_(nlohmann::json::object()) {
  plugins::register_builtin_plugins(*registry_);
  (void)registry_->load_plugins_from(plugins::user_plugin_folder());
}

ProjectSession::~ProjectSession() = default;

std::optional<QString> ProjectSession::open(const QString& folder) {
  auto p = project::open_project(folder.toStdString());
  if (!p) return QString::fromStdString(p.error().to_string());
  project_ = std::move(*p);
  reload();
  return std::nullopt;
}

void ProjectSession::close() {
  project_.reset();
  data_info_ = nlohmann::json::object();
  emit changed();
}

QString ProjectSession::folder() const {
  return project_ ? QString::fromStdString(project_->root.string()) : QString();
}

void ProjectSession::reload() {
  if (!project_) return;
  auto p = project::open_project(project_->root);
  if (!p) {
    emit loadFailed(QString::fromStdString(p.error().to_string()));
    return;
  }
  project_ = std::move(*p);
  auto info = pipeline::inspect_data(*project_);
  if (info) {
    data_info_ = std::move(*info);
  } else {
    data_info_ = nlohmann::json::object();
    emit loadFailed(QString::fromStdString(info.error().to_string()));
  }
  emit changed();
}

void ProjectSession::set_running(Step step, bool running) {
  running_step_ = running ? int(step) : -1;
  emit changed();
}

StepState ProjectSession::state(Step step) const {
  if (!project_) return StepState::blocked;
  if (running_step_ == int(step)) return StepState::running;
  const auto* prepared = project_->find_artifact("prepared");
  switch (step) {
    case Step::data:
      if (project_->sources.empty()) return StepState::ready;
      if (!prepared) return StepState::ready;
      return project_->is_stale(*prepared) ? StepState::stale : StepState::done;
    case Step::pretrain: {
      if (!prepared) return StepState::blocked;
      const auto* tokenizer = project_->find_artifact("tokenizer");
      if (tokenizer && project_->is_stale(*tokenizer)) return StepState::stale;
      std::error_code ec;
      for (const auto& run :
           std::filesystem::directory_iterator(project_->root / "checkpoints", ec))
        if (std::filesystem::exists(run.path() / "latest.json")) return StepState::done;
      return StepState::ready;
    }
    default:
      return StepState::unavailable;
  }
}

QString ProjectSession::requirement(Step step) const {
  switch (step) {
    case Step::data:
      return tr("Import recordings, then prepare training text.");
    case Step::pretrain:
      return tr(
          "Needs prepared training text from the Data step. Train a tokenizer, pick a model "
          "size, then watch the loss fall.");
    case Step::finetune:
      return tr("Needs a pre-trained model. Not in this version yet.");
    case Step::quantize:
      return tr("Needs a fine-tuned model. Not in this version yet.");
    case Step::deploy:
      return tr(
          "Needs a quantized model and a Raspberry Pi reachable over SSH. Not in this "
          "version yet.");
  }
  return {};
}

}  // namespace tinyllm::ui
