#include "data/csv.h"

#include <sys/stat.h>
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <map>

namespace tinyllm::data {
namespace fs = std::filesystem;

namespace {
constexpr size_t kChunk = 1 << 20;

// Returns the byte offset of the first invalid UTF-8 sequence, or npos.
size_t find_invalid_utf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    if (len == 0) return i;
    if (i + len > s.size()) return std::string_view::npos;  // cut at the sniff boundary
    for (size_t k = 1; k < len; ++k)
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return i;
    i += len;
  }
  return std::string_view::npos;
}
}  // namespace

std::string LineReader::where(uint64_t line, size_t column) const {
  std::string w = path_.filename().string() + ":" + std::to_string(line);
  if (column) w += ":" + std::to_string(column);
  return w;
}

Result<LineReader> LineReader::open(const fs::path& path) {
  LineReader r;
  r.path_ = path;
  std::error_code ec;
  if (fs::is_directory(path, ec)) return make_error(path.string(), "is a folder, not a file");
  r.file_.reset(std::fopen(path.c_str(), "rb"));
  if (!r.file_)
    return make_error(path.string(), std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(::fileno(r.file_.get()), &st) == 0) r.size_ = uint64_t(st.st_size);
  if (r.size_ == 0) return make_error(path.string(), "the file is empty");
  r.buffer_.resize(kChunk * 2);
  r.refill();
  std::string_view head(r.buffer_.data() + r.begin_, r.end_ - r.begin_);
  auto starts = [&](std::string_view bom) { return head.substr(0, bom.size()) == bom; };
  using namespace std::string_view_literals;  // the BOMs hold NUL bytes
  if (starts("\xFF\xFE\x00\x00"sv) || starts("\x00\x00\xFE\xFF"sv))
    return make_error(path.string(), "the file is UTF-32 encoded; save it as UTF-8 text");
  if (starts("\xFF\xFE") || starts("\xFE\xFF"))
    return make_error(path.string(), "the file is UTF-16 encoded; save it as UTF-8 text");
  if (starts("\xEF\xBB\xBF")) {
    r.begin_ += 3;
    r.consumed_ += 3;
    head.remove_prefix(3);
  }
  if (auto nul = head.substr(0, 4096).find('\0'); nul != std::string_view::npos)
    return make_error(path.string() + " @" + std::to_string(nul),
                      "contains NUL bytes: this is a binary file or UTF-16 text without a byte "
                      "order mark, not a CSV/text file");
  if (auto bad = find_invalid_utf8(head); bad != std::string_view::npos) {
    uint64_t line = 1 + std::count(head.begin(), head.begin() + bad, '\n');
    size_t line_start = head.rfind('\n', bad == 0 ? 0 : bad - 1);
    size_t column = line_start == std::string_view::npos ? bad + 1 : bad - line_start;
    char hex[8];
    std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned char>(head[bad]));
    return make_error(r.where(line, column),
                      std::string("not valid UTF-8 (byte ") + hex +
                          "); the encoding is unknown: save the file as UTF-8");
  }
  return r;
}

bool LineReader::refill() {
  if (eof_) return false;
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() - end_ < kChunk) buffer_.resize(std::max(buffer_.size() * 2, end_ + kChunk));
  size_t n = std::fread(buffer_.data() + end_, 1, buffer_.size() - end_, file_.get());
  end_ += n;
  if (n == 0) {
    eof_ = true;
    if (std::ferror(file_.get()))
      status_ = make_error(path_.string(), std::string("read error: ") + std::strerror(errno));
  }
  return n > 0;
}

bool LineReader::next(std::string_view& line) {
  if (!status_.ok()) return false;
  for (;;) {
    const char* start = buffer_.data() + begin_;
    const void* nl = std::memchr(start, '\n', end_ - begin_);
    if (nl || (eof_ && end_ > begin_)) {
      size_t len = nl ? static_cast<const char*>(nl) - start : end_ - begin_;
      size_t advance = nl ? len + 1 : len;
      if (len > 0 && start[len - 1] == '\r') --len;
      line = std::string_view(start, len);
      begin_ += advance;
      consumed_ += advance;
      ++line_number_;
      return true;
    }
    if (eof_) break;
    if (end_ - begin_ > kMaxLineBytes) {
      status_ = make_error(where(line_number_ + 1),
                           "a line is longer than 16 MiB: this is not a line-based text file");
      return false;
    }
    refill();
  }
  // At the end: the file must still be there and have the size it had when opened.
  std::error_code ec;
  if (!fs::exists(path_, ec)) {
    status_ = make_error(path_.string(), "the file vanished while it was being read");
  } else if (consumed_ != size_) {
    status_ = make_error(path_.string(), "the file changed while it was being read (it had " +
                                             std::to_string(size_) + " bytes, " +
                                             std::to_string(consumed_) + " were read)");
  }
  return false;
}

