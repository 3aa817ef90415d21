#include "data/store.h"

#include <cstring>

namespace tinyllm::data {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {
constexpr char kMagic[8] = {'T', 'L', 'S', 'T', 'O', 'R', 'E', '1'};
constexpr char kEndMagic[8] = {'T', 'L', 'S', 'T', 'O', 'R', 'E', 'X'};
constexpr uint32_t kVersion = 1;
constexpr uint32_t kRecordMagic = 0x43455253;  // "SREC"
constexpr uint64_t kHeaderBytes = 16;
constexpr uint64_t kTrailerBytes = 24;

std::string hex_offset(uint64_t offset) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "@0x%llx", static_cast<unsigned long long>(offset));
  return buf;
}
}  // namespace

json schema_to_json(const Schema& s) {
  json channels = json::array();
  for (const auto& c : s.channels)
    channels.push_back({{"name", c.name}, {"unit", c.unit}});
  json targets = json::array();
  for (const auto& t : s.targets)
    targets.push_back({{"name", t.name}, {"unit", t.unit}});
  return {{"kind", to_string(s.kind)},
          {"channels", channels},
          {"targets", targets},
          {"sample_rate_hz", s.sample_rate_hz}};
}

Result<Schema> schema_from_json(const json& j, const std::string& where) {
  Schema s;
  try {
    auto kind = sensor_kind_from_string(j.at("kind").get<std::string>());
    if (!kind) return make_error(where, "schema: unknown sensor kind");
    s.kind = *kind;
    for (const auto& c : j.at("channels"))
      s.channels.push_back({c.at("name").get<std::string>(), c.value("unit", "")});
    for (const auto& t : j.value("targets", json::array()))
      s.targets.push_back({t.at("name").get<std::string>(), t.value("unit", "")});
    s.sample_rate_hz = j.value("sample_rate_hz", 0.0);
  } catch (const json::exception& e) {
    return make_error(where, std::string("schema: ") + e.what());
  }
  return s;
}

Result<SeriesStoreWriter> SeriesStoreWriter::create(const fs::path& path, Schema schema) {
  TINYLLM_TRY_ASSIGN(file, AtomicFile::create(path));
  uint32_t version = kVersion, reserved = 0;
  TINYLLM_TRY(file.write(kMagic, sizeof kMagic));
  TINYLLM_TRY(file.write(&version, 4));
  TINYLLM_TRY(file.write(&reserved, 4));
  return SeriesStoreWriter(std::move(file), std::move(schema));
}

Status SeriesStoreWriter::write(const Series& s) {
  const size_t rows = s.rows(), nc = schema_.channels.size(), nt = schema_.targets.size();
  const bool has_time = !s.time_s.empty();
  if (s.values.size() != rows * nc || s.targets.size() != rows * nt ||
      (has_time && s.time_s.size() != rows) || s.lines.size() != rows)
    return make_error(s.id, "internal: series arrays do not match its row count");
  SeriesInfo info{s.id, s.subject, s.session, s.origin, file_.bytes_written(), rows, has_time, {}};
  for (int32_t l : s.labels)
    if (l != kNoLabel) ++info.label_counts[l];
  uint32_t magic = kRecordMagic, flags = has_time ? 1 : 0;
  uint64_t n = rows;
  TINYLLM_TRY(file_.write(&magic, 4));
  TINYLLM_TRY(file_.write(&flags, 4));
  TINYLLM_TRY(file_.write(&n, 8));
  if (has_time) TINYLLM_TRY(file_.write(s.time_s.data(), rows * sizeof(double)));
  TINYLLM_TRY(file_.write(s.values.data(), s.values.size() * sizeof(float)));
  TINYLLM_TRY(file_.write(s.labels.data(), rows * sizeof(int32_t)));
  TINYLLM_TRY(file_.write(s.targets.data(), s.targets.size() * sizeof(float)));
  TINYLLM_TRY(file_.write(s.lines.data(), rows * sizeof(uint64_t)));
  series_.push_back(std::move(info));
  return {};
}

Status SeriesStoreWriter::commit(const std::vector<std::string>& classes, const json& meta) {
  json series = json::array();
  for (const auto& s : series_) {
    json counts = json::object();
    for (auto [label, n] : s.label_counts)
      counts[std::to_string(label)] = n;
    series.push_back({{"id", s.id},
                      {"subject", s.subject},
                      {"session", s.session},
                      {"origin", s.origin},
                      {"offset", s.offset},
                      {"rows", s.rows},
                      {"has_time", s.has_time},
                      {"label_counts", counts}});
  }
  json index = {{"schema", schema_to_json(schema_)},
                {"classes", classes},
                {"series", series},
                {"meta", meta}};
  const std::string text = index.dump();
  uint64_t offset = file_.bytes_written(), length = text.size();
  TINYLLM_TRY(file_.write(text));
  TINYLLM_TRY(file_.write(&offset, 8));
  TINYLLM_TRY(file_.write(&length, 8));
  TINYLLM_TRY(file_.write(kEndMagic, sizeof kEndMagic));
  return file_.commit();
}

