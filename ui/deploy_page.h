// Step 5 page: put the model on a device and see how it does there. The project's devices (add
// with the host-key confirmation, edit, probe, remove); one-click deploy of a chosen export to
// one or more devices with a progress bar each; remote bench and eval with their history beside
// the desktop's numbers (a table and a plot over versions); "Try it" on one test example or a
// typed prompt; rollback. Every SSH action is a `tinyllm` CLI process (JobRunner), one at a
// time; passwords and passphrases the CLI asks for are answered through a dialog and never
// stored. Results are read from the project (core/deploy), never parsed from the GUI's memory.
#pragma once

#include <QWidget>

#include <functional>
#include <map>
#include <optional>

#include <nlohmann/json.hpp>

class QComboBox;
class QCustomPlot;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTableView;
class QGridLayout;

namespace tinyllm::ui {

class DeviceTableModel;
class JobRunner;
class ProjectSession;
class RunTableModel;
class TryItPanel;
class TryItServer;

class DeployPage : public QWidget {
  Q_OBJECT
 public:
  explicit DeployPage(ProjectSession& session, QWidget* parent = nullptr);

  bool busy() const;
  void stop_all();
  // Ends the Try it server (the model loaded on a device), if one runs.
  void stop_try_server();

  // Opens the add dialog (the same as the Add button).
  void add_device();

  QTableView* device_table() const { return device_table_; }
  DeviceTableModel* device_model() const { return devices_; }
  QPushButton* add_button() const { return add_; }
  QPushButton* edit_button() const { return edit_; }
  QPushButton* probe_button() const { return probe_; }
  QPushButton* remove_button() const { return remove_; }
  QComboBox* variant_combo() const { return variant_; }
  QListWidget* deploy_targets() const { return targets_; }
  QPushButton* deploy_button() const { return deploy_; }
  // The progress bar and result line of a device in the last deploy (nullptr if not in it).
  QProgressBar* progress_bar(const QString& device) const;
  QLabel* progress_label(const QString& device) const;
  QPushButton* bench_button() const { return bench_; }
  QPushButton* evaluate_button() const { return evaluate_; }
  QPushButton* rollback_button() const { return rollback_; }
  QTableView* results_table() const { return results_table_; }
  RunTableModel* results_model() const { return runs_; }
  QCustomPlot* results_plot() const { return plot_; }
  TryItPanel* try_panel() const { return try_; }
  TryItServer* try_server() const { return try_server_; }
  QLabel* status_label() const { return status_; }
  JobRunner* job() const { return job_; }

 signals:
  void status(const QString& message);
  void allJobsFinished();

 private:
  void refresh();
  void refresh_variants();
  void refresh_targets();
  void refresh_results();
  void update_buttons();
  QString selected_device() const;
  QString project_folder() const;

  // Runs `tinyllm <args>`; `done` gets the exit code, stdout and stderr's tail.
  void run_cli(const QString& what, const QStringList& args,
               std::function<void(int, const QString&, const QString&)> done);
  void on_line(const QString& line);
  void ask_secret(const QString& prompt);
  // The failure in plain words, the CLI's text one click away (Show Details).
  void show_failure(const QString& title, const QString& detail);

  void run_device_add(const QStringList& add_args, const QString& host, const QString& fingerprint);
  void edit_device();
  void probe_device();
  void remove_device();
  void start_deploy();
  void on_deploy_event(const nlohmann::json& event);
  void run_remote(const QString& action);
  void try_it();
  // The server key of the selected device: project folder, device and its last installed version.
  QString selected_version() const;
  // Stops the Try it server when it no longer serves what the page shows.
  void check_try_server();
  void on_try_answer(const nlohmann::json& answer, double round_trip_ms);

 protected:
  void hideEvent(QHideEvent* event) override;

 private:
  ProjectSession& session_;
  JobRunner* job_;
  std::function<void(int, const QString&, const QString&)> job_done_;

  DeviceTableModel* devices_;
  QTableView* device_table_;
  QPushButton* add_;
  QPushButton* edit_;
  QPushButton* probe_;
  QPushButton* remove_;

  QComboBox* variant_;
  QListWidget* targets_;
  QPushButton* deploy_;
  QLabel* variant_note_;
  QGridLayout* progress_grid_;
  QLabel* progress_hint_ = nullptr;  // shown until the first deploy
  struct DeviceProgress {
    QLabel* name = nullptr;
    QProgressBar* bar = nullptr;
    QLabel* label = nullptr;
    QString error;
  };
  std::map<QString, DeviceProgress> progress_;

  QPushButton* bench_;
  QPushButton* evaluate_;
  QPushButton* rollback_;
  RunTableModel* runs_;
  QTableView* results_table_;
  QCustomPlot* plot_;

  TryItPanel* try_;
  TryItServer* try_server_;
  struct PendingTry {
    QString device;
    QString true_label;           // "" for a typed prompt
    bool started_server = false;  // this try waited for the model to load on the device
  };
  std::optional<PendingTry> pending_try_;

  QLabel* status_;
};

}  // namespace tinyllm::ui
