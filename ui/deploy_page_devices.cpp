// The Deploy page's device work: adding a device (with the host-key confirmation), editing,
// probing and removing one, and the deploy to the checked devices with a progress bar each. Each
// is a `tinyllm` command run by the page's JobRunner (deploy_page.cpp).
#include <QComboBox>
#include <QGridLayout>
#include <QLabel>
#include <QListWidget>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>

#include <algorithm>

#include "deploy_models.h"
#include "deploy_page.h"
#include "deploy_text.h"
#include "device_dialog.h"
#include "project_session.h"

namespace tinyllm::ui {

using nlohmann::json;

// ---- devices

void DeployPage::add_device() {
  DeviceDialog dialog(nullptr, this);
  if (dialog.exec() != QDialog::Accepted) return;
  run_device_add(dialog.add_arguments(), dialog.host(), QString());
}

void DeployPage::run_device_add(const QStringList& add_args, const QString& host,
                                const QString& fingerprint) {
  QStringList args = {QStringLiteral("device"), QStringLiteral("add"), QStringLiteral("--project"),
                      project_folder()};
  args += add_args;
  if (!fingerprint.isEmpty()) args << QStringLiteral("--accept-fingerprint") << fingerprint;
  run_cli(
      tr("Connecting to %1...").arg(host), args,
      [this, add_args, host](int code, const QString&, const QString& err) {
        session_.reload();
        if (code == 0) {
          status_->setText(tr("Added %1.").arg(add_args.first()));
          return;
        }
        const auto key = unknown_host_key(err);
        if (classify_failure(err) != DeployFailure::unknown_host_key || key.fingerprint.isEmpty()) {
          show_failure(tr("Could not add the device"), err);
          return;
        }
        // First contact: the user compares the fingerprint with the one the device shows.
        QMessageBox box(QMessageBox::Question, tr("Is this really your device?"),
                        tr("<p>This is the first time the workbench connects to <b>%1</b>. "
                           "Every SSH device has an identity (its host key), shown here as a "
                           "fingerprint:</p><p><tt>%2</tt></p><p>To be sure nobody sits in "
                           "between, compare it with what the device itself shows: on the "
                           "device (keyboard and screen, or a connection you trust) run "
                           "<tt>ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub</tt>. If "
                           "both say the same, accept. The workbench remembers it and warns "
                           "you if it ever changes.</p>")
                            .arg(host.toHtmlEscaped(), key.fingerprint.toHtmlEscaped()),
                        QMessageBox::NoButton, this);
        auto* accept = box.addButton(tr("&Accept"), QMessageBox::AcceptRole);
        box.addButton(QMessageBox::Cancel);
        box.setDetailedText(err);
        box.exec();
        if (box.clickedButton() != accept) {
          status_->setText(tr("Not added: the host key was not accepted."));
          return;
        }
        run_device_add(add_args, host, key.fingerprint);
      });
}

void DeployPage::edit_device() {
  const QString name = selected_device();
  if (name.isEmpty()) return;
  const auto& devices = devices_->devices();
  const auto it = std::find_if(devices.begin(), devices.end(),
                               [&](const auto& d) { return d.name == name.toStdString(); });
  if (it == devices.end()) return;
  DeviceDialog dialog(&*it, this);
  if (dialog.exec() != QDialog::Accepted) return;
  run_device_add(dialog.add_arguments(), dialog.host(), QString());
}

void DeployPage::probe_device() {
  const QString name = selected_device();
  run_cli(tr("Probing %1...").arg(name),
          {QStringLiteral("device"), QStringLiteral("probe"), QStringLiteral("--project"),
           project_folder(), name, QStringLiteral("--json")},
          [this, name](int code, const QString&, const QString& err) {
            session_.reload();
            if (code != 0) return show_failure(tr("Could not probe %1").arg(name), err);
            status_->setText(tr("Probed %1.").arg(name));
          });
}

void DeployPage::remove_device() {
  const QString name = selected_device();
  if (QMessageBox::question(this, tr("Remove device"),
                            tr("Forget %1? Nothing on the device is touched, and its results stay "
                               "in the project.")
                                .arg(name)) != QMessageBox::Yes)
    return;
  run_cli(tr("Removing %1...").arg(name),
          {QStringLiteral("device"), QStringLiteral("remove"), QStringLiteral("--project"),
           project_folder(), name},
          [this, name](int code, const QString&, const QString& err) {
            session_.reload();
            if (code != 0) return show_failure(tr("Could not remove %1").arg(name), err);
            status_->setText(tr("Removed %1.").arg(name));
          });
}

// ---- deploy

QProgressBar* DeployPage::progress_bar(const QString& device) const {
  const auto it = progress_.find(device);
  return it == progress_.end() ? nullptr : it->second.bar;
}

QLabel* DeployPage::progress_label(const QString& device) const {
  const auto it = progress_.find(device);
  return it == progress_.end() ? nullptr : it->second.label;
}

void DeployPage::start_deploy() {
  QStringList names;
  for (int i = 0; i < targets_->count(); ++i)
    if (targets_->item(i)->checkState() == Qt::Checked) names << targets_->item(i)->text();
  if (names.isEmpty()) return;
  for (auto& [name, p] : progress_) {
    delete p.name;
    delete p.bar;
    delete p.label;
  }
  progress_.clear();
  delete progress_hint_;  // the hint makes room for the bars
  progress_hint_ = nullptr;
  int row = 0;
  for (const auto& name : names) {
    DeviceProgress p;
    p.bar = new QProgressBar;
    p.bar->setRange(0, 100);
    p.bar->setValue(0);
    p.bar->setAccessibleName(tr("Deploy progress of %1").arg(name));
    p.label = new QLabel(tr("connecting..."));
    p.label->setWordWrap(true);
    p.name = new QLabel(name);
    progress_grid_->addWidget(p.name, row, 0);
    progress_grid_->addWidget(p.bar, row, 1);
    progress_grid_->addWidget(p.label, row, 2);
    connect(p.label, &QLabel::linkActivated, this, [this, name] {
      show_failure(tr("Deploy to %1 failed").arg(name), progress_[name].error);
    });
    progress_[name] = p;
    ++row;
  }
  const QString type = variant_->currentData().toString();
  run_cli(
      tr("Deploying %1 to %2...").arg(type, names.join(QStringLiteral(", "))),
      {QStringLiteral("deploy"), QStringLiteral("--project"), project_folder(),
       QStringLiteral("--device"), names.join(QLatin1Char(',')), QStringLiteral("--type"), type,
       QStringLiteral("--json")},
      [this, names](int code, const QString&, const QString& err) {
        session_.reload();
        int failed = 0;
        for (const auto& name : names)
          failed += !progress_[name].error.isEmpty();
        if (code == 0) {
          status_->setText(tr("Deployed to %1.").arg(names.join(QStringLiteral(", "))));
          return;
        }
        // A failure before any device started (no export, unknown device) has no result line.
        bool any_result = false;
        for (const auto& name : names)
          any_result |= progress_[name].label->text() != tr("connecting...");
        if (!any_result) return show_failure(tr("Could not deploy"), err);
        status_->setText(tr("The deploy failed on %n device(s): see the lines above.", "", failed));
      });
}

void DeployPage::on_deploy_event(const json& e) {
  const QString device = QString::fromStdString(e.value("device", ""));
  const auto it = progress_.find(device);
  if (it == progress_.end()) return;
  auto& p = it->second;
  const std::string event = e.value("event", "");
  if (event == "package") {
    p.label->setText(
        tr("sending with the %1 runtime...").arg(QString::fromStdString(e.value("arch", ""))));
  } else if (event == "progress") {
    const std::string stage = e.value("stage", "");
    const double done = e.value("done", 0.0), total = e.value("total", 0.0);
    static const std::map<std::string, const char*> kStages = {
        {"check", QT_TR_NOOP("checking what is there")},
        {"upload", QT_TR_NOOP("uploading")},
        {"verify", QT_TR_NOOP("checking the files on the device")},
        {"run", QT_TR_NOOP("running the model once")},
        {"switch", QT_TR_NOOP("making it current")},
        {"done", QT_TR_NOOP("done")}};
    const auto name = kStages.find(stage);
    p.label->setText(name == kStages.end() ? QString::fromStdString(stage) : tr(name->second));
    // Upload is most of the time: it fills 0..90%; the checks and the switch the rest.
    int value = p.bar->value();
    if (stage == "upload" && total > 0) value = int(90.0 * done / total);
    if (stage == "verify") value = 92;
    if (stage == "run") value = 95;
    if (stage == "switch") value = 98;
    p.bar->setValue(std::max(p.bar->value(), value));
  } else if (event == "result") {
    const double seconds = e.value("seconds", 0.0);
    if (e.value("ok", false)) {
      p.bar->setValue(100);
      const double sent = e.value("bytes_sent", 0.0), resumed = e.value("bytes_resumed", 0.0);
      QString text = e.value("unchanged", false)
                         ? tr("unchanged: nothing sent")
                         : tr("sent %1 in %2 s").arg(format_size(sent)).arg(seconds, 0, 'f', 1);
      if (resumed > 0) text += tr(" (%1 resumed)").arg(format_size(resumed));
      // A version mismatch is shown, never silent (core/deploy/install.h version_notes).
      QStringList notes;
      for (const auto& note : e.value("notes", json::array()))
        if (note.is_string())
          notes << QString::fromStdString(note.get<std::string>()).toHtmlEscaped();
      if (!notes.isEmpty())
        text += QStringLiteral("<br><span style=\"color:#a15c00\">%1</span>")
                    .arg(notes.join(QStringLiteral("<br>")));
      p.label->setText(text);
    } else {
      p.error = QString::fromStdString(e.value("error", ""));
      p.label->setText(tr("<b>failed:</b> %1 <a href=\"#details\">Details...</a>")
                           .arg(explain_failure(p.error).toHtmlEscaped()));
    }
  }
}

}  // namespace tinyllm::ui
