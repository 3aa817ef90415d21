#include "run_on_picker.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QObject>
#include <QSignalBlocker>
#include <QSpinBox>

#include <algorithm>

#include "deploy/device.h"

namespace tinyllm::ui {

namespace {
// An item's data under this role: the fewest GPUs among its hosts (0 for this computer).
constexpr int kGpusRole = Qt::UserRole + 1;
}  // namespace

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
  int fewest_gpus = 0;
  if (auto devices = deploy::load_devices(project_root))
    for (const auto& d : *devices) {
      names << QString::fromStdString(d.name);
      picker->addItem(QObject::tr("%1 (over SSH)").arg(names.back()), names.back());
      picker->setItemData(picker->count() - 1, d.train_gpus, kGpusRole);
      fewest_gpus = names.size() == 1 ? d.train_gpus : std::min(fewest_gpus, d.train_gpus);
    }
  if (names.size() > 1) {
    picker->addItem(
        QObject::tr("All %1 hosts, data-parallel: %2").arg(names.size()).arg(names.join(", ")),
        names.join(QLatin1Char(',')));
    picker->setItemData(picker->count() - 1, fewest_gpus, kGpusRole);
  }
  picker->setCurrentIndex(std::max(0, picker->findData(chosen)));
}

QWidget* make_gpus_per_host(QComboBox* picker) {
  auto* row = new QWidget;
  auto* layout = new QHBoxLayout(row);
  layout->setContentsMargins(0, 0, 0, 0);
  auto* spin = new QSpinBox;
  spin->setObjectName(QStringLiteral("gpusPerHost"));
  spin->setToolTip(QObject::tr(
      "One worker per GPU on every chosen host (--gpus): the step's batch is shared among all "
      "of them. The hosts' GPUs are what their last training probe found."));
  auto* label = new QLabel(QObject::tr("&GPUs per host:"));
  label->setBuddy(spin);
  layout->addWidget(label);
  layout->addWidget(spin);
  layout->addStretch(1);
  QObject::connect(picker, &QComboBox::currentIndexChanged, row,
                   [row, picker] { update_gpus_per_host(row, picker); });
  update_gpus_per_host(row, picker);
  return row;
}

QSpinBox* gpus_per_host_spin(QWidget* row) {
  return row->findChild<QSpinBox*>(QStringLiteral("gpusPerHost"));
}

void update_gpus_per_host(QWidget* row, const QComboBox* picker) {
  const int gpus = picker->currentData(kGpusRole).toInt();
  auto* spin = gpus_per_host_spin(row);
  spin->setRange(1, std::max(1, gpus));
  if (gpus > 0 && spin->value() == 1) spin->setValue(gpus);  // all of them, unless changed
  row->setVisible(gpus > 0);
}

QStringList run_on_arguments(const QComboBox* picker, QWidget* gpus_row) {
  const QString hosts = picker->currentData().toString();
  if (hosts.isEmpty()) return {};
  QStringList args = {QStringLiteral("--on"), hosts};
  if (gpus_row && picker->currentData(kGpusRole).toInt() > 0)
    args << QStringLiteral("--gpus") << QString::number(gpus_per_host_spin(gpus_row)->value());
  return args;
}

QStringList ran_on_hosts(const nlohmann::json& outcome) {
  if (!outcome.is_object() || !outcome.contains("ran_on") || !outcome["ran_on"].is_array())
    return {};
  QStringList hosts;
  for (const auto& h : outcome["ran_on"])
    if (h.is_string()) hosts << QString::fromStdString(h.get<std::string>());
  return hosts;
}

QString ran_on_text(const nlohmann::json& outcome) {
  const QStringList hosts = ran_on_hosts(outcome);
  return hosts.isEmpty() ? QString() : QObject::tr(" (on %1)").arg(hosts.join(", "));
}

}  // namespace tinyllm::ui
