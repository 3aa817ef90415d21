#include "data/recording.h"

namespace tinyllm::data {

std::string_view to_string(Severity severity) {
  switch (severity) {
    case Severity::info:
      return "info";
    case Severity::warning:
      return "warning";
    case Severity::error:
      return "error";
  }
  return "?";
}

void Report::add(Severity severity, std::string kind, std::string where, std::string message) {
  if (++counts_[kind] <= kKeepPerKind)
    findings_.push_back({severity, std::move(kind), std::move(where), std::move(message)});
}

void Report::merge(const Report& other) {
  for (const auto& f : other.findings_)
    if (count(f.kind) < kKeepPerKind) findings_.push_back(f);
  for (const auto& [kind, n] : other.counts_)
    counts_[kind] += n;
}

uint64_t Report::count(const std::string& kind) const {
  auto it = counts_.find(kind);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace tinyllm::data
