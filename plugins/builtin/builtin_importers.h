// Factories for the built-in importers and task templates (one file each).
#pragma once

#include <memory>

#include "data/csv.h"
#include "data/importer.h"
#include "data/serialize.h"

namespace tinyllm::plugins {

std::unique_ptr<data::Importer> make_imu_csv_importer();
std::unique_ptr<data::Importer> make_rssi_csv_importer();
std::unique_ptr<data::Importer> make_mapped_csv_importer();
std::unique_ptr<data::Importer> make_wand_capture_importer();
void add_builtin_task_templates(data::PluginRegistry& registry);

// True when the columns look like access points (WAP001, AP12, MAC addresses, rssi_*).
bool looks_like_rssi(const data::CsvSniff& sniff);

}  // namespace tinyllm::plugins
