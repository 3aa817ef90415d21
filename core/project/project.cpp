#include "project/project.h"

#include <signal.h>

#include <algorithm>
#include <cerrno>
#include <fstream>

#include "base/files.h"

namespace tinyllm::project {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kFormatName = "tinyllm-project";
constexpr const char* kFolders[] = {"data",        "data/imported", "data/prepared", "tokenizer",
                                    "checkpoints", "exports",       "deployments",   "reports"};

// Reads one typed field; errors name the manifest and the field.
template <class T>
Result<T> field(const json& obj, const char* key, const std::string& where, bool required = true,
                T fallback = T{}) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) {
    if (required) return make_error(where, std::string("missing field '") + key + "'");
    return fallback;
  }
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    return make_error(
        where, std::string("field '") + key + "' has the wrong type (" + it->type_name() + ")");
  }
}

json source_to_json(const Source& s) {
  json files = json::array();
  for (const auto& f : s.files)
    files.push_back({{"path", f.path}, {"sha256", f.sha256}, {"bytes", f.bytes}});
  json j = {{"id", s.id},     {"importer", s.importer}, {"kind", s.kind},
            {"files", files}, {"mapping", s.mapping},   {"store", s.store},
            {"rows", s.rows}, {"series", s.series},     {"imported", s.imported}};
  if (!s.origin.empty()) j["origin"] = s.origin;
  return j;
}

Result<Source> source_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return make_error(where, "is not an object");
  Source s;
  TINYLLM_TRY_ASSIGN(id, field<std::string>(j, "id", where));
  s.id = id;
  const std::string at = where + " (source '" + s.id + "')";
  TINYLLM_TRY_ASSIGN(importer, field<std::string>(j, "importer", at));
  TINYLLM_TRY_ASSIGN(kind, field<std::string>(j, "kind", at));
  TINYLLM_TRY_ASSIGN(store, field<std::string>(j, "store", at));
  TINYLLM_TRY_ASSIGN(rows, field<uint64_t>(j, "rows", at, false));
  TINYLLM_TRY_ASSIGN(series, field<uint64_t>(j, "series", at, false));
  TINYLLM_TRY_ASSIGN(imported, field<std::string>(j, "imported", at, false));
  s.importer = importer;
  s.kind = kind;
  s.store = store;
  s.rows = rows;
  s.series = series;
  s.imported = imported;
  s.mapping = j.value("mapping", json::object());
  s.origin = j.value("origin", json::object());
  auto files = j.find("files");
  if (files == j.end() || !files->is_array()) return make_error(at, "field 'files' must be a list");
  for (const auto& f : *files) {
    SourceFile sf;
    TINYLLM_TRY_ASSIGN(path, field<std::string>(f, "path", at + " file"));
    TINYLLM_TRY_ASSIGN(sha, field<std::string>(f, "sha256", at + " file '" + path + "'"));
    TINYLLM_TRY_ASSIGN(bytes, field<uint64_t>(f, "bytes", at + " file '" + path + "'", false));
    sf.path = path;
    sf.sha256 = sha;
    sf.bytes = bytes;
    s.files.push_back(std::move(sf));
  }
  return s;
}

json artifact_to_json(const Artifact& a) {
  return {{"id", a.id},
          {"kind", a.kind},
          {"path", a.path},
          {"sha256", a.sha256},
          {"created", a.created},
          {"inputs", a.inputs},
          {"settings", a.settings},
          {"input_sha256", a.input_sha256},
          {"outcome", a.outcome}};
}

Result<Artifact> artifact_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return make_error(where, "is not an object");
  Artifact a;
  TINYLLM_TRY_ASSIGN(id, field<std::string>(j, "id", where));
  const std::string at = where + " (artifact '" + id + "')";
  TINYLLM_TRY_ASSIGN(kind, field<std::string>(j, "kind", at));
  TINYLLM_TRY_ASSIGN(path, field<std::string>(j, "path", at));
  TINYLLM_TRY_ASSIGN(sha, field<std::string>(j, "sha256", at, false));
  TINYLLM_TRY_ASSIGN(created, field<std::string>(j, "created", at, false));
  TINYLLM_TRY_ASSIGN(inputs, field<std::vector<std::string>>(j, "inputs", at, false));
  TINYLLM_TRY_ASSIGN(input_sha, field<std::vector<std::string>>(j, "input_sha256", at, false));
  a.id = id;
  a.kind = kind;
  a.path = path;
  a.sha256 = sha;
  a.created = created;
  a.inputs = inputs;
  a.input_sha256 = input_sha;
  a.settings = j.value("settings", json::object());
  a.outcome = j.value("outcome", json::object());
  return a;
}

