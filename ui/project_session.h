// The open project as the GUI sees it: the manifest, what core reports about its data, and the
// state of each step. Pages read from here and call reload() after a job changed the folder.
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "data/importer.h"
#include "project/project.h"

namespace tinyllm::ui {

enum class StepState { unavailable, blocked, ready, running, paused, done, stale, attention };
QString step_state_text(StepState state);

enum class Step { data = 0, pretrain, finetune, quantize, deploy };
inline constexpr int kStepCount = 5;
QString step_title(Step step);

class ProjectSession : public QObject {
  Q_OBJECT
 public:
  explicit ProjectSession(QObject* parent = nullptr);
  ~ProjectSession() override;

  // Opens a project folder; on failure the error is returned in words and nothing changes.
  std::optional<QString> open(const QString& folder);
  void close();
  bool is_open() const { return project_.has_value(); }
  const project::Project& project() const { return *project_; }
  QString folder() const;
  const data::PluginRegistry& registry() const { return *registry_; }

  // inspect_data() of the open project (sources, stats, cleaning, prepared summary).
  const nlohmann::json& data_info() const { return data_info_; }
  StepState state(Step step) const;
  // What a step needs, in words, and (with a project open) why it is in its state now.
  QString requirement(Step step) const;
  // Plugins in the plugin folder that could not be loaded, one message each (also emitted once
  // through loadFailed); the others are loaded.
  const QStringList& plugin_errors() const { return plugin_errors_; }
  void set_running(Step step, bool running);
  // The running step's worker waits at a step boundary (the rail says so, not "running").
  void set_paused(Step step, bool paused);

 public slots:
  void reload();

 signals:
  void changed();
  void loadFailed(const QString& message);

 private:
  std::unique_ptr<data::PluginRegistry> registry_;
  std::optional<project::Project> project_;
  nlohmann::json data_info_;
  int running_step_ = -1;
  bool paused_ = false;
  QStringList plugin_errors_;
};

}  // namespace tinyllm::ui
