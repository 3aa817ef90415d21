#include "text_fixtures.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "text/prompt_template.h"

namespace tinyllm::test {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> split_csv(const std::string& line) {
  std::vector<std::string> out;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ','))
    out.push_back(cell);
  return out;
}

TaskText task(const std::string& instruction, const std::string& input, const std::string& answer) {
  return {prompt::build_prompt(instruction, input), prompt::build_response(answer), answer};
}

// "ax: 12 -3 981 ..." lines, one per channel.
std::string channel_lines(const std::vector<std::string>& names,
                          const std::vector<std::vector<std::string>>& values) {
  std::string out;
  for (size_t c = 0; c < names.size(); ++c) {
    out += names[c] + ":";
    for (const auto& v : values[c])
      out += " " + v;
    if (c + 1 < names.size()) out += "\n";
  }
  return out;
}

}  // namespace

std::vector<std::string> SensorCorpus::all_texts() const {
  std::vector<std::string> out = documents;
  for (const auto& t : tasks)
    out.push_back(t.prompt + t.response);
  return out;
}

fs::path shared_datasets(const fs::path& shared_dir) {
  const fs::path dir = shared_dir / "datasets";
  return fs::exists(dir / "magic_wand") && fs::exists(dir / "ujiindoorloc") ? dir : fs::path();
}

SensorCorpus magic_wand_corpus(const fs::path& samples_csv, size_t max_samples) {
  SensorCorpus corpus;
  std::ifstream in(samples_csv);
  std::string line;
  std::getline(in, line);  // gesture,person,sample_id,t,ax_mg,ay_mg,az_mg
  std::string current, gesture;
  std::vector<std::vector<std::string>> values(3);
  const std::string instruction =
      "Which gesture does this 3-axis accelerometer window show (ax, ay, az in mg, 25 Hz)? "
      "Answer with one of: wing, ring, slope, negative.";
  auto flush = [&]() {
    if (values[0].empty()) return;
    const std::string input = channel_lines({"ax", "ay", "az"}, values);
    corpus.documents.push_back("3-axis accelerometer (ax, ay, az in mg), 25 Hz, " +
                               std::to_string(values[0].size()) + " samples\n" + input);
    corpus.tasks.push_back(task(instruction, input, gesture));
    for (auto& v : values)
      v.clear();
  };
  while (std::getline(in, line) && corpus.documents.size() < max_samples) {
    const auto cells = split_csv(line);
    if (cells.size() < 7) continue;
    if (cells[2] != current) {
      flush();
      current = cells[2];
      gesture = cells[0];
    }
    for (int c = 0; c < 3; ++c)
      values[size_t(c)].push_back(cells[size_t(4 + c)]);
  }
  if (corpus.documents.size() < max_samples) flush();
  return corpus;
}

SensorCorpus uji_corpus(const fs::path& csv, size_t max_rows) {
  SensorCorpus corpus;
  std::ifstream in(csv);
  std::string line;
  std::getline(in, line);
  const auto header = split_csv(line);
  const std::string instruction =
      "Which zone was this WiFi fingerprint recorded in? The input lists the strongest access "
      "points with their RSSI in dBm. Answer with the building and floor, e.g. b1f2.";
  while (std::getline(in, line) && corpus.documents.size() < max_rows) {
    const auto cells = split_csv(line);
    if (cells.size() < 529) continue;
    std::vector<std::pair<int, std::string>> heard;  // (rssi, ap)
    for (size_t i = 0; i < 520; ++i) {
      const int rssi = std::stoi(cells[i]);
      if (rssi != 100) heard.push_back({rssi, header[i]});
    }
    std::sort(heard.begin(), heard.end(), [](auto& a, auto& b) { return a.first > b.first; });
    if (heard.size() > 16) heard.resize(16);
    std::string input;
    for (size_t i = 0; i < heard.size(); ++i)
      input += (i ? "\n" : "") + heard[i].second + ": " + std::to_string(heard[i].first);
    if (input.empty()) input = "(no access point heard)";
    const std::string zone = "b" + cells[523] + "f" + cells[522];
    corpus.documents.push_back("WiFi fingerprint, " + std::to_string(heard.size()) +
                               " strongest of 520 access points (dBm)\n" + input);
    corpus.tasks.push_back(task(instruction, input, zone));
  }
  return corpus;
}

