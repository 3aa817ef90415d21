#include "settings/settings.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace tinyllm::settings {
using nlohmann::json;

const char* to_string(Type type) {
  switch (type) {
    case Type::flag:
      return "true/false";
    case Type::integer:
      return "integer";
    case Type::number:
      return "number";
    case Type::text:
      return "text";
    case Type::text_list:
      return "list of text";
  }
  return "?";
}

std::string format_number(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  char buf[64];
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    std::snprintf(buf, sizeof buf, "%.0f", value);
  } else {
    std::snprintf(buf, sizeof buf, "%.6g", value);
  }
  return buf;
}

std::string format_value(const json& value) {
  if (value.is_number_unsigned()) return std::to_string(value.get<uint64_t>());
  if (value.is_number_integer()) return std::to_string(value.get<int64_t>());
  if (value.is_number()) return format_number(value.get<double>());
  return value.dump(-1, ' ', false, json::error_handler_t::replace);
}

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] != b[j - 1] ? 1 : 0)});
      diagonal = up;
    }
  }
  return row[b.size()];
}

Result<json> parse_json(const std::string& text, const std::string& where) {
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...";
    // keep the part after the id.
    std::string message = e.what();
    if (auto close = message.find("] "); close != std::string::npos)
      message = message.substr(close + 2);
    return make_error(where, "not valid JSON: " + message);
  }
}

bool Range::allows(double value) const {
  if (special && value == *special) return true;
  return value >= min && value <= max;
}

std::string Range::text() const {
  std::string out;
  const bool lo = std::isfinite(min), hi = std::isfinite(max);
  if (lo && hi)
    out = "[" + format_number(min) + ", " + format_number(max) + "]";
  else if (lo)
    out = ">= " + format_number(min);
  else if (hi)
    out = "<= " + format_number(max);
  else
    out = "any";
  if (special) out += " (or " + format_number(*special) + ": " + special_meaning + ")";
  return out;
}

Table& Table::number(std::string name, double& field, Range range, std::string help) {
  return add({std::move(name),
              Type::number,
              range,
              {},
              std::move(help),
              field,
              true,
              [&field] { return json(field); },
              [&field](const json& v) { field = v.get<double>(); }});
}

Table& Table::flag(std::string name, bool& field, std::string help) {
  return add({std::move(name),
              Type::flag,
              {},
              {},
              std::move(help),
              field,
              true,
              [&field] { return json(field); },
              [&field](const json& v) { field = v.get<bool>(); }});
}

Table& Table::text(std::string name, std::string& field, std::vector<std::string> choices,
                   std::string help) {
  return add({std::move(name),
              Type::text,
              {},
              std::move(choices),
              std::move(help),
              field,
              true,
              [&field] { return json(field); },
              [&field](const json& v) { field = v.get<std::string>(); }});
}

Table& Table::text_list(std::string name, std::vector<std::string>& field, std::string help) {
  return add({std::move(name),
              Type::text_list,
              {},
              {},
              std::move(help),
              field,
              true,
              [&field] { return json(field); },
              [&field](const json& v) { field = v.get<std::vector<std::string>>(); }});
}

Table& Table::add(Setting setting) {
  if (setting.default_value.is_null() && setting.get) setting.default_value = setting.get();
  entries_.push_back(std::move(setting));
  return *this;
}

