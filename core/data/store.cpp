#include "data/store.h"

#include <charconv>

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
constexpr uint64_t kRecordHeaderBytes = 16;

// The bytes one row takes in a series record.
uint64_t row_bytes(const Schema& schema, bool has_time) {
  return (has_time ? 8 : 0) + 4 * schema.channels.size() + 4 + 4 * schema.targets.size() + 8;
}

// A Status that failed inside series `id` says so, keeping the file and offset.
Error in_series(const std::string& id, Error e) {
  e.message = "series '" + id + "': " + e.message;
  return e;
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
  TINYLLM_TRY_ASSIGN(file, ByteWriter::create(path));
  file.raw(kMagic, sizeof kMagic);
  file.u32(kVersion);
  file.u32(0);  // reserved
  return SeriesStoreWriter(std::move(file), std::move(schema));
}

Status SeriesStoreWriter::write(const Series& s) {
  const size_t rows = s.rows(), nc = schema_.channels.size(), nt = schema_.targets.size();
  const bool has_time = !s.time_s.empty();
  if (s.values.size() != rows * nc || s.targets.size() != rows * nt ||
      (has_time && s.time_s.size() != rows) || s.lines.size() != rows)
    return make_error(s.id, "internal: series arrays do not match its row count");
  SeriesInfo info{s.id, s.subject, s.session, s.origin, file_.offset(), rows, has_time, {}};
  for (int32_t l : s.labels)
    if (l != kNoLabel) ++info.label_counts[l];
  file_.u32(kRecordMagic);
  file_.u32(has_time ? 1 : 0);
  file_.u64(rows);
  if (has_time) file_.array(s.time_s);
  file_.array(s.values);
  file_.array(s.labels);
  file_.array(s.targets);
  file_.array(s.lines);
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
  const uint64_t offset = file_.offset();
  file_.raw(text);
  file_.u64(offset);
  file_.u64(text.size());
  file_.raw(kEndMagic, sizeof kEndMagic);
  return file_.commit();
}

// Every number the file gives is checked before it is used: a damaged store is an Error that
// names the file and the byte offset, never an exception or an allocation of a damaged size.
Result<SeriesStore> SeriesStore::open(const fs::path& path) {
  SeriesStore store;
  store.path_ = path;
  TINYLLM_TRY_ASSIGN(reader, ByteReader::open(path));
  const std::string where = path.string();
  const uint64_t file_size = reader.end();
  if (file_size < kHeaderBytes + kTrailerBytes)
    return reader.error_at(file_size,
                           "series store is truncated (" + std::to_string(file_size) + " bytes)");
  TINYLLM_TRY(reader.expect_magic(std::string_view(kMagic, 8), "series store"));
  TINYLLM_TRY_ASSIGN(version, reader.u32("version"));
  if (version != kVersion)
    return make_error(at_offset(where, 8),
                      "unsupported series store version " + std::to_string(version));
  const uint64_t trailer_at = file_size - kTrailerBytes;
  TINYLLM_TRY(reader.seek(trailer_at));
  TINYLLM_TRY_ASSIGN(index_offset, reader.u64("index offset"));
  TINYLLM_TRY_ASSIGN(index_length, reader.u64("index length"));
  if (!reader.expect_magic(std::string_view(kEndMagic, 8), "series store").ok())
    return make_error(at_offset(where, trailer_at),
                      "series store has no valid trailer: the file is truncated or damaged");
  if (index_offset < kHeaderBytes || index_offset > trailer_at ||
      index_length != trailer_at - index_offset)
    return make_error(at_offset(where, trailer_at),
                      "index offset " + std::to_string(index_offset) + " and length " +
                          std::to_string(index_length) + " do not fit the file (" +
                          std::to_string(file_size) + " bytes)");
  TINYLLM_TRY(reader.seek(index_offset));
  TINYLLM_TRY_ASSIGN(text, reader.string(index_length, "index"));
  auto damaged = [&](const std::string& what) {
    return make_error(at_offset(where, index_offset), "series store index is damaged: " + what);
  };
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
      const auto record_bytes = checked_mul(info.rows, row_bytes(store.schema_, info.has_time));
      const auto record_end = record_bytes
                                  ? checked_add(info.offset, kRecordHeaderBytes + *record_bytes)
                                  : std::nullopt;
      if (info.offset < kHeaderBytes || !record_end || *record_end > index_offset)
        return damaged("series '" + info.id + "' at offset " + std::to_string(info.offset) +
                       " with " + std::to_string(info.rows) + " rows does not fit the data");
      uint64_t labelled = 0;
      const json counts = s.value("label_counts", json::object());
      for (const auto& [key, value] : counts.items()) {
        int32_t label = -1;
        const auto parsed = std::from_chars(key.data(), key.data() + key.size(), label);
        const uint64_t n = value.get<uint64_t>();
        if (parsed.ec != std::errc() || parsed.ptr != key.data() + key.size() || label < 0 ||
            size_t(label) >= store.classes_.size() || n > info.rows - labelled)
          return damaged("series '" + info.id + "' has an invalid label count '" + key + "'");
        labelled += n;
        info.label_counts[label] = n;
      }
      store.series_.push_back(std::move(info));
    }
  } catch (const std::exception& e) {
    return damaged(e.what());
  }
  TINYLLM_TRY(reader.seek(0));
  TINYLLM_TRY(reader.limit(index_offset));
  store.reader_ = std::move(reader);
  return store;
}

Result<Series> SeriesStore::read(size_t index) const {
  if (index >= series_.size())
    return make_error(path_.string(), "no series " + std::to_string(index));
  const SeriesInfo& info = series_[index];
  const uint64_t nc = schema_.channels.size(), nt = schema_.targets.size();
  ByteReader r = *reader_;  // a cursor of its own: read() stays const
  auto fail = [&](Error e) { return in_series(info.id, std::move(e)); };
  if (auto s = r.seek(info.offset); !s) return fail(s.error());
  auto magic = r.u32("record magic");
  if (!magic) return fail(magic.error());
  auto flags = r.u32("flags");
  if (!flags) return fail(flags.error());
  auto rows = r.u64("rows");
  if (!rows) return fail(rows.error());
  if (*magic != kRecordMagic || bool(*flags & 1) != info.has_time || *rows != info.rows)
    return fail(r.error_at(info.offset,
                           "the record header is damaged (it does not match the "
                           "store's index)"));
  Series s;
  s.id = info.id;
  s.subject = info.subject;
  s.session = info.session;
  s.origin = info.origin;
  // open() checked that the record fits, so these products cannot wrap.
  Status st;
  if (info.has_time) st = r.array(s.time_s, info.rows, "time");
  if (st) st = r.array(s.values, info.rows * nc, "values");
  if (st) st = r.array(s.labels, info.rows, "labels");
  if (st) st = r.array(s.targets, info.rows * nt, "targets");
  if (st) st = r.array(s.lines, info.rows, "source lines");
  if (!st) return fail(st.error());
  for (size_t row = 0; row < s.labels.size(); ++row) {
    const int32_t l = s.labels[row];
    if (l != kNoLabel && (l < 0 || size_t(l) >= classes_.size()))
      return fail(r.error_at(info.offset + kRecordHeaderBytes +
                                 info.rows * ((info.has_time ? 8 : 0) + 4 * nc) + 4 * row,
                             "label index " + std::to_string(l) + " of row " + std::to_string(row) +
                                 " is not one of the " + std::to_string(classes_.size()) +
                                 " classes"));
  }
  return s;
}

}  // namespace tinyllm::data