SensorCorpus synthetic_corpus(uint32_t seed, size_t samples) {
  SensorCorpus corpus;
  std::mt19937 rng(seed);
  const char* gestures[] = {"wing", "ring", "slope", "negative"};
  std::normal_distribution<double> noise(0, 300);
  for (size_t s = 0; s < samples; ++s) {
    std::vector<std::vector<std::string>> values(3);
    const size_t n = 20 + rng() % 60;
    for (auto& v : values)
      for (size_t i = 0; i < n; ++i)
        v.push_back(std::to_string(int(noise(rng))));
    const std::string input = channel_lines({"ax", "ay", "az"}, values);
    corpus.documents.push_back("3-axis accelerometer (ax, ay, az in mg), 25 Hz\n" + input);
    corpus.tasks.push_back(
        task("Which gesture is this? Answer with one of: wing, ring, slope, negative.", input,
             gestures[rng() % 4]));
  }
  return corpus;
}

std::vector<std::string> fuzz_corpus(uint32_t seed, size_t count) {
  std::mt19937 rng(seed);
  auto pick = [&](uint32_t n) { return uint32_t(rng() % n); };
  auto utf8 = [](uint32_t cp) {
    std::string s;
    if (cp < 0x80) {
      s += char(cp);
    } else if (cp < 0x800) {
      s += char(0xC0 | (cp >> 6));
      s += char(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += char(0xE0 | (cp >> 12));
      s += char(0x80 | ((cp >> 6) & 0x3F));
      s += char(0x80 | (cp & 0x3F));
    } else {
      s += char(0xF0 | (cp >> 18));
      s += char(0x80 | ((cp >> 12) & 0x3F));
      s += char(0x80 | ((cp >> 6) & 0x3F));
      s += char(0x80 | (cp & 0x3F));
    }
    return s;
  };
  const char* words[] = {"ax:",
                         "wing",
                         "ring",
                         "### Instruction:",
                         "### Response:",
                         "### End",
                         "accelerometer",
                         "WAP012",
                         "dBm",
                         "-",
                         "mg",
                         "the",
                         "zone"};
  std::vector<std::string> out;
  for (size_t i = 0; i < count; ++i) {
    std::string s;
    const uint32_t parts = pick(24);
    for (uint32_t p = 0; p < parts; ++p) {
      switch (pick(14)) {
        case 0: {  // a run of one digit (two draws, in a fixed order)
          const uint32_t length = 1 + pick(40);
          s += std::string(length, char('0' + pick(10)));
          break;
        }
        case 1: {
          for (uint32_t k = 1 + pick(30); k > 0; --k)
            s += char('0' + pick(10));
          break;
        }
        case 2:
          s += std::string(1 + pick(6), ' ');
          break;
        case 3:
          s += "\n";
          break;
        case 4:
          s += "\n\n";
          break;
        case 5:
          s += char(pick(32));
          break;  // control character
        case 6:
          s += char(0x80 + pick(128));
          break;  // stray or malformed byte
        case 7:
          s += utf8(0x80 + pick(0x780));
          break;   // 2-byte
        case 8: {  // 3-byte, no surrogates
          uint32_t cp = 0x800 + pick(0xF800);
          if (cp >= 0xD800 && cp < 0xE000) cp = 0x2581;  // "▁" itself
          s += utf8(cp);
          break;
        }
        case 9:
          s += utf8(0x10000 + pick(0x100000));
          break;  // 4-byte
        case 10:
          s += "\xED\xA0\x80";
          break;  // encoded surrogate (invalid)
        case 11:
          s += words[pick(13)];
          break;
        case 12:
          s += "\xF0\x9F\x98";
          break;  // truncated 4-byte character
        default:
          s += char('a' + pick(26));
          break;
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<std::string> lines_of(const std::vector<std::string>& texts) {
  std::vector<std::string> out;
  for (const auto& t : texts) {
    size_t start = 0;
    for (;;) {
      const size_t end = t.find('\n', start);
      out.push_back(t.substr(start, end == std::string::npos ? std::string::npos : end - start));
      if (end == std::string::npos) break;
      start = end + 1;
    }
  }
  return out;
}

bool round_trip_expected(const std::string& text) {
  if (text.find("\xE2\x96\x81") != std::string::npos) return false;
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    size_t len = c < 0x80             ? 1
                 : (c & 0xE0) == 0xC0 ? 2
                 : (c & 0xF0) == 0xE0 ? 3
                 : (c & 0xF8) == 0xF0 ? 4
                                      : 0;
    if (len == 0 || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1Fu) : len == 3 ? (c & 0x0Fu) : (c & 0x07u);
    for (size_t k = 1; k < len; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (s[i + k] & 0x3Fu);
    }
    const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || (cp >= 0xD800 && cp < 0xE000) || cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

}  // namespace tinyllm::test
