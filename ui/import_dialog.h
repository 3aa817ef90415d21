// The import dialog: pick files or a folder, see at once what was detected (importer, delimiter,
// columns, units, sample rate, labels) with a preview of the first rows, correct the mapping, then
// import. Nothing is written until Import is pressed; the import runs as a separate process.
#pragma once

#include <QDialog>

#include <nlohmann/json.hpp>

#include "data/importer.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableWidget;

namespace tinyllm::ui {

class JobRunner;

class ImportDialog : public QDialog {
  Q_OBJECT
 public:
  ImportDialog(const data::PluginRegistry& registry, const QString& project_folder,
               QWidget* parent = nullptr);

  void set_path(const QString& path);  // also what the Browse buttons do
  QString error_text() const;          // what the dialog currently shows as the problem, if any
  nlohmann::json mapping() const;      // the mapping as the user left it
  QTableWidget* preview() const { return preview_; }
  QPushButton* import_button() const { return import_; }

 signals:
  void imported(const QString& summary);

 private:
  void detect();
  void show_detection(const Result<data::Detection>& detection);
  void apply_quick_edits();
  void run_import();
  void show_error(const QString& message, const QString& details = {});

  const data::PluginRegistry& registry_;
  QString project_folder_;
  QLineEdit* path_;
  QComboBox* importer_;
  QLabel* summary_;
  QLabel* error_;
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
};

}  // namespace tinyllm::ui
