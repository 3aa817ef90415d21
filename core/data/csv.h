// Streaming text input for the importers: a line reader with bounded memory that checks the
// encoding and notices a file that changes or vanishes while it is read, CSV field splitting
// with quotes, number parsing, and sniffing of delimiter and header.
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/binary.h"
#include "base/result.h"

namespace tinyllm::data {

class LineReader {
 public:
  static constexpr size_t kMaxLineBytes = 16 << 20;

  // Opens a text file: rejects UTF-16/UTF-32 and binary files, skips a UTF-8 BOM.
  static Result<LineReader> open(const std::filesystem::path& path);

  // The next line without its line ending (LF or CRLF). False at the end or on an error; then
  // status() says which.
  bool next(std::string_view& line);
  Status status() const { return status_; }
  uint64_t line_number() const { return line_number_; }  // of the last line returned, 1-based
  uint64_t bytes_read() const { return consumed_; }
  uint64_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }
  // "name.csv:12" or "name.csv:12:3" for messages (column is 1-based, 0 = none).
  std::string where(uint64_t line, size_t column = 0) const;

 private:
  LineReader() = default;
  bool refill();

  std::filesystem::path path_;
  UniqueFile file_;
  std::string buffer_;
  size_t begin_ = 0, end_ = 0;
  bool eof_ = false;
  uint64_t size_ = 0, consumed_ = 0, line_number_ = 0;
  Status status_;
};

// Splits one CSV line. Fields are views into `line` or, for quoted fields with escapes, into
// `scratch` (reused between calls). Returns false for an unterminated quote.
bool split_fields(std::string_view line, char delimiter, std::vector<std::string_view>& fields,
                  std::string& scratch);

// Parses a number, allowing surrounding spaces and a leading '+'. "nan"/"inf" parse (and are
// reported later by cleaning). Empty text is not a number.
bool parse_number(std::string_view text, double& out);
std::string_view trim(std::string_view text);

struct CsvSniff {
  char delimiter = ',';
  bool has_header = true;
  std::vector<std::string> header;             // column names ("column 1".. without a header)
  std::vector<std::vector<std::string>> rows;  // the first data rows, for previews and guesses
  uint64_t first_data_line = 0;                // 1-based line of the first data row
  std::vector<std::string> notes;              // what was detected, in words
};

// Detects delimiter (, ; tab | space) and header from the start of the file, or checks the ones
// the user forced. Errors: empty file, header without data, a forced delimiter that splits
// nothing while another one fits.
Result<CsvSniff> sniff_csv(const std::filesystem::path& path,
                           std::optional<char> delimiter = std::nullopt,
                           std::optional<bool> header = std::nullopt, size_t max_rows = 200);

std::string delimiter_name(char delimiter);

}  // namespace tinyllm::data
