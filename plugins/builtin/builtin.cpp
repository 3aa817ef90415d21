#include "builtin.h"

#include <cstdlib>

#include "builtin_importers.h"

namespace tinyllm::plugins {

void register_builtin_plugins(data::PluginRegistry& registry) {
  // Order breaks ties in detection: the specific formats first.
  registry.add_importer(make_wand_capture_importer());
  registry.add_importer(make_mapped_csv_importer());
  registry.add_importer(make_rssi_csv_importer());
  registry.add_importer(make_imu_csv_importer());
  add_builtin_task_templates(registry);
}

std::filesystem::path user_plugin_folder() {
  if (const char* env = std::getenv("TINYLLM_PLUGIN_PATH"); env && *env) return env;
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".local/share/tinyllm/plugins";
  return {};
}

}  // namespace tinyllm::plugins
