// Step 3 page: fine-tune a model on the task examples and see how good it is. Top: the task and
// its answer set, the starting point (the pre-trained model, or from scratch as a baseline),
// steps and augmentation, and the context check (every example must fit the model's context;
// Start waits for it). Then live train loss and validation accuracy fed by the worker's JSON
// Lines events, and after a run the evaluation (`tinyllm eval`): the confusion matrix as a heat
// map, the model beside the baselines, the per-class table and the mistakes, each mistake's
// window plotted as on the Data page; for a position task the error CDF beside the baselines'.
// A Compare runs tab puts every evaluated run side by side (run_comparison_view.h). Every long
// piece of work runs in a CLI process.
#pragma once

#include <QWidget>

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "training_controls.h"

class QCheckBox;
class QComboBox;
class QCPColorMap;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QRadioButton;
class QSpinBox;
class QTableWidget;
class QTabWidget;

namespace tinyllm::ui {

class ErrorCdfPlot;
class JobRunner;
class ProjectSession;
class RunComparisonView;
class TracePlot;

class FinetunePage : public QWidget {
  Q_OBJECT
 public:
  explicit FinetunePage(ProjectSession& session, QWidget* parent = nullptr);

  bool training() const;
  // Fine-tuning or an evaluation is running for the open project (the context check does not
  // count: it is quick and changes nothing).
  bool busy() const;
  // Stops whatever runs (fine-tuning checkpoints first); allJobsFinished fires when nothing does.
  void stop_all();

  QLabel* task_label() const { return task_; }
  QRadioButton* from_pretrained() const { return from_pretrained_; }
  QRadioButton* from_scratch() const { return from_scratch_; }
  // The model size of a run from scratch (a pre-trained model keeps its own).
  QComboBox* preset() const { return preset_; }
  QComboBox* run_on() const { return run_on_; }  // run_on_picker.h
  // "GPUs per host" (run_on_picker.h): shown when the chosen hosts have GPUs.
  QWidget* gpus_per_host() const { return gpus_per_host_; }
  QSpinBox* steps() const { return steps_; }
  QCheckBox* augment() const { return augment_; }
  QRadioButton* full() const { return full_; }
  QRadioButton* lora() const { return lora_; }
  // More training settings as --KEY VALUE pairs (behind Advanced), e.g. a smaller model.
  QLineEdit* extra_settings() const { return extra_; }
  QLabel* context_label() const { return context_; }
  // The last context check's verdict; unset while one runs or before the first.
  std::optional<bool> context_fits() const { return context_ok_; }
  QPushButton* start_button() const { return controls_.start; }
  QPushButton* pause_button() const { return controls_.pause; }
  QPushButton* stop_button() const { return controls_.stop; }
  QPushButton* resume_button() const { return controls_.resume; }
  QPushButton* evaluate_button() const { return evaluate_; }
  // How Evaluate decodes: "constrained" (the best of the answer set) or "free" (generated text,
  // scored with the paper's rule); each has its own report.
  QComboBox* decoding() const { return decoding_; }
  QPushButton* open_report_button() const { return open_report_; }
  QLabel* status_label() const { return status_; }
  QListWidget* runs() const { return runs_; }
  JobRunner* train_job() const { return train_job_; }
  JobRunner* eval_job() const { return eval_job_; }
  QCustomPlot* loss_plot() const { return loss_plot_; }
  QCustomPlot* accuracy_plot() const { return accuracy_plot_; }
  QCustomPlot* confusion_plot() const { return confusion_plot_; }
  QCPColorMap* confusion_map() const { return confusion_map_; }
  QCustomPlot* comparison_plot() const { return comparison_plot_; }
  // The names under the comparison bars, the model first ("model", "majority", "k-NN", ...).
  QStringList comparison_names() const { return comparison_names_; }
  QLabel* summary_label() const { return summary_; }
  QTableWidget* per_class() const { return per_class_; }
  QListWidget* mistakes() const { return mistakes_; }
  TracePlot* mistake_trace() const { return trace_; }
  QLabel* mistake_label() const { return mistake_note_; }
  QTabWidget* tabs() const { return tabs_; }
  // Position tasks: the error CDF of the shown report (hidden for classification).
  ErrorCdfPlot* error_cdf() const { return error_cdf_; }
  // Every evaluated run of the project (the "Compare runs" tab).
  RunComparisonView* run_comparison() const { return comparison_view_; }
  // The report shown (report.json of the shown run), empty when none.
  const nlohmann::json& report() const { return report_; }
  QString shown_run() const { return shown_run_; }
  // The run Resume would continue (the newest stopped one), empty when there is none.
  QString resumable_run() const;

