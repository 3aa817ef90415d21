// Step 2 page: train the tokenizer, pick a model size (with its parameter count, memory and time
// estimate for this machine), then pre-train with live plots fed by the worker's JSON Lines events:
// train/validation loss (raw and smoothed, optional log scale), learning rate, tokens/s, progress
// and ETA, generated samples, and the runs with their checkpoints (best marked). Training runs in
// the tinyllm-train worker; stopping asks it to checkpoint first; a crash shows its last lines.
#pragma once

#include <QWidget>

#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "training_controls.h"

class QCheckBox;
class QComboBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QCustomPlot;

namespace tinyllm::text {
class Tokenizer;
}

namespace tinyllm::ui {

class JobRunner;
class ProjectSession;

class PretrainPage : public QWidget {
  Q_OBJECT
 public:
  explicit PretrainPage(ProjectSession& session, QWidget* parent = nullptr);

  bool training() const;
  // Training or the tokenizer trainer is running for the open project.
  bool busy() const;
  // Asks the worker to checkpoint and stop; `done` fires when it has.
  void stop_training();
  // Stops whatever runs (training checkpoints first); allJobsFinished fires when nothing does.
  void stop_all();

  QPushButton* tokenizer_button() const { return train_tokenizer_; }
  QPushButton* start_button() const { return controls_.start; }
  QPushButton* stop_button() const { return controls_.stop; }
  QPushButton* pause_button() const { return controls_.pause; }
  QPushButton* resume_button() const { return controls_.resume; }
  JobRunner* train_job() const { return train_job_; }
  QSlider* smoothing() const { return smoothing_; }
  QPlainTextEdit* samples() const { return samples_; }
  QLabel* estimate_label() const { return estimate_; }
  QLabel* tokenizer_label() const { return tokenizer_state_; }
  QCustomPlot* lr_plot() const { return lr_plot_; }
  QCustomPlot* speed_plot() const { return speed_plot_; }
  QComboBox* tokenizer_kind() const { return tokenizer_type_; }
  QSpinBox* vocabulary() const { return vocab_; }
  // The run Resume would continue (the newest with a latest.json), empty when there is none.
  QString resumable_run() const;
  QSpinBox* steps() const { return steps_; }
  QComboBox* preset() const { return preset_; }
  // Where the run trains: this computer (data "") or the project's devices ("a" or "a,b").
  QComboBox* run_on() const { return run_on_; }
  // "GPUs per host" (run_on_picker.h): shown when the chosen hosts have GPUs.
  QWidget* gpus_per_host() const { return gpus_per_host_; }
  QCustomPlot* loss_plot() const { return loss_plot_; }
  QListWidget* runs() const { return runs_; }
  QLabel* status_label() const { return status_; }
  int loss_points() const;

 signals:
  void status(const QString& message);
  void trainingFinished(bool ok);
  void allJobsFinished();

 private:
  void refresh();
  void update_estimate();
  void train_tokenizer();
  void start(bool resume);
  void on_event(const QString& line);
  void on_finished(int code, const QString& error_tail);
  void list_runs();
  void reset_plots();
  // A new project is open: nothing of the previous one stays on the page.
  void switch_project();
  void add_loss_point(double step, double loss);
  void resmooth(size_t first);
  // Drops points after `step` (a resumed run continues from its checkpoint).
  void trim_after(double step);
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
  QComboBox* run_on_;
  QWidget* gpus_per_host_;
  QLabel* estimate_;
  QSpinBox* steps_;
  TrainingControls controls_;
  QProgressBar* progress_;
  QLabel* status_;
  QCheckBox* log_scale_;
  QSlider* smoothing_;
  QLabel* smoothing_label_;
  QCustomPlot* loss_plot_;
  QCustomPlot* lr_plot_;
  QCustomPlot* speed_plot_;
  QPlainTextEdit* samples_;
  QListWidget* runs_;
  std::vector<double> loss_steps_, losses_, smoothed_;  // the train loss curve, raw and smoothed
  bool replaying_ = false;  // show_run feeds recorded events: rescale and smooth once at the end
  QString shown_folder_;    // the project whose state the page shows
  std::shared_ptr<const text::Tokenizer> tokenizer_;  // the project's, for sizes and samples
  double measured_tokens_per_s_ = 0;  // from the last run's steps, for the time estimate
  QString measured_preset_;
  int run_steps_ = 0;
};

}  // namespace tinyllm::ui
