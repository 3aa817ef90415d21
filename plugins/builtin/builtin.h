// The importers and task templates that ship with the workbench. They use the same extension
// points as a user's plugin (see plugins/example_jsonl) and are registered at start-up.
#pragma once

#include "data/importer.h"

namespace tinyllm::plugins {

void register_builtin_plugins(data::PluginRegistry& registry);

// The folder where a user's plugins are looked for: $TINYLLM_PLUGIN_PATH, else
// ~/.local/share/tinyllm/plugins.
std::filesystem::path user_plugin_folder();

}  // namespace tinyllm::plugins