bool split_fields(std::string_view line, char delimiter, std::vector<std::string_view>& fields,
                  std::string& scratch) {
  fields.clear();
  if (line.find('"') == std::string_view::npos) {
    size_t start = 0;
    for (;;) {
      size_t pos = line.find(delimiter, start);
      if (pos == std::string_view::npos) {
        fields.push_back(line.substr(start));
        return true;
      }
      fields.push_back(line.substr(start, pos - start));
      start = pos + 1;
    }
  }
  // Quoted fields: unescape into scratch; reserve so views stay valid.
  scratch.clear();
  scratch.reserve(line.size());
  std::vector<std::pair<size_t, size_t>> spans;
  size_t i = 0;
  for (;;) {
    size_t begin = scratch.size();
    while (i < line.size() && line[i] == ' ')
      ++i;
    if (i < line.size() && line[i] == '"') {
      ++i;
      bool closed = false;
      while (i < line.size()) {
        if (line[i] == '"') {
          if (i + 1 < line.size() && line[i + 1] == '"') {
            scratch += '"';
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        scratch += line[i++];
      }
      if (!closed) return false;
      while (i < line.size() && line[i] != delimiter)
        ++i;  // ignore text after the quote
    } else {
      while (i < line.size() && line[i] != delimiter)
        scratch += line[i++];
    }
    spans.emplace_back(begin, scratch.size() - begin);
    if (i >= line.size()) break;
    ++i;  // delimiter
  }
  for (auto [b, n] : spans)
    fields.emplace_back(scratch.data() + b, n);
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool parse_number(std::string_view text, double& out) {
  text = trim(text);
  if (!text.empty() && text.front() == '+') text.remove_prefix(1);
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

std::string delimiter_name(char d) {
  switch (d) {
    case ',':
      return "comma";
    case ';':
      return "semicolon";
    case '\t':
      return "tab";
    case '|':
      return "pipe";
    case ' ':
      return "space";
  }
  return std::string("'") + d + "'";
}

Result<CsvSniff> sniff_csv(const fs::path& path, std::optional<char> forced_delimiter,
                           std::optional<bool> forced_header, size_t max_rows) {
  TINYLLM_TRY_ASSIGN(reader, LineReader::open(path));
  std::vector<std::string> lines;
  std::vector<uint64_t> line_numbers;
  std::string_view line;
  while (lines.size() < max_rows + 1 && reader.next(line)) {
    if (trim(line).empty()) continue;
    lines.emplace_back(line);
    line_numbers.push_back(reader.line_number());
  }
  TINYLLM_TRY(reader.status());
  if (lines.empty()) return make_error(path.string(), "the file holds no data (only blank lines)");

  std::vector<std::string_view> fields;
  std::string scratch;
  auto count_fields = [&](const std::string& l, char d) {
    split_fields(l, d, fields, scratch);
    return fields.size();
  };
  // A delimiter fits when most lines split into the same number (> 1) of fields.
  struct Fit {
    char delimiter;
    size_t columns;
    double agreement;
  };
  auto fit_of = [&](char d) {
    std::map<size_t, size_t> hist;
    for (const auto& l : lines)
      ++hist[count_fields(l, d)];
    auto best = std::max_element(hist.begin(), hist.end(),
                                 [](auto& a, auto& b) { return a.second < b.second; });
    return Fit{d, best->first, double(best->second) / double(lines.size())};
  };
  const char candidates[] = {',', ';', '\t', '|', ' '};
  std::optional<Fit> best;
  for (char d : candidates) {
    Fit f = fit_of(d);
    if (f.columns < 2 || f.agreement < 0.9) continue;
    if (!best || f.columns > best->columns + (d == ' ' ? 2 : 0)) best = f;
  }
  CsvSniff sniff;
  if (forced_delimiter) {
    Fit f = fit_of(*forced_delimiter);
    if (f.columns < 2 && best && best->delimiter != *forced_delimiter)
      return make_error(path.string(),
                        "with the " + delimiter_name(*forced_delimiter) +
                            " delimiter every line is a single column; the file looks " +
                            delimiter_name(best->delimiter) + "-separated (" +
                            std::to_string(best->columns) + " columns)");
    sniff.delimiter = *forced_delimiter;
  } else if (best) {
    sniff.delimiter = best->delimiter;
    sniff.notes.push_back("delimiter: " + delimiter_name(best->delimiter) + " (" +
                          std::to_string(best->columns) + " columns)");
  } else {
    sniff.delimiter = ',';
    sniff.notes.push_back("delimiter: none found, one column per line");
  }

  std::vector<std::vector<std::string>> table;
  for (const auto& l : lines) {
    split_fields(l, sniff.delimiter, fields, scratch);
    std::vector<std::string> row;
    for (auto f : fields)
      row.emplace_back(trim(f));
    table.push_back(std::move(row));
  }
  auto numeric = [](const std::string& s) {
    double v;
    return parse_number(s, v);
  };
  if (forced_header) {
    sniff.has_header = *forced_header;
  } else {
    // A header row has a name where the rows below have numbers, or is all text unlike the rest.
    bool header = false;
    const auto& first = table[0];
    for (size_t c = 0; c < first.size() && !header; ++c) {
      if (numeric(first[c]) || table.size() < 2) continue;
      size_t below = 0, below_numeric = 0;
      for (size_t r = 1; r < table.size(); ++r)
        if (c < table[r].size()) {
          ++below;
          below_numeric += numeric(table[r][c]);
        }
      header = below > 0 && below_numeric * 10 >= below * 8;
    }
    if (!header && table.size() >= 2 && std::none_of(first.begin(), first.end(), numeric)) {
      header = std::any_of(table.begin() + 1, table.end(), [&](const auto& row) {
        return std::any_of(row.begin(), row.end(), numeric);
      });
    }
    // Numbers as column names (beacon ids "1001","1002",...): distinct whole numbers that lie
    // outside the range of the values below them, in most of the numeric columns.
    if (!header && table.size() >= 2) {
      std::vector<double> names;
      size_t outside = 0;
      for (size_t c = 0; c < first.size(); ++c) {
        double v;
        if (!parse_number(first[c], v)) continue;
        if (v < 0 || v != std::floor(v)) {
          names.clear();
          break;
        }
        names.push_back(v);
        double lo = INFINITY, hi = -INFINITY;
        for (size_t r = 1; r < table.size(); ++r) {
          double below;
          if (c < table[r].size() && parse_number(table[r][c], below) && std::isfinite(below)) {
            lo = std::min(lo, below);
            hi = std::max(hi, below);
          }
        }
        outside += v < lo || v > hi;
      }
      std::vector<double> sorted = names;
      std::sort(sorted.begin(), sorted.end());
      const bool distinct = std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end();
      header = names.size() >= 3 && distinct && outside * 3 >= names.size() * 2;
    }
    // A single line of names only is a header with no data below it.
    if (table.size() == 1 && std::none_of(first.begin(), first.end(), numeric)) header = true;
    sniff.has_header = header;
    sniff.notes.push_back(header ? "header: first line holds the column names"
                                 : "header: none (columns are numbered)");
  }
  size_t columns = table[0].size();
  if (sniff.has_header) {
    sniff.header = table[0];
    if (table.size() == 1)
      return make_error(path.string(), "the file has a header line but no data rows");
    sniff.first_data_line = line_numbers[1];
    sniff.rows.assign(table.begin() + 1, table.end());
  } else {
    for (size_t c = 0; c < columns; ++c)
      sniff.header.push_back("column " + std::to_string(c + 1));
    sniff.first_data_line = line_numbers[0];
    sniff.rows = table;
  }
  if (sniff.rows.size() > max_rows) sniff.rows.resize(max_rows);
  return sniff;
}

}  // namespace tinyllm::data
