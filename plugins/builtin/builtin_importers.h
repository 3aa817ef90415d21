// Factories for the built-in importers and task templates (one file each).
#pragma once

#include <memory>

#include "data/csv.h"
#include "data/importer.h"
#include "data/serialize.h"

namespace tinyllm::plugins {

// The CSV importers differ only in how they guess a mapping; sniffing with the user's delimiter
// and header overrides, the preview, and reading through the mapped engine are shared here.
class CsvImporterBase : public data::Importer {
 public:
  Status read(const std::filesystem::path& file, const nlohmann::json& mapping,
              const data::ImportOptions& options, data::SeriesSink& sink) const override;

 protected:
  // Sniffs the file honouring "delimiter"/"header" overrides and starts a Detection with the
  // notes and a preview of the first rows.
  Result<data::CsvSniff> sniff(const std::filesystem::path& file, const nlohmann::json& overrides,
                               data::Detection& detection) const;
};

std::unique_ptr<data::Importer> make_imu_csv_importer();
std::unique_ptr<data::Importer> make_rssi_csv_importer();
std::unique_ptr<data::Importer> make_mapped_csv_importer();
std::unique_ptr<data::Importer> make_wand_capture_importer();
void add_builtin_task_templates(data::PluginRegistry& registry);

// True when the columns look like access points (WAP001, AP12, MAC addresses, rssi_*).
bool looks_like_rssi(const data::CsvSniff& sniff);

}  // namespace tinyllm::plugins
