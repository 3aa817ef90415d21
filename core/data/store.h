// The series store: where imported data lives inside a project (data/imported/<source>.tls).
// Importing writes it once, atomically; every later step reads series one at a time from it, so
// memory stays bounded by the longest series, not the dataset.
//
// Byte layout (little-endian):
//   1. header: "TLSTORE1" (8 bytes), u32 version = 1, u32 reserved = 0
//   2. series records, each: u32 magic "SREC", u32 flags (bit 0: has time), u64 rows, then
//      f64 time[rows] (if flagged), f32 values[rows * channels], i32 labels[rows],
//      f32 targets[rows * targets], u64 source_lines[rows]
//   3. index: UTF-8 JSON (schema, classes, per-series id/subject/offset/rows/label counts, meta)
//   4. trailer: u64 index offset, u64 index length, "TLSTOREX" (8 bytes)
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/binary.h"
#include "base/result.h"
#include "data/recording.h"

namespace tinyllm::data {

struct SeriesInfo {
  std::string id, subject, session, origin;
  uint64_t offset = 0;
  uint64_t rows = 0;
  bool has_time = false;
  std::map<int32_t, uint64_t> label_counts;  // rows per class index
};

nlohmann::json schema_to_json(const Schema& schema);
Result<Schema> schema_from_json(const nlohmann::json& json, const std::string& where);

class SeriesStoreWriter {
 public:
  static Result<SeriesStoreWriter> create(const std::filesystem::path& path, Schema schema);
  Status write(const Series& series);
  // Writes the index with `classes` and `meta` and makes the file visible.
  Status commit(const std::vector<std::string>& classes, const nlohmann::json& meta);
  const Schema& schema() const { return schema_; }

 private:
  SeriesStoreWriter(ByteWriter file, Schema schema)
      : file_(std::move(file)), schema_(std::move(schema)) {}
  ByteWriter file_;
  Schema schema_;
  std::vector<SeriesInfo> series_;
};

class SeriesStore {
 public:
  static Result<SeriesStore> open(const std::filesystem::path& path);

  const Schema& schema() const { return schema_; }
  const std::vector<std::string>& classes() const { return classes_; }
  const std::vector<SeriesInfo>& series() const { return series_; }
  const nlohmann::json& meta() const { return meta_; }
  const std::filesystem::path& path() const { return path_; }
  Result<Series> read(size_t index) const;

 private:
  std::filesystem::path path_;
  std::optional<ByteReader> reader_;  // limited to the series data (before the index)
  Schema schema_;
  std::vector<std::string> classes_;
  std::vector<SeriesInfo> series_;
  nlohmann::json meta_;
};

}  // namespace tinyllm::data
