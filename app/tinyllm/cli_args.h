// Command-line arguments for the tinyllm subcommands: positionals, --key value / --key=value
// options and --flags. Every option a command reads must be declared; unknown ones are errors,
// so a typo never silently falls back to a default.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/result.h"

namespace tinyllm::cli {

struct ArgSpec {
  std::set<std::string> options;   // take a value: --project P
  std::set<std::string> flags;     // no value: --json
  std::set<std::string> repeated;  // options that may be given more than once: --set k=v
};

class Args {
 public:
  static Result<Args> parse(const std::vector<std::string>& argv, const ArgSpec& spec);

  // --help or -h anywhere: the command prints its usage and does nothing else.
  bool help() const { return help_; }
  const std::vector<std::string>& positionals() const { return positionals_; }
  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  std::optional<std::string> get(const std::string& name) const;
  std::string get_or(const std::string& name, const std::string& fallback) const;
  std::vector<std::string> all(const std::string& name) const;
  Result<double> number_or(const std::string& name, double fallback) const;

 private:
  std::vector<std::string> positionals_;
  std::multimap<std::string, std::string> options_;
  std::set<std::string> flags_;
  bool help_ = false;
};

// True when `argv` asks for help (--help or -h anywhere).
bool wants_help(const std::vector<std::string>& argv);

// Prints an error the same way for every command: "tinyllm: where: message".
int fail(const Error& error);

}  // namespace tinyllm::cli
