#include "text/corpus.h"

#include <fstream>

#include "text/vocab_learning.h"

namespace tinyllm::text {
namespace detail {

Result<std::string> string_field(const nlohmann::json& record, const char* field,
                                 const std::string& where) {
  const auto it = record.find(field);
  if (it == record.end() || !it->is_string())
    return make_error(where, std::string("expected a string field '") + field + "'");
  return it->get<std::string>();
}

Result<std::string> record_text(const nlohmann::json& record, const std::string& where) {
  if (record.contains("text")) return string_field(record, "text", where);
  TINYLLM_TRY_ASSIGN(prompt, string_field(record, "prompt", where));
  TINYLLM_TRY_ASSIGN(response, string_field(record, "response", where));
  return prompt + response;
}

namespace {
Result<nlohmann::json> parse_line(const std::string& line, const std::string& where) {
  auto record = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (record.is_discarded() || !record.is_object())
    return make_error(where, "not a JSON object (is this a prepared .jsonl file?)");
  return record;
}
}  // namespace

Status for_each_jsonl(const std::filesystem::path& path,
                      const std::function<Status(const nlohmann::json&, const std::string&)>& fn) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(path.string(), "cannot open the file");
  std::string line;
  uint64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty() || line == "\r") continue;
    const std::string where = path.string() + ":" + std::to_string(number);
    TINYLLM_TRY_ASSIGN(record, parse_line(line, where));
    TINYLLM_TRY(fn(record, where));
  }
  if (in.bad()) return make_error(path.string(), "read error");
  return {};
}

}  // namespace detail

struct JsonlDocuments::State {
  size_t file = 0;
  std::ifstream in;
  uint64_t line_number = 0;
  std::string line;
};

JsonlDocuments::JsonlDocuments(std::vector<std::filesystem::path> files)
    : files_(std::move(files)), state_(std::make_unique<State>()) {}

JsonlDocuments::~JsonlDocuments() = default;

std::string JsonlDocuments::name() const {
  std::string out;
  for (const auto& file : files_)
    out += (out.empty() ? "" : " + ") + file.string();
  return out.empty() ? DocumentSource::name() : out;
}

Status JsonlDocuments::rewind() {
  state_ = std::make_unique<State>();
  if (files_.empty()) return {};
  state_->in.open(files_[0], std::ios::binary);
  if (!state_->in) return make_error(files_[0].string(), "cannot open the file");
  return {};
}

Result<bool> JsonlDocuments::next(std::string& doc) {
  State& s = *state_;
  while (s.file < files_.size()) {
    if (!s.in.is_open()) {
      s.in.open(files_[s.file], std::ios::binary);
      if (!s.in) return make_error(files_[s.file].string(), "cannot open the file");
    }
    if (std::getline(s.in, s.line)) {
      ++s.line_number;
      if (s.line.empty() || s.line == "\r") continue;
      const std::string where = files_[s.file].string() + ":" + std::to_string(s.line_number);
      TINYLLM_TRY_ASSIGN(record, detail::parse_line(s.line, where));
      TINYLLM_TRY_ASSIGN(text, detail::record_text(record, where));
      doc = std::move(text);
      return true;
    }
    if (s.in.bad()) return make_error(files_[s.file].string(), "read error");
    s.in.close();
    s.in.clear();
    s.line_number = 0;
    ++s.file;
  }
  return false;
}

}  // namespace tinyllm::text
