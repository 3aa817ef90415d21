// The import dialog: pick files or a folder, see at once what was detected (importer, delimiter,
// columns, units, sample rate, labels) with a preview of the first rows, correct the mapping, then
// import. Nothing is written until Import is pressed; the import runs as a separate process.
#pragma once

#include <QDialog>

#include <future>
#include <optional>

#include <nlohmann/json.hpp>

#include "data/importer.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;
class QTimer;
class QToolButton;

namespace tinyllm::ui {

class JobRunner;

class ImportDialog : public QDialog {
  Q_OBJECT
 public:
  ImportDialog(const data::PluginRegistry& registry, const QString& project_folder,
               QWidget* parent = nullptr);
  ~ImportDialog() override;

  void set_path(const QString& path);  // also what the Browse buttons do
  QString error_text() const;          // the problem in plain words, as shown, if any
  QString error_details() const;       // its technical detail (shown on Details)
  // What the import will make, counted before anything is written ("38 files -> 732 gestures,
  // 4 labels, 10 people"); empty while counting.
  QString import_summary() const;
  QToolButton* advanced_button() const { return advanced_; }
  QToolButton* details_button() const { return details_button_; }
  QPlainTextEdit* mapping_editor() const { return mapping_text_; }
  QLineEdit* path_edit() const { return path_; }
  nlohmann::json mapping() const;  // the mapping as the user left it
  QTableWidget* preview() const { return preview_; }
  QPushButton* import_button() const { return import_; }

 signals:
  void imported(const QString& summary);

 protected:
  void keyPressEvent(QKeyEvent* event) override;

 private:
  void detect();
  void show_detection(const Result<data::Detection>& detection);
  void apply_quick_edits();
  void run_import();
  void show_error(const QString& message, const QString& details = {});
  // Counts files, examples, labels and people by reading the inputs (off the GUI thread).
  void start_counting();
  void show_count();

  const data::PluginRegistry& registry_;
  QString project_folder_;
  QLineEdit* path_;
  QComboBox* importer_;
  QLabel* summary_;
  QLabel* error_;
  QToolButton* details_button_;
  QLabel* details_;
  QLabel* count_;
  QToolButton* advanced_;
  QTableWidget* preview_;
  QDoubleSpinBox* rate_;
  QComboBox* label_column_;
  QComboBox* subject_column_;
  QPlainTextEdit* mapping_text_;
  QPushButton* import_;
  JobRunner* job_;
  nlohmann::json mapping_;
  QString detected_importer_;
  bool updating_ = false;
  struct Count {
    QString text;  // the summary, or why it could not be made
    bool ok = false;
  };
  std::future<Count> counting_;  // waited for on close: it only reads the inputs
  bool recount_ = false;         // the mapping changed while counting
  QTimer* count_poll_;
};

}  // namespace tinyllm::ui
