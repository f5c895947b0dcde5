#pragma once
// Small helpers for tests of Result<T> (hunter/util/result.hpp).
#include <string>

namespace hunter::testing {

// The error code of a Result, or "<ok>": an EXPECT_EQ on it names the code instead of calling
// error() of a successful result.
template <class R>
std::string codeOf(const R& r) {
  return r.ok() ? std::string("<ok>") : r.error().code;
}

}  // namespace hunter::testing
