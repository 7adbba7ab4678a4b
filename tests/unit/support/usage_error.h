#pragma once
// What a test of bad input asserts on: the message of the kiln::UsageError a
// call throws. Any other exception propagates and fails the test.
#include <functional>
#include <string>

#include "base/error.h"

namespace kiln::testing {

// The UsageError's message, or "no error" when f returns normally.
inline std::string usage_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const kiln::UsageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace kiln::testing