const Setting* Table::find(const std::string& name) const {
  for (const auto& s : entries_)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<std::string> Table::nearest(const std::string& name) const {
  std::optional<std::string> best;
  size_t best_distance = std::max<size_t>(2, name.size() / 3) + 1;
  for (const auto& s : entries_) {
    const size_t d = edit_distance(name, s.name);
    if (d < best_distance) {
      best_distance = d;
      best = s.name;
    }
  }
  return best;
}

std::string Table::names() const {
  std::string out;
  for (const auto& s : entries_)
    out += (out.empty() ? "" : ", ") + s.name;
  return out;
}

Error Table::unknown_key(const std::string& key, const std::string& where) const {
  std::string message = "'" + key + "' is not a " + what_;
  if (auto near = nearest(key))
    message += "; did you mean '" + *near + "'?";
  else
    message += " (valid: " + names() + ")";
  return make_error(where.empty() ? key : where + ": " + key, message);
}

Status Table::check_value(const Setting& s, const json& v, const std::string& where) const {
  auto bad = [&](const std::string& expected) {
    return make_error(where, "expected " + expected + ", got " + format_value(v));
  };
  switch (s.type) {
    case Type::flag:
      if (!v.is_boolean()) return bad("true or false");
      return {};
    case Type::integer:
    case Type::number: {
      if (!v.is_number()) return bad(s.type == Type::integer ? "an integer" : "a number");
      const double x = v.get<double>();
      if (s.type == Type::integer && !v.is_number_integer() && x != std::floor(x))
        return bad("an integer");
      if (!std::isfinite(x) || !s.range.allows(x))
        return make_error(where, format_value(v) + " is out of range " + s.range.text());
      return {};
    }
    case Type::text:
      if (!v.is_string()) return bad("text (a JSON string)");
      if (!s.choices.empty() &&
          std::find(s.choices.begin(), s.choices.end(), v.get<std::string>()) == s.choices.end()) {
        std::string list;
        for (const auto& c : s.choices)
          list += (list.empty() ? "" : ", ") + c;
        return make_error(where, format_value(v) + " is not one of " + list);
      }
      return {};
    case Type::text_list:
      if (!v.is_array()) return bad("a list of text");
      for (const auto& item : v)
        if (!item.is_string()) return bad("a list of text");
      return {};
  }
  return {};
}

namespace {

// Integral JSON for integer settings, so that 1e3 from an override or a file sets 1000.
json normalized(const Setting& s, const json& v) {
  if (s.type == Type::integer && v.is_number_float()) {
    const double x = v.get<double>();
    if (x < 0) return json(int64_t(x));
    return json(uint64_t(x));
  }
  return v;
}

}  // namespace

Status Table::apply_object(const json& object, const std::string& prefix,
                           const std::string& where) {
  for (const auto& [key, value] : object.items()) {
    const std::string name = prefix + key;
    const std::string at = where.empty() ? name : where + ": " + name;
    if (const Setting* s = find(name)) {
      TINYLLM_TRY(check_value(*s, value, at));
      try {
        s->set(normalized(*s, value));
      } catch (const json::exception&) {  // checked above; a mismatch is a bug in the table
        return make_error(at, "cannot store " + format_value(value));
      }
      continue;
    }
    const bool is_group =
        value.is_object() && std::any_of(entries_.begin(), entries_.end(), [&](const Setting& s) {
          return s.name.rfind(name + ".", 0) == 0;
        });
    if (is_group) {
      TINYLLM_TRY(apply_object(value, name + ".", where));
      continue;
    }
    return unknown_key(name, where);
  }
  return {};
}

Status Table::apply_json(const json& object, const std::string& where) {
  if (!object.is_object())
    return make_error(where,
                      "the " + what_ + " must be a JSON object, got " + format_value(object));
  return apply_object(object, "", where);
}

Status Table::apply_override(const std::string& key, const std::string& text, std::string* was,
                             std::string* now) {
  const Setting* s = find(key);
  if (!s) return unknown_key(key, "");
  json value;
  if (s->type == Type::text) {
    value = text;
  } else {
    value = json::parse(text, nullptr, false);
    if (value.is_discarded()) {
      if (s->type == Type::text_list) {
        // "a,b,c" as people type lists on a command line (a JSON array keeps commas in items).
        value = json::array();
        size_t start = 0;
        while (start <= text.size()) {
          const size_t comma = std::min(text.find(',', start), text.size());
          const size_t b = text.find_first_not_of(' ', start);
          const size_t e = text.find_last_not_of(' ', comma == 0 ? 0 : comma - 1);
          if (b < comma && e != std::string::npos && e >= b)
            value.push_back(text.substr(b, e - b + 1));
          start = comma + 1;
        }
      } else {
        return make_error(key, "expected " +
                                   std::string(s->type == Type::flag      ? "true or false"
                                               : s->type == Type::integer ? "an integer"
                                                                          : "a number") +
                                   ", got '" + text + "'");
      }
    }
  }
  TINYLLM_TRY(check_value(*s, value, key));
  if (was) *was = s->get().dump();
  s->set(normalized(*s, value));
  if (now) *now = s->get().dump();
  return {};
}

Status Table::apply_assignment(const std::string& assignment) {
  const size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0)
    return make_error(assignment, "expected key=value, e.g. " +
                                      (entries_.empty() ? std::string("key=1")
                                                        : entries_[0].name + "=" +
                                                              format_value(entries_[0].get())));
  return apply_override(assignment.substr(0, eq), assignment.substr(eq + 1));
}

Status Table::check() const {
  for (const auto& s : entries_)
    TINYLLM_TRY(check_value(s, s.get(), s.name));
  return {};
}

json Table::to_json() const {
  json out = json::object();
  for (const auto& s : entries_) {
    if (!s.dumped) continue;
    json* node = &out;
    size_t start = 0;
    for (size_t dot; (dot = s.name.find('.', start)) != std::string::npos; start = dot + 1)
      node = &(*node)[s.name.substr(start, dot - start)];
    (*node)[s.name.substr(start)] = s.get();
  }
  return out;
}

std::string Table::markdown() const {
  std::string out =
      "| key | type | default | allowed | meaning |\n| --- | --- | --- | --- | --- |\n";
  for (const auto& s : entries_) {
    std::string allowed;
    if (s.type == Type::integer || s.type == Type::number) {
      allowed = s.range.text();
    } else if (!s.choices.empty()) {
      for (const auto& c : s.choices)
        allowed += (allowed.empty() ? "`" : ", `") + c + "`";
    } else {
      allowed = "any";
    }
    // A text default on a non-text setting is a note ("preset"), shown as it is.
    const std::string def = s.default_value.is_null() ? "-"
                            : s.default_value.is_string() && s.type != Type::text
                                ? s.default_value.get<std::string>()
                                : format_value(s.default_value);
    out += "| `" + s.name + "` | " + to_string(s.type) + " | `" + def + "` | " + allowed + " | " +
           s.help + " |\n";
  }
  return out;
}

}  // namespace tinyllm::settings
