#include <dlfcn.h>

#include "data/importer.h"
#include "data/serialize.h"

namespace tinyllm::data {
namespace fs = std::filesystem;

struct PluginRegistry::Library {
  void* handle = nullptr;
  explicit Library(void* h) : handle(h) {}
  ~Library() {
    if (handle) ::dlclose(handle);
  }
  Library(const Library&) = delete;
  Library& operator=(const Library&) = delete;
};

PluginRegistry::PluginRegistry() = default;

PluginRegistry::~PluginRegistry() {
  // Objects made by a plugin must go before the library that holds their code.
  tasks_.clear();
  importers_.clear();
  libraries_.clear();
}

void PluginRegistry::add_importer(std::unique_ptr<Importer> importer) {
  importers_.push_back(std::move(importer));
}

void PluginRegistry::add_task_template(std::unique_ptr<TaskTemplate> task) {
  tasks_.push_back(std::move(task));
}

const Importer* PluginRegistry::importer(std::string_view id) const {
  for (const auto& i : importers_)
    if (i->id() == id) return i.get();
  return nullptr;
}

const TaskTemplate* PluginRegistry::task_template(std::string_view id) const {
  for (const auto& t : tasks_)
    if (t->id() == id) return t.get();
  return nullptr;
}

std::vector<const Importer*> PluginRegistry::importers() const {
  std::vector<const Importer*> out;
  for (const auto& i : importers_)
    out.push_back(i.get());
  return out;
}

std::vector<const TaskTemplate*> PluginRegistry::task_templates() const {
  std::vector<const TaskTemplate*> out;
  for (const auto& t : tasks_)
    out.push_back(t.get());
  return out;
}

Result<Detection> PluginRegistry::detect(const fs::path& file, const nlohmann::json& overrides,
                                         std::string_view forced) const {
  if (!forced.empty()) {
    const Importer* imp = importer(forced);
    if (!imp) {
      std::string known;
      for (const auto& i : importers_)
        known += (known.empty() ? "" : ", ") + i->id();
      return make_error(file.string(),
                        "no importer '" + std::string(forced) + "' (known: " + known + ")");
    }
    TINYLLM_TRY_ASSIGN(d, imp->detect(file, overrides));
    if (d.confidence == 0)
      return make_error(file.string(), "the " + std::string(forced) +
                                           " importer cannot read this file" +
                                           (d.notes.empty() ? "" : ": " + d.notes.back()));
    return d;
  }
  std::optional<Detection> best;
  std::optional<Error> first_error;
  for (const auto& imp : importers_) {
    auto d = imp->detect(file, overrides);
    if (!d) {
      if (!first_error) first_error = d.error();
      continue;
    }
    if (d->confidence > 0 && (!best || d->confidence > best->confidence)) best = std::move(*d);
  }
  if (best) return std::move(*best);
  if (first_error) return *first_error;
  return make_error(file.string(),
                    "no importer recognizes this file; give a mapping (see "
                    "docs/data.md) or pick an importer");
}

Status PluginRegistry::load_plugin(const fs::path& library) {
  void* handle = ::dlopen(library.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return make_error(library.string(), std::string("cannot load plugin: ") + ::dlerror());
  auto lib = std::make_unique<Library>(handle);
  auto version = reinterpret_cast<tinyllm_plugin_abi_version_fn>(
      ::dlsym(handle, "tinyllm_plugin_abi_version"));
  auto reg =
      reinterpret_cast<tinyllm_register_plugin_fn>(::dlsym(handle, "tinyllm_register_plugin"));
  if (!version || !reg)
    return make_error(library.string(),
                      "not a TinyLLM plugin (it does not export "
                      "tinyllm_plugin_abi_version and tinyllm_register_plugin)");
  if (int v = version(); v != TINYLLM_PLUGIN_ABI_VERSION)
    return make_error(library.string(), "plugin was built for plugin ABI " + std::to_string(v) +
                                            ", this program has " +
                                            std::to_string(TINYLLM_PLUGIN_ABI_VERSION) +
                                            "; rebuild the plugin");
  libraries_.push_back(std::move(lib));
  reg(*this);
  return {};
}

PluginRegistry::PluginLoadReport PluginRegistry::load_plugins_from(const fs::path& folder) {
  PluginLoadReport report;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return report;
  std::vector<fs::path> libs;
  for (const auto& entry : fs::directory_iterator(folder, ec))
    if (entry.path().extension() == ".so") libs.push_back(entry.path());
  std::sort(libs.begin(), libs.end());
  for (const auto& lib : libs) {
    if (auto loaded = load_plugin(lib); loaded)
      report.loaded.push_back(lib.filename().string());
    else
      report.failed.push_back(loaded.error());
  }
  return report;
}

}  // namespace tinyllm::data
