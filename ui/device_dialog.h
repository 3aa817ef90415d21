// Adding or editing a device: name, host, port, user, key file (empty: ssh-agent), install
// folder, and behind Advanced the architecture override, a runner prefix (e.g. qemu-aarch64) and
// the host keys file. It only collects the fields: `tinyllm device add` connects and probes.
#pragma once

#include <QDialog>
#include <QStringList>

#include "deploy/device.h"

class QCheckBox;
class QWidget;
class QComboBox;
class QGroupBox;
class QLineEdit;
class QSpinBox;

namespace tinyllm::ui {

class JobRunner;

// Asks for the password or key passphrase a running CLI requested ({"event":"ask"}) in a password
// dialog and hands the answer to that process only; Cancel closes its input, so that the CLI
// says the question was cancelled. Nothing is stored.
void ask_device_secret(QWidget* parent, JobRunner& job, const QString& prompt);

class DeviceDialog : public QDialog {
  Q_OBJECT
 public:
  // `existing`: edit that device (its name stays); nullptr: a new one.
  explicit DeviceDialog(const deploy::DeviceProfile* existing, QWidget* parent = nullptr);

  // `device add` arguments after `--project P` (NAME and the options given).
  QStringList add_arguments() const;
  QString device_name() const;
  QString host() const;

  QLineEdit* name_edit() const { return name_; }
  QLineEdit* host_edit() const { return host_; }
  QSpinBox* port_spin() const { return port_; }
  QLineEdit* user_edit() const { return user_; }
  QLineEdit* key_edit() const { return key_; }
  QLineEdit* folder_edit() const { return folder_; }
  QComboBox* arch_combo() const { return arch_; }
  QLineEdit* runner_edit() const { return runner_; }
  QLineEdit* known_hosts_edit() const { return known_hosts_; }

 private:
  void update_ok();

  QLineEdit* name_;
  QLineEdit* host_;
  QSpinBox* port_;
  QLineEdit* user_;
  QLineEdit* key_;
  QLineEdit* folder_;
  QGroupBox* advanced_;
  QComboBox* arch_;
  QLineEdit* runner_;
  QLineEdit* known_hosts_;
  QPushButton* ok_ = nullptr;
};

}  // namespace tinyllm::ui