 signals:
  void status(const QString& message);
  void trainingFinished(bool ok);
  void evaluationFinished(bool ok);
  void allJobsFinished();

 private:
  void refresh();
  void switch_project();
  void show_task();
  void update_starting_point();
  void run_check();
  void on_check_finished(int code, const QString& output, const QString& error_tail);
  void update_buttons();
  void start(bool resume);
  void stop_training();
  void on_event(const QString& line);
  void on_finished(int code, const QString& error_tail);
  void evaluate(const QString& run);
  void on_eval_finished(int code, const QString& output, const QString& error_tail);
  void reset_plots();
  void set_position_run(bool position);
  void rescale_plots();
  void list_runs();
  // Replots a past run from its events.jsonl and shows its report when it has one.
  void show_run(const QString& run);
  void show_report(const nlohmann::json& report);
  void clear_report();
  void show_mistake(int row);
  // Reloads the Compare runs tab from the project's reports.
  void update_comparison();
  // Classification shows the confusion matrix, the bars and the per-class table; position the
  // error CDF.
  void show_position_charts(bool position);
  QString run_folder(const QString& run) const;
  QString report_path(const QString& run) const;

  ProjectSession& session_;
  JobRunner* check_job_;
  JobRunner* train_job_;
  JobRunner* eval_job_;
  QLabel* task_;
  QRadioButton* from_pretrained_;
  QRadioButton* from_scratch_;
  QLabel* pretrained_note_;
  QComboBox* preset_;
  QComboBox* run_on_;
  QWidget* gpus_per_host_;
  QSpinBox* steps_;
  QCheckBox* augment_;
  QRadioButton* full_;
  QRadioButton* lora_;
  bool position_run_ = false;  // the shown run answers with positions (error in metres)
  QLineEdit* extra_;
  QLabel* context_;
  TrainingControls controls_;
  QProgressBar* progress_;
  QLabel* status_;
  QListWidget* runs_;
  QPushButton* evaluate_;
  QComboBox* decoding_;
  QPushButton* open_report_;
  QTabWidget* tabs_;
  QCustomPlot* loss_plot_;
  QCustomPlot* accuracy_plot_;
  QLabel* summary_;
  QCustomPlot* confusion_plot_;
  QCPColorMap* confusion_map_ = nullptr;
  QCustomPlot* comparison_plot_;
  QStringList comparison_names_;
  QTableWidget* per_class_;
  ErrorCdfPlot* error_cdf_;
  RunComparisonView* comparison_view_;
  QListWidget* mistakes_;
  QLabel* mistake_note_;
  TracePlot* trace_;

  QString shown_folder_;  // the project whose state the page shows
  QString pretrained_;    // the checkpoint a fine-tune starts from by default; "" = none
  std::optional<bool> context_ok_;
  bool recheck_ = false;  // settings changed while a check ran: check again after it
  QString check_key_;     // what the last check was run for (project, start, size)
  QString current_run_;   // the run the worker is training now
  QString shown_run_;     // the run whose curves and report are shown
  nlohmann::json report_;
  bool replaying_ = false;
  std::string done_reason_;  // the "done" event's reason of the run the worker trains
  int run_steps_ = 0;
};

}  // namespace tinyllm::ui
