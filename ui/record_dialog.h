// Recording from a device, opened from the Data page: pick the device (its profile in the
// project) and its sensor, a label (a gesture, or the zone of WiFi scans) and the person, then
// Start; the readings scroll by in a live plot while they arrive, and Stop (or the time or scan
// budget) ends the take, which is kept as a new source of the project. One take after another:
// the dialog stays open. With a model deployed on the device, the device's own classification
// shows while recording (label, confidence, latency), with its threshold and smoothing.
//
// Every take is a `tinyllm record --json` process (JobRunner); its events are read by
// RecordStream. A dropped connection keeps what arrived, and the dialog says so.
#pragma once

#include <QDialog>

#include "record_request.h"
#include "record_stream.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QFormLayout;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace tinyllm::ui {

class JobRunner;
class ProjectSession;
class TracePlot;

class RecordDialog : public QDialog {
  Q_OBJECT
 public:
  explicit RecordDialog(ProjectSession& session, QWidget* parent = nullptr);

  bool recording() const;
  // The take the form describes now.
  TakeSettings settings() const;

  QComboBox* device_combo() const { return device_; }
  QComboBox* source_combo() const { return source_; }
  QLineEdit* command_edit() const { return command_; }
  QComboBox* label_combo() const { return label_; }
  QLineEdit* person_edit() const { return person_; }
  QDoubleSpinBox* seconds_spin() const { return seconds_; }
  QSpinBox* scans_spin() const { return scans_; }
  QGroupBox* live_box() const { return live_box_; }
  QDoubleSpinBox* threshold_spin() const { return threshold_; }
  QSpinBox* smooth_spin() const { return smooth_; }
  QLabel* live_label() const { return live_label_; }
  QPushButton* start_button() const { return start_; }
  QPushButton* stop_button() const { return stop_; }
  QLabel* progress_label() const { return progress_; }
  QLabel* status_label() const { return status_; }
  TracePlot* live_plot() const { return plot_; }
  const RecordStream& stream() const { return stream_; }

 public slots:
  // Devices, their sensors and the project's labels, from the project (kept while recording).
  void refresh();
  void start_take();
  void stop_take();  // ends the take; what arrived is kept

 signals:
  // A take was kept in the project (the page reloads its sources).
  void recorded(const QString& summary);

 protected:
  // Closing the dialog while it records ends the take (and keeps it) rather than leaving a
  // take without an end running.
  void reject() override;

 private:
  bool rssi() const;
  void fill_sources();
  void update_controls();
  void on_line(const QString& line);
  void on_finished(int code, const QString& error_tail);
  void show_live();
  void ask_secret(const QString& prompt);

  ProjectSession& session_;
  JobRunner* job_;
  RecordStream stream_;
  QString recording_label_;
  bool live_available_ = false;
  bool showing_missing_ = false;  // progress_ says what the form lacks  // a model of this project
                                  // is installed on the chosen device

  QFormLayout* form_;
  QComboBox* device_;
  QComboBox* source_;
  QLineEdit* command_;
  QComboBox* label_;
  QLineEdit* person_;
  QDoubleSpinBox* seconds_;
  QSpinBox* scans_;
  QGroupBox* live_box_;
  QDoubleSpinBox* threshold_;
  QSpinBox* smooth_;
  QLabel* live_label_;
  QPushButton* start_;
  QPushButton* stop_;
  QLabel* progress_;
  QLabel* status_;
  TracePlot* plot_;
};

}  // namespace tinyllm::ui
