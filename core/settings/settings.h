// tinyllm_settings: one typed table per group of settings (training, data preparation, tokenizer)
// so that every front end reads, checks, echoes and documents them the same way.
//
// A Table is built over a settings struct: each entry binds a field to its name, type, range or
// choices and a one-line help text; the value the field holds when the entry is added is its
// default (build the table over a default-constructed struct to list defaults). From the table:
// apply a JSON object (unknown keys are errors that suggest the nearest valid key), apply
// `key=value` overrides parsed as the key's type, range-check, dump to JSON, and render the
// Markdown table the docs hold. Nested objects are dotted names: "split.train".
//
// nlohmann exceptions never leave this library: a wrong type is an Error that names the key.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.h"

namespace tinyllm::settings {

enum class Type { flag, integer, number, text, text_list };
const char* to_string(Type type);

// Allowed numbers: [min, max], plus optionally one value outside it with its own meaning
// ("0: keep the source rate").
struct Range {
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::optional<double> special;
  std::string special_meaning;

  static Range between(double lo, double hi) { return Range{lo, hi, std::nullopt, {}}; }
  Range or_value(double value, std::string meaning) const {
    Range r = *this;
    r.special = value;
    r.special_meaning = std::move(meaning);
    return r;
  }
  bool allows(double value) const;
  std::string text() const;  // "[1, 1000] (or 0: keep the source rate)"
};

struct Setting {
  std::string name;  // "lr", "split.train"
  Type type = Type::text;
  Range range;                       // numbers
  std::vector<std::string> choices;  // text; empty: any text
  std::string help;                  // one line
  nlohmann::json default_value;      // the field's value when the entry was added
  bool dumped = true;                // part of to_json (false: applied elsewhere, e.g. overrides)
  std::function<nlohmann::json()> get;
  std::function<void(const nlohmann::json&)> set;  // called with a checked value only
};

class Table {
 public:
  // `what` names the group in errors: "training settings", "prepare settings".
  explicit Table(std::string what) : what_(std::move(what)) {}

  template <class Int>
  Table& integer(std::string name, Int& field, Range range, std::string help) {
    static_assert(std::is_integral_v<Int> && !std::is_same_v<Int, bool>);
    return add({std::move(name),
                Type::integer,
                range,
                {},
                std::move(help),
                field,
                true,
                [&field] { return nlohmann::json(field); },
                [&field](const nlohmann::json& v) {
                  field = std::is_unsigned_v<Int> ? Int(v.get<uint64_t>()) : Int(v.get<int64_t>());
                }});
  }
  Table& number(std::string name, double& field, Range range, std::string help);
  Table& flag(std::string name, bool& field, std::string help);
  Table& text(std::string name, std::string& field, std::vector<std::string> choices,
              std::string help);
  Table& text_list(std::string name, std::vector<std::string>& field, std::string help);
  // An entry with its own get/set (enums, values kept elsewhere).
  Table& add(Setting setting);

  const std::string& what() const { return what_; }
  const std::vector<Setting>& entries() const { return entries_; }
  const Setting* find(const std::string& name) const;
  // The valid name closest to `name` by edit distance, when close enough to be a likely typo.
  std::optional<std::string> nearest(const std::string& name) const;
  std::string names() const;  // "a, b, c"

  // Applies the keys of a JSON object; `where` names the source ("run.json"). Nested objects
  // address dotted names. Unknown keys, wrong types and out-of-range values are errors naming the
  // key (and the range); on error the fields may be partly applied.
  Status apply_json(const nlohmann::json& object, const std::string& where);
  // Applies one `key=value` override; the text is parsed as the key's type (text as it is).
  // `was`/`now` receive the old and new value as JSON text, for the echo.
  Status apply_override(const std::string& key, const std::string& value,
                        std::string* was = nullptr, std::string* now = nullptr);
  // "key=value" as one argument (e.g. --set key=value).
  Status apply_assignment(const std::string& assignment);
  // Range-checks every current value (after code changed fields directly).
  Status check() const;
  // The dumped settings as a JSON object, dotted names nested.
  nlohmann::json to_json() const;
  // A Markdown table: | key | type | default | allowed | meaning |.
  std::string markdown() const;

  // One value checked against an entry (type and range) without applying it.
  Status check_value(const Setting& setting, const nlohmann::json& value,
                     const std::string& where) const;

 private:
  Status apply_object(const nlohmann::json& object, const std::string& prefix,
                      const std::string& where);
  Error unknown_key(const std::string& key, const std::string& where) const;

  std::string what_;
  std::vector<Setting> entries_;
};

// A number as people write it: 10000000, 0.05, 1e-08.
std::string format_number(double value);
// A JSON value for messages: numbers via format_number, strings quoted.
std::string format_value(const nlohmann::json& value);
// Levenshtein distance (for "did you mean").
size_t edit_distance(const std::string& a, const std::string& b);
// Parses JSON text, translating errors to an Error at `where` (line and column).
Result<nlohmann::json> parse_json(const std::string& text, const std::string& where);

}  // namespace tinyllm::settings
