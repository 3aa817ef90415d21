#include "deploy_models.h"

#include <QColor>
#include <QGuiApplication>
#include <QPalette>

#include "deploy/project_deploy.h"

namespace tinyllm::ui {

QString describe_probe(const deploy::ProbeResult& p) {
  QString s = QString::fromStdString(p.machine);
  if (p.userland_bits) s += QObject::tr(" (%1-bit userland)").arg(p.userland_bits);
  if (!p.board.empty()) s += QStringLiteral(", ") + QString::fromStdString(p.board);
  return s;
}

QString run_numbers(const deploy::RunRecord& r) {
  const auto& j = r.result;
  if (r.mode == "bench")
    return QObject::tr("%1 prompt tok/s, %2 gen tok/s, %3 MiB")
        .arg(j.value("prompt_tokens_per_s", 0.0), 0, 'f', 0)
        .arg(j.value("gen_tokens_per_s", 0.0), 0, 'f', 0)
        .arg(j.value("peak_rss_mib", 0.0), 0, 'f', 1);
  if (r.mode == "eval")
    return QObject::tr("%1% of %2, %3 ms each")
        .arg(100.0 * j.value("accuracy", 0.0), 0, 'f', 1)
        .arg(j.value("examples", 0))
        .arg(j.value("mean_latency_ms", 0.0), 0, 'f', 1);
  return QObject::tr("%1 in %2 ms")
      .arg(QString::fromStdString(j.value("label", "")))
      .arg(j.value("latency_ms", 0.0), 0, 'f', 1);
}

// ---- devices

QString DeviceTableModel::reload(const std::filesystem::path& root) {
  beginResetModel();
  devices_.clear();
  last_install_.clear();
  QString error;
  auto devices = deploy::load_devices(root);
  if (devices) {
    devices_ = std::move(*devices);
    for (const auto& d : devices_) {
      auto list = deploy::installs(root, d.name);
      last_install_.push_back(list && !list->empty() ? list->back() : nlohmann::json());
    }
  } else {
    error = QString::fromStdString(devices.error().to_string());
  }
  endResetModel();
  return error;
}

void DeviceTableModel::clear() {
  beginResetModel();
  devices_.clear();
  last_install_.clear();
  endResetModel();
}

int DeviceTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(devices_.size());
}

int DeviceTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant DeviceTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& d = devices_[size_t(index.row())];
  const auto& install = last_install_[size_t(index.row())];
  if (role == Qt::ToolTipRole && d.probe && index.column() == kMachine)
    return tr("%1\n%2, %3 cores\nfree disk in %4: %5 MiB\nprobed %6")
        .arg(QString::fromStdString(d.probe->os), QString::fromStdString(d.probe->cpu))
        .arg(d.probe->cores)
        .arg(QString::fromStdString(d.install_dir))
        .arg(d.probe->disk_free_bytes / (1024 * 1024))
        .arg(QString::fromStdString(d.probe->probed));
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case kName:
      return QString::fromStdString(d.name);
    case kSsh:
      return QString::fromStdString(d.ssh.label());
    case kMachine:
      return d.probe ? describe_probe(*d.probe) : tr("not probed");
    case kRuntime: {
      auto arch = deploy::runtime_arch_for(d);
      return arch ? QString::fromStdString(*arch) +
                        (d.runner.empty() ? QString()
                                          : tr(" via %1").arg(QString::fromStdString(d.runner)))
                  : tr("none");
    }
    case kDeployed:
      if (install.is_null()) return tr("nothing yet");
      return tr("%1 %2 (%3)")
          .arg(QString::fromStdString(install.value("version", "")),
               QString::fromStdString(install.value("type", "")),
               QString::fromStdString(install.value("time", "").substr(0, 10)));
  }
  return {};
}

QVariant DeviceTableModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* kNames[] = {QT_TR_NOOP("Device"), QT_TR_NOOP("Login"), QT_TR_NOOP("Machine"),
                                 QT_TR_NOOP("Runtime build"), QT_TR_NOOP("Last deployed")};
  return section < kColumnCount ? tr(kNames[section]) : QVariant();
}

// ---- runs

QString RunTableModel::reload(const std::filesystem::path& root) {
  beginResetModel();
  runs_.clear();
  QString error;
  auto runs = deploy::load_runs(root);
  if (runs) {
    for (auto& r : *runs)
      if (r.mode == "bench" || r.mode == "eval") runs_.push_back(std::move(r));
  } else {
    error = QString::fromStdString(runs.error().to_string());
  }
  endResetModel();
  return error;
}

void RunTableModel::clear() {
  beginResetModel();
  runs_.clear();
  endResetModel();
}

int RunTableModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : int(runs_.size());
}

int RunTableModel::columnCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : kColumnCount;
}

QVariant RunTableModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= rowCount()) return {};
  const auto& r = runs_[size_t(index.row())];
  const bool desktop = r.device == deploy::kDesktopDevice;
  if (role == Qt::ForegroundRole && desktop)
    return QGuiApplication::palette().color(QPalette::PlaceholderText);
  if (role != Qt::DisplayRole) return {};
  switch (index.column()) {
    case kTime: {
      QString t = QString::fromStdString(r.time).left(19);
      return t.replace(QLatin1Char('T'), QLatin1Char(' '));
    }
    case kDevice:
      return QString::fromStdString(r.device);
    case kVersion:
      return QString::fromStdString(r.version);
    case kMode:
      return QString::fromStdString(r.mode);
    case kNumbers:
      return run_numbers(r);
  }
  return {};
}

QVariant RunTableModel::headerData(int section, Qt::Orientation o, int role) const {
  if (o != Qt::Horizontal || role != Qt::DisplayRole) return {};
  static const char* kNames[] = {QT_TR_NOOP("Time (UTC)"), QT_TR_NOOP("Where"),
                                 QT_TR_NOOP("Version"), QT_TR_NOOP("Measured"),
                                 QT_TR_NOOP("Result")};
  return section < kColumnCount ? tr(kNames[section]) : QVariant();
}

}  // namespace tinyllm::ui
