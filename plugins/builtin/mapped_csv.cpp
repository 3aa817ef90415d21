// The generic mapped CSV importer: reads any CSV the user describes with a complete mapping
// (see core/data/mapping.h). It claims a file only when such a mapping is given.
#include "builtin_importers.h"
#include "data/mapping.h"

namespace tinyllm::plugins {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

class MappedCsvImporter : public CsvImporterBase {
 public:
  std::string id() const override { return "mapped-csv"; }
  std::string description() const override {
    return "any CSV, read through a mapping you give (columns -> time, channels, label, ...)";
  }
  Result<data::Detection> detect(const fs::path& file, const json& overrides) const override {
    data::Detection d;
    TINYLLM_TRY_ASSIGN(sniff, this->sniff(file, overrides, d));
    if (!overrides.is_object() || !overrides.contains("channels")) {
      d.notes.push_back("needs a mapping with at least 'channels'");
      return d;
    }
    json base = {{"delimiter", std::string(1, sniff.delimiter)}, {"header", sniff.has_header}};
    d.mapping = data::merge_mapping(base, overrides);
    TINYLLM_TRY(data::mapping_from_json(d.mapping));
    d.confidence = 95;  // the user said exactly how to read it
    return d;
  }
};

}  // namespace

std::unique_ptr<data::Importer> make_mapped_csv_importer() {
  return std::make_unique<MappedCsvImporter>();
}

}  // namespace tinyllm::plugins
