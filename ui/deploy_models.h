// Table models of the Deploy page over core/deploy's records: the project's devices (profile,
// what the last probe said, the last install) and the runs measured on them and on the desktop
// (deployments/<device>/results/). They only adapt core data; reload() reads the project again.
#pragma once

#include <QAbstractTableModel>

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "deploy/device.h"
#include "deploy/remote_run.h"

namespace tinyllm::ui {

class DeviceTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { kName, kSsh, kMachine, kRuntime, kDeployed, kColumnCount };
  using QAbstractTableModel::QAbstractTableModel;

  // Reads deployments/devices.json and each device's installs.json; the error in words, or "".
  QString reload(const std::filesystem::path& project_root);
  void clear();
  const std::vector<deploy::DeviceProfile>& devices() const { return devices_; }
  // The newest install on row `row` (null when none).
  const nlohmann::json& last_install(int row) const { return last_install_[size_t(row)]; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

 private:
  std::vector<deploy::DeviceProfile> devices_;
  std::vector<nlohmann::json> last_install_;
};

// Bench and eval runs, oldest first; the desktop's run of the same file right after the device's.
class RunTableModel : public QAbstractTableModel {
  Q_OBJECT
 public:
  enum Column { kTime, kDevice, kVersion, kMode, kNumbers, kColumnCount };
  using QAbstractTableModel::QAbstractTableModel;

  QString reload(const std::filesystem::path& project_root);
  void clear();
  const std::vector<deploy::RunRecord>& runs() const { return runs_; }

  int rowCount(const QModelIndex& parent = {}) const override;
  int columnCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QVariant headerData(int section, Qt::Orientation o, int role = Qt::DisplayRole) const override;

 private:
  std::vector<deploy::RunRecord> runs_;
};

// A run's numbers in one line: "93.8% of 81, 4.1 ms each" (eval), "850 prompt tok/s, 120 gen
// tok/s, 12.3 MiB" (bench).
QString run_numbers(const deploy::RunRecord& run);
// A probe in a few words: "x86_64 (64-bit userland), Raspberry Pi 4 Model B".
QString describe_probe(const deploy::ProbeResult& probe);

}  // namespace tinyllm::ui
