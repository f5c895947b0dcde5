#pragma once
// Result<T>: the value of an operation the outside world can make fail, or an Error saying why.
// Errors carry a short machine code (e.g. "bad_hex", "truncated") and a one-line human message
// that names the input and the problem. Accessing value() of an error Result is a programming
// bug and aborts; callers check ok() first.
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace hunter {

struct Error {
  std::string code;
  std::string message;

  // Prefixes the message with where the failure happened ("field sn: ...").
  Error context(const std::string& where) const { return Error{code, where + ": " + message}; }
};

inline Error makeError(std::string code, std::string message) {
  return Error{std::move(code), std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}      // NOLINT implicit
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT implicit

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    if (!ok()) std::abort();
    return std::get<0>(v_);
  }
  const T& value() const& {
    if (!ok()) std::abort();
    return std::get<0>(v_);
  }
  // By value, so `for (auto& x : f().value())` does not dangle.
  T value() && {
    if (!ok()) std::abort();
    return std::get<0>(std::move(v_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const {
    if (ok()) std::abort();
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

// Result<void> equivalent.
struct Unit {};
using Status = Result<Unit>;
inline Status okStatus() { return Unit{}; }

}  // namespace hunter

// Propagates an error from an expression returning Result<T>; binds the value otherwise.
#define HUNTER_CONCAT_INNER(a, b) a##b
#define HUNTER_CONCAT(a, b) HUNTER_CONCAT_INNER(a, b)
#define HUNTER_TRY_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                    \
  if (!tmp.ok()) return tmp.error();    \
  lhs = std::move(tmp).value()
#define HUNTER_TRY(lhs, expr) HUNTER_TRY_IMPL(HUNTER_CONCAT(_hunter_try_, __LINE__), lhs, expr)
#define HUNTER_CHECK(expr)                           \
  do {                                               \
    auto _hunter_st = (expr);                        \
    if (!_hunter_st.ok()) return _hunter_st.error(); \
  } while (0)
