// The Deploy page's dialogs answered the way a user would, against the loopback sshd: the add
// dialog filled for the fixture's server, and the host-key confirmation accepted.
#pragma once

#include <QGroupBox>
#include <QLineEdit>
#include <QMessageBox>
#include <QSpinBox>
#include <QtTest>

#include <filesystem>

#include "device_dialog.h"
#include "modal_answers.h"
#include "sshd_fixture.h"

namespace tinyllm::test {

// Fills the add dialog for a device on `server` and presses its OK button.
inline ModalAnswers::Handler fill_device_dialog(const SshServer& server, const QString& name,
                                                const std::filesystem::path& key,
                                                const std::filesystem::path& known_hosts,
                                                const std::filesystem::path& folder) {
  const int port = server.port();
  const QString user = QString::fromStdString(server.user());
  return [=](QWidget* w) {
    auto* dialog = qobject_cast<ui::DeviceDialog*>(w);
    QVERIFY(dialog);
    dialog->name_edit()->setText(name);
    dialog->host_edit()->setText("127.0.0.1");
    dialog->port_spin()->setValue(port);
    dialog->user_edit()->setText(user);
    dialog->key_edit()->setText(QString::fromStdString(key.string()));
    dialog->folder_edit()->setText(QString::fromStdString(folder.string()));
    dialog->findChild<QGroupBox*>()->setChecked(true);
    dialog->known_hosts_edit()->setText(QString::fromStdString(known_hosts.string()));
    dialog->accept();
  };
}

// Presses Accept in the host-key confirmation, keeping its text in `*text`.
inline ModalAnswers::Handler accept_host_key(QString* text) {
  return [text](QWidget* w) {
    auto* box = qobject_cast<QMessageBox*>(w);
    QVERIFY(box);
    if (text) *text = box->text();
    for (auto* b : box->buttons())
      if (box->buttonRole(b) == QMessageBox::AcceptRole) b->click();
  };
}

}  // namespace tinyllm::test
