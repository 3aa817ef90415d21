// Step 2 page: train the tokenizer, pick a model size (with its parameter count, memory and time
// estimate for this machine), then pre-train with live plots fed by the worker's JSON Lines events:
// train/validation loss (raw and smoothed, optional log scale), learning rate, tokens/s, progress
// and ETA, generated samples, and the runs with their checkpoints (best marked). Training runs in
// the tinyllm-train worker; stopping asks it to checkpoint first; a crash shows its last lines.
#pragma once

#include <QWidget>

#include <nlohmann/json.hpp>

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QCustomPlot;

namespace tinyllm::ui {

class JobRunner;
class ProjectSession;

class PretrainPage : public QWidget {
  Q_OBJECT
 public:
  explicit PretrainPage(ProjectSession& session, QWidget* parent = nullptr);

  bool training() const;
  // Asks the worker to checkpoint and stop; `done` fires when it has.
  void stop_training();

  QPushButton* tokenizer_button() const { return train_tokenizer_; }
  QPushButton* start_button() const { return start_; }
  QPushButton* stop_button() const { return stop_; }
  QPushButton* pause_button() const { return pause_; }
  QSpinBox* steps() const { return steps_; }
  QComboBox* preset() const { return preset_; }
  QCustomPlot* loss_plot() const { return loss_plot_; }
  QListWidget* runs() const { return runs_; }
  QLabel* status_label() const { return status_; }
  int loss_points() const;

 signals:
  void status(const QString& message);
  void trainingFinished(bool ok);

 private:
  void refresh();
  void update_estimate();
  void train_tokenizer();
  void start(bool resume);
  void on_event(const QString& line);
  void on_finished(int code, const QString& error_tail);
  void list_runs();
  void reset_plots();
  // Replots a past run from its events.jsonl.
  void show_run(const QString& run_folder);
  void rescale_plots();

  ProjectSession& session_;
  JobRunner* tokenizer_job_;
  JobRunner* train_job_;
  QComboBox* tokenizer_type_;
  QSpinBox* vocab_;
  QPushButton* train_tokenizer_;
  QLabel* tokenizer_state_;
  QComboBox* preset_;
  QLabel* estimate_;
  QSpinBox* steps_;
  QPushButton* start_;
  QPushButton* stop_;
  QPushButton* pause_;
  QPushButton* resume_;
  QProgressBar* progress_;
  QLabel* status_;
  QCheckBox* log_scale_;
  QCustomPlot* loss_plot_;
  QCustomPlot* lr_plot_;
  QCustomPlot* speed_plot_;
  QPlainTextEdit* samples_;
  QListWidget* runs_;
  double smoothed_ = 0;
  bool have_smoothed_ = false;
  bool replaying_ = false;  // show_run feeds recorded events: rescale once at the end
};

}  // namespace tinyllm::ui
