// The "Run on" choice of the training pages: this computer, one of the project's devices over
// SSH, or all of them data-parallel (`tinyllm train|finetune --on`, docs/training-hosts.md).
#pragma once

#include <QString>
#include <QStringList>

#include <filesystem>

#include <nlohmann/json.hpp>

class QComboBox;
class QSpinBox;
class QWidget;

namespace tinyllm::ui {

QComboBox* make_run_on_picker();
// Lists the project's devices (none when `project_root` is empty), keeping the choice if it is
// still there.
void fill_run_on_picker(QComboBox* picker, const std::filesystem::path& project_root);
// "GPUs per host" (--gpus) for the picker's choice: a row (label and spin box) shown only when
// every chosen host's worker reported GPUs at its last training probe, up to the fewest of them.
// It follows the picker's choice; call update_gpus_per_host after filling the picker again.
QWidget* make_gpus_per_host(QComboBox* picker);
void update_gpus_per_host(QWidget* row, const QComboBox* picker);
QSpinBox* gpus_per_host_spin(QWidget* row);
// The CLI arguments for the choice: {"--on", "a,b"} (and {"--gpus", "N"} when the GPUs row is
// shown), or none for this computer.
QStringList run_on_arguments(const QComboBox* picker, QWidget* gpus_row = nullptr);
// The hosts a run was recorded as trained on (its artifact's outcome "ran_on"); none when here.
QStringList ran_on_hosts(const nlohmann::json& outcome);
// " (on a, b)" for a run recorded as trained elsewhere, else "".
QString ran_on_text(const nlohmann::json& outcome);

}  // namespace tinyllm::ui
