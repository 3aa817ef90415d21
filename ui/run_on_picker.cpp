#include "run_on_picker.h"

#include <QComboBox>
#include <QObject>
#include <QSignalBlocker>

#include <algorithm>

#include "deploy/device.h"

namespace tinyllm::ui {

QComboBox* make_run_on_picker() {
  auto* picker = new QComboBox;
  picker->setToolTip(QObject::tr(
      "Train on this computer, or on other computers over SSH: a GPU box, or several hosts that "
      "share every step (data-parallel). Add them on the Deploy page; the project's files go "
      "there and the checkpoints come back as they are written."));
  fill_run_on_picker(picker, {});
  return picker;
}

void fill_run_on_picker(QComboBox* picker, const std::filesystem::path& project_root) {
  const QString chosen = picker->currentData().toString();
  QSignalBlocker block(picker);
  picker->clear();
  picker->addItem(QObject::tr("This computer"), QString());
  if (project_root.empty()) return;
  QStringList names;
  if (auto devices = deploy::load_devices(project_root))
    for (const auto& d : *devices)
      names << QString::fromStdString(d.name);
  for (const QString& name : names)
    picker->addItem(QObject::tr("%1 (over SSH)").arg(name), name);
  if (names.size() > 1)
    picker->addItem(
        QObject::tr("All %1 hosts, data-parallel: %2").arg(names.size()).arg(names.join(", ")),
        names.join(QLatin1Char(',')));
  picker->setCurrentIndex(std::max(0, picker->findData(chosen)));
}

QStringList run_on_arguments(const QComboBox* picker) {
  const QString hosts = picker->currentData().toString();
  if (hosts.isEmpty()) return {};
  return {QStringLiteral("--on"), hosts};
}

QString ran_on_text(const nlohmann::json& outcome) {
  if (!outcome.is_object() || !outcome.contains("ran_on") || !outcome["ran_on"].is_array())
    return {};
  QStringList hosts;
  for (const auto& h : outcome["ran_on"])
    if (h.is_string()) hosts << QString::fromStdString(h.get<std::string>());
  return hosts.isEmpty() ? QString() : QObject::tr(" (on %1)").arg(hosts.join(", "));
}

}  // namespace tinyllm::ui
