// The workbench window: a start screen (new demo project, new project from your files, recent
// projects, open folder) and, once a project is open, the step rail Data -> Pre-train ->
// Fine-tune -> Quantize -> Deploy beside the page of the chosen step.
#pragma once

#include <QMainWindow>

#include <functional>

class QLabel;
class QListWidget;
class QStackedWidget;

namespace tinyllm::ui {

class DataPage;
class DeployPage;
class FinetunePage;
class PretrainPage;
class ProjectSession;
class QuantizePage;
class StartPage;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // Shows the error and stays on the start screen on failure. While a job of the open project
  // runs, asks first; on yes the job is stopped (training checkpoints first) and the project
  // opens once it has (returns false until then).
  bool open_project(const QString& folder);
  // Closes the project (asking first while one of its jobs runs, as open_project does).
  void close_project();
  ProjectSession& session() const { return *session_; }
  DataPage* data_page() const { return data_page_; }
  PretrainPage* pretrain_page() const { return pretrain_page_; }
  FinetunePage* finetune_page() const { return finetune_page_; }
  QuantizePage* quantize_page() const { return quantize_page_; }
  DeployPage* deploy_page() const { return deploy_page_; }
  StartPage* start_page() const { return start_; }
  QListWidget* step_rail() const { return rail_; }
  QLabel* step_hint() const { return rail_hint_; }
  // The version shown in About (the CMake project version).
  static QString version();
  QWidget* step_page(int step) const;
  // Light or dark palette for the whole application (plots included).
  void set_dark(bool dark);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void build_menus();
  void refresh_rail();
  void show_start();
  void refresh_hint();
  // Runs `then` once no job of the open project runs: at once when none does, after asking and
  // stopping them when some do; never when the user says no.
  void leave_project(const QString& question, std::function<void()> then);
  // A job of the open project runs on some page (training, tokenizer, evaluation).
  bool jobs_running() const;
  // Stops the jobs of every page (training checkpoints first); `then` runs once none runs.
  void stop_jobs(std::function<void()> then);
  void new_project();

  ProjectSession* session_;
  QStackedWidget* top_;
  StartPage* start_;
  QWidget* project_view_;
  QListWidget* rail_;
  QStackedWidget* pages_;
  DataPage* data_page_;
  PretrainPage* pretrain_page_;
  FinetunePage* finetune_page_;
  QuantizePage* quantize_page_;
  DeployPage* deploy_page_;
  QLabel* rail_hint_;
};

}  // namespace tinyllm::ui
