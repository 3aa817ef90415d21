#include "project_session.h"

#include <QTimer>

#include "builtin.h"
#include "pipeline/data_step.h"
#include "pipeline/steps.h"

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
    case StepState::paused:
      return QObject::tr("paused");
    case StepState::done:
      return QObject::tr("done");
    case StepState::stale:
      return QObject::tr("stale: an input changed");
    case StepState::attention:
      return QObject::tr("needs attention");
  }
  return {};
}

QString step_title(Step step) {
  return QObject::tr(pipeline::step_info(pipeline::StepId(int(step))).title);
}

ProjectSession::ProjectSession(QObject* parent)
    : QObject(parent),
      registry_(std::make_unique<data::PluginRegistry>()),
      data_info_(nlohmann::json::object()) {
  plugins::register_builtin_plugins(*registry_);
  const auto plugins = registry_->load_plugins_from(plugins::user_plugin_folder());
  for (const auto& error : plugins.failed)
    plugin_errors_ << tr("Plugin not loaded: %1").arg(QString::fromStdString(error.to_string()));
  // Said once, after the window has connected to loadFailed; the other plugins work.
  if (!plugin_errors_.isEmpty())
    QTimer::singleShot(0, this,
                       [this] { emit loadFailed(plugin_errors_.join(QLatin1Char('\n'))); });
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
  paused_ = false;
  // A finished job has recorded its artifacts in project.json: the states come from there.
  if (!running && project_) {
    reload();
    return;
  }
  emit changed();
}

void ProjectSession::set_paused(Step step, bool paused) {
  if (running_step_ != int(step) || paused_ == paused) return;
  paused_ = paused;
  emit changed();
}

StepState ProjectSession::state(Step step) const {
  if (!project_) return StepState::blocked;
  if (running_step_ == int(step)) return paused_ ? StepState::paused : StepState::running;
  switch (pipeline::step_state(*project_, pipeline::StepId(int(step))).status) {
    case pipeline::StepStatus::not_available:
      return StepState::unavailable;
    case pipeline::StepStatus::needs_earlier_step:
      return StepState::blocked;
    case pipeline::StepStatus::ready:
      return StepState::ready;
    case pipeline::StepStatus::done:
      return StepState::done;
    case pipeline::StepStatus::stale:
      return StepState::stale;
    case pipeline::StepStatus::needs_attention:
      return StepState::attention;
  }
  return StepState::unavailable;
}

QString ProjectSession::requirement(Step step) const {
  const auto id = pipeline::StepId(int(step));
  QString text = tr(pipeline::step_info(id).needs);
  if (project_ && running_step_ != int(step))
    text += QLatin1Char(' ') +
            tr("Now: %1.").arg(QString::fromStdString(pipeline::step_state(*project_, id).reason));
  return text;
}

}  // namespace tinyllm::ui