Result<SeriesStore> SeriesStore::open(const fs::path& path) {
  SeriesStore store;
  store.path_ = path;
  std::FILE* raw = std::fopen(path.c_str(), "rb");
  if (!raw) return make_error(path.string(), "cannot open the series store");
  store.file_.reset(raw, FileCloser{});
  std::error_code ec;
  store.file_size_ = fs::file_size(path, ec);
  const std::string where = path.string();
  if (store.file_size_ < kHeaderBytes + kTrailerBytes)
    return make_error(where,
                      "series store is truncated (" + std::to_string(store.file_size_) + " bytes)");
  char magic[8];
  if (std::fread(magic, 1, 8, raw) != 8 || std::memcmp(magic, kMagic, 8) != 0)
    return make_error(where + " @0x0", "not a series store (bad magic)");
  uint32_t version = 0;
  if (std::fread(&version, 4, 1, raw) != 1 || version != kVersion)
    return make_error(where + " @0x8",
                      "unsupported series store version " + std::to_string(version));
  uint64_t trailer[2];
  std::fseek(raw, long(store.file_size_ - kTrailerBytes), SEEK_SET);
  if (std::fread(trailer, 8, 2, raw) != 2 || std::fread(magic, 1, 8, raw) != 8 ||
      std::memcmp(magic, kEndMagic, 8) != 0)
    return make_error(where + " " + hex_offset(store.file_size_ - kTrailerBytes),
                      "series store has no valid trailer: the file is truncated");
  const uint64_t index_offset = trailer[0], index_length = trailer[1];
  if (index_offset < kHeaderBytes ||
      index_offset + index_length + kTrailerBytes != store.file_size_)
    return make_error(where + " " + hex_offset(store.file_size_ - kTrailerBytes),
                      "index offset " + std::to_string(index_offset) + " does not fit the file");
  std::string text(index_length, '\0');
  std::fseek(raw, long(index_offset), SEEK_SET);
  if (std::fread(text.data(), 1, index_length, raw) != index_length)
    return make_error(where + " " + hex_offset(index_offset), "cannot read the index");
  try {
    json index = json::parse(text);
    TINYLLM_TRY_ASSIGN(schema, schema_from_json(index.at("schema"), where));
    store.schema_ = std::move(schema);
    store.classes_ = index.at("classes").get<std::vector<std::string>>();
    store.meta_ = index.value("meta", json::object());
    for (const auto& s : index.at("series")) {
      SeriesInfo info;
      info.id = s.at("id").get<std::string>();
      info.subject = s.value("subject", "");
      info.session = s.value("session", "");
      info.origin = s.value("origin", "");
      info.offset = s.at("offset").get<uint64_t>();
      info.rows = s.at("rows").get<uint64_t>();
      info.has_time = s.value("has_time", false);
      const json counts = s.value("label_counts", json::object());
      for (const auto& [k, v] : counts.items())
        info.label_counts[std::stoi(k)] = v.get<uint64_t>();
      if (info.offset < kHeaderBytes || info.offset >= index_offset)
        return make_error(where, "series '" + info.id + "' has offset " +
                                     std::to_string(info.offset) + " outside the data");
      store.series_.push_back(std::move(info));
    }
  } catch (const std::exception& e) {
    return make_error(where + " " + hex_offset(index_offset),
                      std::string("series store index is damaged: ") + e.what());
  }
  return store;
}

Result<Series> SeriesStore::read(size_t index) const {
  if (index >= series_.size())
    return make_error(path_.string(), "no series " + std::to_string(index));
  const SeriesInfo& info = series_[index];
  const size_t nc = schema_.channels.size(), nt = schema_.targets.size();
  std::FILE* f = file_.get();
  const std::string where = path_.string() + " " + hex_offset(info.offset);
  std::fseek(f, long(info.offset), SEEK_SET);
  uint32_t magic = 0, flags = 0;
  uint64_t rows = 0;
  if (std::fread(&magic, 4, 1, f) != 1 || magic != kRecordMagic ||
      std::fread(&flags, 4, 1, f) != 1 || std::fread(&rows, 8, 1, f) != 1 || rows != info.rows)
    return make_error(where, "series '" + info.id + "' record header is damaged");
  Series s;
  s.id = info.id;
  s.subject = info.subject;
  s.session = info.session;
  s.origin = info.origin;
  auto read_array = [&](auto& vec, size_t count) {
    vec.resize(count);
    return count == 0 || std::fread(vec.data(), sizeof(vec[0]), count, f) == count;
  };
  bool ok = (!(flags & 1) || read_array(s.time_s, rows)) && read_array(s.values, rows * nc) &&
            read_array(s.labels, rows) && read_array(s.targets, rows * nt) &&
            read_array(s.lines, rows);
  if (!ok) return make_error(where, "series '" + info.id + "' is truncated");
  for (int32_t l : s.labels)
    if (l != kNoLabel && (l < 0 || size_t(l) >= classes_.size()))
      return make_error(where, "series '" + info.id + "' has an invalid label index");
  return s;
}

}  // namespace tinyllm::data
