#include "eval/examples.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "base/binary.h"
#include "base/files.h"

namespace tinyllm::eval {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr std::string_view kWindowsMagic = "TLWINDW1";

// The string field `key` of a jsonl record ("" when absent), or an error naming the line.
Result<std::string> string_field(const json& record, const char* key, const std::string& where) {
  auto it = record.find(key);
  if (it == record.end() || it->is_null()) return std::string();
  if (!it->is_string()) return make_error(where, std::string("field '") + key + "' is not text");
  return it->get<std::string>();
}

Result<int64_t> integer_field(const json& record, const char* key, const std::string& where) {
  auto it = record.find(key);
  if (it == record.end() || it->is_null()) return int64_t(0);
  if (!it->is_number_integer())
    return make_error(where, std::string("field '") + key + "' is not an integer");
  return it->get<int64_t>();
}

Result<EvalExample> parse_example(const std::string& line, const std::string& where) {
  json record = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded()) return make_error(where, "not valid JSON");
  if (!record.is_object()) return make_error(where, "expected a JSON object");
  EvalExample ex;
  for (auto [key, field] : {std::pair{"prompt", &ex.prompt}, std::pair{"response", &ex.response},
                            std::pair{"label", &ex.label}, std::pair{"split", &ex.split},
                            std::pair{"series", &ex.series}, std::pair{"subject", &ex.subject}}) {
    TINYLLM_TRY_ASSIGN(text, string_field(record, key, where));
    *field = std::move(text);
  }
  if (!record.contains("prompt")) return make_error(where, "field 'prompt' is missing");
  TINYLLM_TRY_ASSIGN(start, integer_field(record, "start", where));
  TINYLLM_TRY_ASSIGN(rows, integer_field(record, "rows", where));
  ex.start = start;
  ex.rows = rows;
  if (auto it = record.find("target"); it != record.end() && !it->is_null()) {
    if (!it->is_array() || it->size() != 2 || !(*it)[0].is_number() || !(*it)[1].is_number())
      return make_error(where, "field 'target' must be [x, y] (numbers)");
    ex.target = Point{(*it)[0].get<double>(), (*it)[1].get<double>()};
  }
  return ex;
}

Result<std::vector<EvalExample>> read_jsonl(const fs::path& path) {
  TINYLLM_TRY_ASSIGN(text, read_file(path));
  std::vector<EvalExample> examples;
  size_t line_no = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    ++line_no;
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    TINYLLM_TRY_ASSIGN(ex, parse_example(line, path.string() + ":" + std::to_string(line_no)));
    examples.push_back(std::move(ex));
  }
  return examples;
}

// Fills the windows of `examples` from `path`.
Status read_windows(const fs::path& path, std::vector<EvalExample>& examples,
                    const fs::path& jsonl_path) {
  TINYLLM_TRY_ASSIGN(reader, ByteReader::open(path));
  TINYLLM_TRY(reader.expect_magic(kWindowsMagic, "task windows file"));
  TINYLLM_TRY_ASSIGN(channels, reader.u32("channels"));
  const uint64_t count_offset = reader.offset();
  TINYLLM_TRY_ASSIGN(count, reader.u64("count"));
  if (count != examples.size())
    return reader.error_at(count_offset, "holds " + std::to_string(count) + " windows but " +
                                             jsonl_path.filename().string() + " has " +
                                             std::to_string(examples.size()) +
                                             " examples; prepare the data again");
  for (size_t i = 0; i < examples.size(); ++i) {
    const std::string what = "rows of window " + std::to_string(i);
    TINYLLM_TRY_ASSIGN(rows, reader.u32(what));
    const auto values = checked_mul(rows, channels);
    if (!values) return reader.error("window " + std::to_string(i) + " is too large");
    EvalExample& ex = examples[i];
    TINYLLM_TRY(reader.array(ex.window, *values, "values of window " + std::to_string(i)));
    ex.channels = channels;
    ex.window_rows = rows;
  }
  if (!reader.at_end())
    return reader.error(std::to_string(reader.remaining()) + " bytes after the last window");
  return {};
}

}  // namespace

Result<std::vector<EvalExample>> read_task_split(const fs::path& prepared_dir,
                                                 const std::string& split) {
  const fs::path jsonl = prepared_dir / ("task_" + split + ".jsonl");
  const fs::path windows = prepared_dir / ("task_" + split + ".windows.bin");
  TINYLLM_TRY_ASSIGN(examples, read_jsonl(jsonl));
  TINYLLM_TRY(read_windows(windows, examples, jsonl));
  return examples;
}

std::vector<std::string> labels_of(const std::vector<EvalExample>& examples) {
  std::set<std::string> labels;
  for (const auto& ex : examples)
    if (!ex.label.empty()) labels.insert(ex.label);
  return {labels.begin(), labels.end()};
}

int class_index(const std::vector<std::string>& classes, const std::string& label) {
  auto it = std::find(classes.begin(), classes.end(), label);
  return it == classes.end() ? -1 : int(it - classes.begin());
}

Result<std::vector<int>> class_indices(const std::vector<EvalExample>& examples,
                                       const std::vector<std::string>& classes) {
  std::vector<int> out;
  out.reserve(examples.size());
  for (size_t i = 0; i < examples.size(); ++i) {
    const int c = class_index(classes, examples[i].label);
    if (c < 0)
      return make_error("example " + std::to_string(i) + " (" + example_name(examples[i]) + ")",
                        "label '" + examples[i].label + "' is not one of the " +
                            std::to_string(classes.size()) + " classes");
    out.push_back(c);
  }
  return out;
}

ExampleRefs refs_of(const std::vector<EvalExample>& examples) {
  ExampleRefs refs;
  refs.reserve(examples.size());
  for (const auto& ex : examples)
    refs.push_back(&ex);
  return refs;
}

ExampleRefs refs_of(const std::vector<EvalExample>& examples, const std::vector<size_t>& indices) {
  ExampleRefs refs;
  refs.reserve(indices.size());
  for (size_t i : indices)
    refs.push_back(&examples.at(i));
  return refs;
}

std::string example_name(const EvalExample& example) {
  return example.series + "@" + std::to_string(example.start);
}

}  // namespace tinyllm::eval
