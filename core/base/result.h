// Result<T>: a value or an Error that says what went wrong and where.
//
// One error style for the whole project: functions that can fail return Result<T> (or Status for
// no value); nothing throws across a library boundary, and nothing returns a half-built object.
// An Error carries the place (file:line:column, a JSON field, a byte offset) separately from the
// message so that the CLI, the GUI and tests can all show or check it.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace tinyllm {

struct Error {
  std::string where;    // "data.csv:12:3", "project.json: field 'name'", "" when not applicable
  std::string message;  // what is wrong and, where possible, what to do about it

  std::string to_string() const { return where.empty() ? message : where + ": " + message; }
};

// Builds an Error; `where` first because that is how it reads in the output.
inline Error make_error(std::string where, std::string message) {
  return Error{std::move(where), std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::move(value)) {}      // NOLINT: implicit on purpose
  Result(Error error) : state_(std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace tinyllm

// Propagates a failed Result/Status from the current function.
#define TINYLLM_TRY(expr)                                              \
  do {                                                                 \
    auto tinyllm_try_status_ = (expr);                                 \
    if (!tinyllm_try_status_.ok()) return tinyllm_try_status_.error(); \
  } while (0)

// Declares `var` from a Result<T> expression, or returns its Error.
#define TINYLLM_TRY_ASSIGN(var, expr)                    \
  auto var##_result_ = (expr);                           \
  if (!var##_result_.ok()) return var##_result_.error(); \
  auto var = std::move(var##_result_).value()
