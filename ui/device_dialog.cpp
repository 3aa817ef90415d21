#include "device_dialog.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

#include "job_runner.h"

namespace tinyllm::ui {

void ask_device_secret(QWidget* parent, JobRunner& job, const QString& prompt) {
  bool ok = false;
  const QString secret = QInputDialog::getText(
      parent, QObject::tr("The device asks for a secret"),
      QObject::tr("%1\n(it is sent to the device only, never stored)").arg(prompt),
      QLineEdit::Password, QString(), &ok);
  if (ok)
    job.send_secret(secret);
  else
    job.close_input();  // the CLI sees the question cancelled and says so
}

DeviceDialog::DeviceDialog(const deploy::DeviceProfile* existing, QWidget* parent)
    : QDialog(parent) {
  setWindowTitle(existing ? tr("Edit device") : tr("Add a device"));
  auto* layout = new QVBoxLayout(this);
  auto* intro = new QLabel(
      tr("A Raspberry Pi (or any Linux computer) you can log in to over SSH. The workbench "
         "connects once to check who it is and what it can run."));
  intro->setWordWrap(true);
  layout->addWidget(intro);
  auto* form = new QFormLayout;
  name_ = new QLineEdit(existing ? QString::fromStdString(existing->name) : QStringLiteral("pi"));
  name_->setReadOnly(existing != nullptr);
  name_->setToolTip(tr("A short name for this device in the project"));
  host_ = new QLineEdit(existing ? QString::fromStdString(existing->ssh.host) : QString());
  host_->setPlaceholderText(tr("raspberrypi.local or 192.168.1.20"));
  port_ = new QSpinBox;
  port_->setRange(1, 65535);
  port_->setValue(existing ? existing->ssh.port : 22);
  user_ = new QLineEdit(existing ? QString::fromStdString(existing->ssh.user) : QString());
  user_->setPlaceholderText(tr("pi (empty: your own user name)"));
  key_ = new QLineEdit(existing ? QString::fromStdString(existing->ssh.key_file) : QString());
  key_->setPlaceholderText(tr("empty: the keys in ssh-agent"));
  auto* browse = new QPushButton(tr("&Choose..."));
  auto* key_row = new QHBoxLayout;
  key_row->addWidget(key_, 1);
  key_row->addWidget(browse);
  folder_ = new QLineEdit(QString::fromStdString(
      existing ? existing->install_dir : std::string(deploy::kDefaultInstallDir)));
  form->addRow(tr("&Name:"), name_);
  form->addRow(tr("&Host:"), host_);
  form->addRow(tr("&Port:"), port_);
  form->addRow(tr("&User:"), user_);
  auto* key_label = new QLabel(tr("&Key file:"));  // a layout row gets no buddy by itself
  key_label->setBuddy(key_);
  form->addRow(key_label, key_row);
  form->addRow(tr("&Install folder:"), folder_);
  layout->addLayout(form);

  advanced_ = new QGroupBox(tr("Advanced"));
  advanced_->setCheckable(true);
  auto* adv = new QFormLayout(advanced_);
  arch_ = new QComboBox;
  arch_->addItem(tr("from the probe (recommended)"), QString());
  for (const char* a : {"aarch64", "armhf", "x86_64"})
    arch_->addItem(QString::fromLatin1(a), QString::fromLatin1(a));
  runner_ = new QLineEdit(existing ? QString::fromStdString(existing->runner) : QString());
  runner_->setPlaceholderText(tr("e.g. qemu-aarch64 (normally empty)"));
  known_hosts_ =
      new QLineEdit(existing ? QString::fromStdString(existing->ssh.known_hosts) : QString());
  known_hosts_->setPlaceholderText(tr("empty: ~/.ssh/known_hosts"));
  adv->addRow(tr("&Architecture:"), arch_);
  adv->addRow(tr("&Runner prefix:"), runner_);
  adv->addRow(tr("Host &keys file:"), known_hosts_);
  if (existing) {
    const int i = arch_->findData(QString::fromStdString(existing->arch));
    if (i >= 0) arch_->setCurrentIndex(i);
  }
  const bool has_advanced = existing && (!existing->arch.empty() || !existing->runner.empty() ||
                                         !existing->ssh.known_hosts.empty());
  advanced_->setChecked(has_advanced);
  // Unchecked hides the fields; they keep their values.
  auto show_advanced = [adv](bool on) {
    for (int r = 0; r < adv->rowCount(); ++r)
      adv->setRowVisible(r, on);
  };
  show_advanced(has_advanced);
  connect(advanced_, &QGroupBox::toggled, this, show_advanced);
  layout->addWidget(advanced_);

  auto* buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
  ok_ = buttons->button(QDialogButtonBox::Ok);
  ok_->setText(existing ? tr("&Save and probe") : tr("&Connect and add"));
  layout->addWidget(buttons);
  connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
  connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
  connect(browse, &QPushButton::clicked, this, [this] {
    const QString f = QFileDialog::getOpenFileName(this, tr("Private key file"),
                                                   QDir::homePath() + QStringLiteral("/.ssh"));
    if (!f.isEmpty()) key_->setText(f);
  });
  connect(name_, &QLineEdit::textChanged, this, &DeviceDialog::update_ok);
  connect(host_, &QLineEdit::textChanged, this, &DeviceDialog::update_ok);
  update_ok();
}

void DeviceDialog::update_ok() {
  ok_->setEnabled(!name_->text().trimmed().isEmpty() && !host_->text().trimmed().isEmpty());
}

QString DeviceDialog::device_name() const {
  return name_->text().trimmed();
}

QString DeviceDialog::host() const {
  return host_->text().trimmed();
}

QStringList DeviceDialog::add_arguments() const {
  QStringList a = {device_name(), QStringLiteral("--host"), host(), QStringLiteral("--port"),
                   QString::number(port_->value())};
  auto add = [&a](const char* option, const QString& value) {
    if (!value.trimmed().isEmpty()) a << QString::fromLatin1(option) << value.trimmed();
  };
  add("--user", user_->text());
  add("--key", key_->text());
  add("--dir", folder_->text());
  if (advanced_->isChecked()) {
    add("--arch", arch_->currentData().toString());
    add("--runner", runner_->text());
    add("--known-hosts", known_hosts_->text());
  }
  return a;
}

}  // namespace tinyllm::ui
