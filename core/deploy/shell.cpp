#include "deploy/shell.h"

namespace tinyllm::deploy {

std::string shell_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  out += "'";
  return out;
}

std::string shell_join(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += shell_quote(w);
  }
  return out;
}

std::string safe_name(std::string_view name) {
  std::string out;
  for (char c : name) {
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-';
    out += keep ? c : '_';
    if (out.size() == 64) break;
  }
  if (out.empty() || out == "." || out == "..") out = "_" + out;
  if (out[0] == '-' || out[0] == '.') out = "_" + out.substr(1);  // never an option, never hidden
  return out;
}

std::string home_relative(std::string_view path) {
  if (path == "~" || path == "~/") return ".";
  if (path.substr(0, 2) == "~/") return std::string(path.substr(2));
  return std::string(path);
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  for (char c : text) {
    if (c == ' ' || c == '\t') {
      if (!word.empty()) words.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) words.push_back(word);
  return words;
}

}  // namespace tinyllm::deploy
