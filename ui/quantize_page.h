// Step 4 page: turn a fine-tuned run into the files that go to the device and see what each
// costs. Top: which run, the four GGUF types (Q8_0 recommended, one line each on what it costs
// and keeps), Export with a progress bar through every file and measurement, Stop. Then the
// quantization report (reports/quantization-<run>.json, also one the CLI wrote earlier): a table
// and bar charts of size, perplexity, accuracy and speed per variant beside F32, the variant for
// a chosen Raspberry Pi's memory highlighted (the rule: core/pipeline/quantize_step.h), stale
// exports marked. "Try it" runs one test example or a typed prompt through this computer's
// runtime (tinyllm-run). Export is a `tinyllm export` process, Try it a `tinyllm-run` one
// (JobRunner), one at a time.
#pragma once

#include <QWidget>

#include <functional>
#include <map>

#include <nlohmann/json.hpp>

#include "quantize_plots.h"

class QCheckBox;
class QComboBox;
class QCustomPlot;
class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;

namespace tinyllm::ui {

class JobRunner;
class ProjectSession;
class QuantTableModel;
class TryItPanel;

class QuantizePage : public QWidget {
  Q_OBJECT
 public:
  explicit QuantizePage(ProjectSession& session, QWidget* parent = nullptr);

  bool busy() const;
  // Stops the export or the try (the worker and the runtime it runs are killed); allJobsFinished
  // fires once nothing runs.
  void stop_all();

  QComboBox* run_combo() const { return run_; }
  QCheckBox* type_box(const QString& type) const;  // "f32", "f16", "q8_0", "q4_0"
  QPushButton* export_button() const { return export_; }
  QPushButton* stop_button() const { return stop_; }
  QProgressBar* progress_bar() const { return progress_; }
  QLabel* progress_label() const { return progress_label_; }
  QLabel* error_label() const { return error_; }
  QComboBox* pi_combo() const { return pi_; }
  QLabel* recommendation_label() const { return recommendation_; }
  QLabel* report_label() const { return report_note_; }
  QTableView* table() const { return table_; }
  QuantTableModel* model() const { return model_; }
  QCustomPlot* plot(QuantMeasure measure) const { return plots_.at(measure); }
  QComboBox* try_variant_combo() const { return try_variant_; }
  TryItPanel* try_panel() const { return try_; }
  QLabel* status_label() const { return status_; }
  JobRunner* job() const { return job_; }

 signals:
  void status(const QString& message);
  void allJobsFinished();

 private:
  void refresh();
  void refresh_runs();
  void refresh_report();
  void refresh_try_variants();
  void refresh_recommendation();
  void update_buttons();
  QString chosen_run() const;

  void run_job(const QString& what, const QStringList& args, const QString& program,
               std::function<void(int, const QString&, const QString&)> done);
  void start_export();
  void on_line(const QString& line);
  void try_it();

  ProjectSession& session_;
  JobRunner* job_;
  std::function<void(int, const QString&, const QString&)> job_done_;
  bool exporting_ = false;
  bool stopping_ = false;

  QComboBox* run_;
  std::map<QString, QCheckBox*> types_;
  QPushButton* export_;
  QPushButton* stop_;
  QProgressBar* progress_;
  QLabel* progress_label_;
  QLabel* error_;

  QLabel* report_note_;
  QComboBox* pi_;
  QLabel* recommendation_;
  QuantTableModel* model_;
  QTableView* table_;
  std::map<QuantMeasure, QCustomPlot*> plots_;

  QComboBox* try_variant_;
  TryItPanel* try_;
  QLabel* status_;
};

}  // namespace tinyllm::ui
