#include "cli_args.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace tinyllm::cli {

bool wants_help(const std::vector<std::string>& argv) {
  return std::any_of(argv.begin(), argv.end(),
                     [](const std::string& a) { return a == "--help" || a == "-h"; });
}

Result<Args> Args::parse(const std::vector<std::string>& argv, const ArgSpec& spec) {
  Args args;
  if (wants_help(argv)) {  // before any other check, so that help always works
    args.help_ = true;
    return args;
  }
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a.rfind("--", 0) != 0 || a.size() == 2) {
      args.positionals_.push_back(a);
      continue;
    }
    std::string name = a.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (spec.flags.count(name)) {
      if (value) return make_error("argument " + a, "--" + name + " takes no value");
      args.flags_.insert(name);
      continue;
    }
    if (!spec.options.count(name) && !spec.repeated.count(name)) {
      return make_error("argument " + a, "unknown option --" + name);
    }
    if (!value) {
      if (i + 1 >= argv.size()) return make_error("argument " + a, "--" + name + " needs a value");
      value = argv[++i];
    }
    if (!spec.repeated.count(name) && args.options_.count(name))
      return make_error("argument " + a, "--" + name + " given twice");
    args.options_.emplace(name, *value);
  }
  return args;
}

std::optional<std::string> Args::get(const std::string& name) const {
  auto it = options_.find(name);
  if (it == options_.end()) return std::nullopt;
  return it->second;
}

std::string Args::get_or(const std::string& name, const std::string& fallback) const {
  return get(name).value_or(fallback);
}

std::vector<std::string> Args::all(const std::string& name) const {
  std::vector<std::string> out;
  auto [lo, hi] = options_.equal_range(name);
  for (auto it = lo; it != hi; ++it)
    out.push_back(it->second);
  return out;
}

Result<double> Args::number_or(const std::string& name, double fallback) const {
  auto v = get(name);
  if (!v) return fallback;
  double out = 0;
  auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), out);
  if (ec != std::errc() || ptr != v->data() + v->size())
    return make_error("--" + name, "'" + *v + "' is not a number");
  return out;
}

int fail(const Error& error) {
  std::fprintf(stderr, "tinyllm: %s\n", error.to_string().c_str());
  return 1;
}

}  // namespace tinyllm::cli
