// The "Run on" choice of the training pages: this computer, one of the project's devices over
// SSH, or all of them data-parallel (`tinyllm train|finetune --on`, docs/training-hosts.md).
#pragma once

#include <QString>
#include <QStringList>

#include <filesystem>

#include <nlohmann/json.hpp>

class QComboBox;

namespace tinyllm::ui {

QComboBox* make_run_on_picker();
// Lists the project's devices (none when `project_root` is empty), keeping the choice if it is
// still there.
void fill_run_on_picker(QComboBox* picker, const std::filesystem::path& project_root);
// The CLI arguments for the choice: {"--on", "a,b"}, or none for this computer.
QStringList run_on_arguments(const QComboBox* picker);
// " (on a, b)" for a run recorded as trained elsewhere (its artifact's outcome), else "".
QString ran_on_text(const nlohmann::json& outcome);

}  // namespace tinyllm::ui