// Schema 1 -> 2: paths to files inside the project become relative to it. Paths of a project
// moved before this ran point at the old place and stay as they are: they were never inside.
void migrate_v1_paths(Project& p) {
  for (auto& s : p.sources)
    for (auto& f : s.files)
      f.path = stored_path(p.root, f.path);
  for (auto& a : p.artifacts)
    for (const char* key : {"out_dir", "data_dir"})
      if (a.settings.is_object() && a.settings.contains(key) && a.settings[key].is_string())
        a.settings[key] = stored_path(p.root, a.settings[key].get<std::string>());
}

bool process_alive(long pid) {
  return pid > 0 && (::kill(pid_t(pid), 0) == 0 || errno == EPERM);
}

}  // namespace

const TaskKind* find_task(std::string_view task) {
  for (const auto& t : kTaskKinds)
    if (task == t.task) return &t;
  return nullptr;
}

const TaskKind* task_for_sensor(std::string_view sensor_kind) {
  for (const auto& t : kTaskKinds)
    if (sensor_kind == t.sensor_kind) return &t;
  return nullptr;
}

bool is_inside(const fs::path& root, const fs::path& path) {
  std::error_code ec;
  const fs::path r = fs::weakly_canonical(fs::absolute(root, ec), ec);
  const fs::path q = fs::weakly_canonical(fs::absolute(path, ec), ec);
  auto ri = r.begin(), qi = q.begin();
  for (; ri != r.end(); ++ri, ++qi) {
    if (ri->empty() && std::next(ri) == r.end()) break;  // a trailing separator
    if (qi == q.end() || *ri != *qi) return false;
  }
  return true;
}

std::string stored_path(const fs::path& root, const fs::path& path) {
  if (path.is_relative()) return path.generic_string();
  if (!is_inside(root, path)) return path.string();
  std::error_code ec;
  const fs::path rel =
      fs::weakly_canonical(path, ec).lexically_relative(fs::weakly_canonical(root, ec));
  return rel.empty() ? "." : rel.generic_string();
}

fs::path resolve_path(const fs::path& root, const std::string& stored) {
  const fs::path p(stored);
  return p.is_relative() ? root / p : p;
}

int remove_stale_temp_files(const fs::path& root, fs::file_time_type not_after) {
  int removed = 0;
  std::error_code ec;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const auto owner = temp_file_owner(it->path().filename().string());
    if (!owner) continue;
    std::error_code time_ec;
    const auto written = fs::last_write_time(it->path(), time_ec);
    if (time_ec || written >= not_after || process_alive(*owner)) continue;
    if (it->is_directory(time_ec)) it.disable_recursion_pending();
    std::error_code rm_ec;
    if (fs::remove_all(it->path(), rm_ec) > 0) ++removed;
  }
  return removed;
}

const Source* Project::find_source(const std::string& id) const {
  for (const auto& s : sources)
    if (s.id == id) return &s;
  return nullptr;
}

const Artifact* Project::find_artifact(const std::string& id) const {
  for (const auto& a : artifacts)
    if (a.id == id) return &a;
  return nullptr;
}

std::optional<std::string> Project::checksum_of(const std::string& id) const {
  if (const Source* s = find_source(id)) {
    std::string all;
    for (const auto& f : s->files)
      all += f.sha256;
    return sha256_hex(all + s->mapping.dump());
  }
  if (const Artifact* a = find_artifact(id)) return a->sha256;
  return std::nullopt;
}

bool Project::is_stale(const Artifact& artifact) const {
  if (artifact.input_sha256.size() != artifact.inputs.size()) return true;
  for (size_t i = 0; i < artifact.inputs.size(); ++i) {
    auto now = checksum_of(artifact.inputs[i]);
    if (!now || *now != artifact.input_sha256[i]) return true;
  }
  return false;
}

void Project::put_artifact(Artifact artifact) {
  artifact.input_sha256.clear();
  for (const auto& in : artifact.inputs)
    artifact.input_sha256.push_back(checksum_of(in).value_or(""));
  if (artifact.created.empty()) artifact.created = utc_now_iso8601();
  auto it = std::find_if(artifacts.begin(), artifacts.end(),
                         [&](const Artifact& a) { return a.id == artifact.id; });
  if (it != artifacts.end())
    *it = std::move(artifact);
  else
    artifacts.push_back(std::move(artifact));
}

std::string Project::next_source_id() const {
  for (int n = 1;; ++n) {
    std::string id = "src" + std::to_string(n);
    if (!find_source(id)) return id;
  }
}

json to_json(const Project& p) {
  json sources = json::array();
  for (const auto& s : p.sources)
    sources.push_back(source_to_json(s));
  json artifacts = json::array();
  for (const auto& a : p.artifacts)
    artifacts.push_back(artifact_to_json(a));
  return {{"format", kFormatName},
          {"schema_version", p.schema_version},
          {"name", p.name},
          {"created", p.created},
          {"task", p.task},
          {"sources", sources},
          {"processing", p.processing},
          {"artifacts", artifacts}};
}

