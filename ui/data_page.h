// Step 1 page: the project's sources, their recordings as plots, class histogram and channel
// ranges, the cleaning report, the split summary and a preview of the training text. Import,
// recording from a device (RecordDialog) and prepare run as separate processes; the page reloads
// from the project when they finish.
#pragma once

#include <QWidget>

#include <nlohmann/json.hpp>

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QListWidget;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QTabWidget;
class QTableWidget;
class QCustomPlot;

namespace tinyllm::ui {

class JobRunner;
class ProjectSession;
class RecordDialog;
class TracePlot;

class DataPage : public QWidget {
  Q_OBJECT
 public:
  explicit DataPage(ProjectSession& session, QWidget* parent = nullptr);

  TracePlot* trace() const { return trace_; }
  QComboBox* recording_picker() const { return recording_; }
  QListWidget* source_list() const { return sources_; }
  QPushButton* import_button() const { return import_; }
  QPushButton* record_button() const { return record_; }
  // The Record dialog, once opened (nullptr before).
  RecordDialog* record_dialog() const { return record_dialog_; }
  QPushButton* prepare_button() const { return prepare_; }
  QLabel* split_note() const { return split_note_; }
  QTableWidget* splits_table() const { return splits_; }
  QTabWidget* tabs() const { return tabs_; }
  QPlainTextEdit* text_preview() const { return text_; }

 public slots:
  void open_import_dialog(const QString& path = {});
  void open_record_dialog();
  void prepare();

 signals:
  void status(const QString& message);

 private:
  void refresh();
  void show_recording(int index);
  void fill_overview(const nlohmann::json& source);
  void fill_cleaning();
  void fill_splits();

  ProjectSession& session_;
  JobRunner* job_;
  QListWidget* sources_;
  QPushButton* import_;
  QPushButton* record_;
  RecordDialog* record_dialog_ = nullptr;
  QPushButton* prepare_;
  QComboBox* task_;
  QComboBox* style_;
  QDoubleSpinBox* resample_;
  QDoubleSpinBox* window_;
  QSpinBox* seed_;
  QLabel* prepare_state_;
  QTabWidget* tabs_;
  QComboBox* recording_;
  TracePlot* trace_;
  QCustomPlot* histogram_;
  QTableWidget* channels_;
  QTableWidget* cleaning_;
  QTableWidget* splits_;
  QLabel* split_note_;
  QPlainTextEdit* text_;
};

}  // namespace tinyllm::ui