Result<Project> project_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) return make_error(where, "is not a JSON object");
  if (j.value("format", "") != kFormatName)
    return make_error(where, std::string("field 'format' must be \"") + kFormatName +
                                 "\"; this is not a TinyLLM project manifest");
  TINYLLM_TRY_ASSIGN(version, field<int>(j, "schema_version", where));
  if (version > kSchemaVersion)
    return make_error(where, "was written by a newer TinyLLM Workbench (schema version " +
                                 std::to_string(version) + ", this program reads up to " +
                                 std::to_string(kSchemaVersion) +
                                 "); update the program. The file was left unchanged.");
  if (version < 1) return make_error(where, "field 'schema_version' must be 1 or more");
  Project p;
  p.schema_version = version;
  TINYLLM_TRY_ASSIGN(name, field<std::string>(j, "name", where));
  TINYLLM_TRY_ASSIGN(created, field<std::string>(j, "created", where));
  TINYLLM_TRY_ASSIGN(task, field<std::string>(j, "task", where, false));
  p.name = name;
  p.created = created;
  p.task = task;
  if (name.empty()) return make_error(where, "field 'name' is empty");
  p.processing = j.value("processing", json::object());
  if (!p.processing.is_object()) return make_error(where, "field 'processing' must be an object");
  auto sources = j.find("sources");
  if (sources != j.end()) {
    if (!sources->is_array()) return make_error(where, "field 'sources' must be a list");
    for (size_t i = 0; i < sources->size(); ++i) {
      TINYLLM_TRY_ASSIGN(
          s, source_from_json((*sources)[i], where + ": sources[" + std::to_string(i) + "]"));
      p.sources.push_back(std::move(s));
    }
  }
  auto artifacts = j.find("artifacts");
  if (artifacts != j.end()) {
    if (!artifacts->is_array()) return make_error(where, "field 'artifacts' must be a list");
    for (size_t i = 0; i < artifacts->size(); ++i) {
      TINYLLM_TRY_ASSIGN(
          a, artifact_from_json((*artifacts)[i], where + ": artifacts[" + std::to_string(i) + "]"));
      p.artifacts.push_back(std::move(a));
    }
  }
  return p;
}

Result<Project> create_project(const fs::path& root, const std::string& name,
                               const std::string& task) {
  if (name.empty()) return make_error(root.string(), "a project needs a name");
  if (!task.empty() && !find_task(task)) {
    std::string known;
    for (const auto& t : kTaskKinds)
      known += std::string(known.empty() ? "'" : " or '") + t.task + "'";
    return make_error(root.string(), "unknown task '" + task + "' (expected " + known + ")");
  }
  std::error_code ec;
  if (fs::exists(root / kManifestName, ec))
    return make_error((root / kManifestName).string(),
                      "a project already exists here; open it instead");
  for (const char* folder : kFolders) {
    fs::create_directories(root / folder, ec);
    if (ec) return make_error((root / folder).string(), "cannot create folder: " + ec.message());
  }
  Project p;
  p.root = fs::absolute(root);
  p.name = name;
  p.task = task;
  p.created = utc_now_iso8601();
  TINYLLM_TRY(save_project(p));
  return p;
}

Result<Project> open_project(const fs::path& root) {
  const fs::path manifest = root / kManifestName;
  std::error_code ec;
  if (!fs::exists(manifest, ec))
    return make_error(root.string(), "not a TinyLLM project (no project.json)");
  TINYLLM_TRY_ASSIGN(text, read_file(manifest));
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // nlohmann reports a byte position; turn it into line:column for the user.
    size_t line = 1, col = 1;
    for (size_t i = 0; i + 1 < e.byte && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return make_error(manifest.string() + ":" + std::to_string(line) + ":" + std::to_string(col),
                      "project.json is not valid JSON; it was left unchanged");
  }
  TINYLLM_TRY_ASSIGN(p, project_from_json(j, manifest.string()));
  p.root = fs::absolute(root);
  if (p.schema_version < kSchemaVersion) {
    // Keep the old manifest byte for byte before the migrated one replaces it.
    const fs::path backup =
        root / (std::string(kManifestName) + ".bak-v" + std::to_string(p.schema_version));
    if (!fs::exists(backup, ec)) TINYLLM_TRY(write_file_atomic(backup, text));
    migrate_v1_paths(p);
    p.schema_version = kSchemaVersion;
    TINYLLM_TRY(save_project(p));
  }
  for (const auto& s : p.sources) {
    if (s.store.empty() || s.store.find("..") != std::string::npos)
      return make_error(manifest.string(), "source '" + s.id + "' has an invalid store path");
  }
  return p;
}

Status validate_project(const fs::path& root) {
  auto p = open_project(root);
  if (!p) return p.error();
  return {};
}

Status save_project(const Project& p) {
  return write_file_atomic(p.root / kManifestName, to_json(p).dump(2) + "\n");
}

}  // namespace tinyllm::project
