#pragma once
// Every complaint about a Dockerfile names the file and line so the user can
// jump straight to it: "Dockerfile:7: unknown instruction: FORM".
#include <string>
#include <string_view>

#include "base/error.h"

namespace kiln::dockerfile {

[[noreturn]] inline void fail_at(std::string_view file, int line, const std::string& msg) {
  throw kiln::UsageError(std::string(file) + ":" + std::to_string(line) + ": " + msg);
}

inline std::string at(std::string_view file, int line, const std::string& msg) {
  return std::string(file) + ":" + std::to_string(line) + ": " + msg;
}

// Runs f; a UsageError without a location (from the shell lexer, a mount
// spec...) gets "file:line: " put in front.
template <class F>
auto with_location(std::string_view file, int line, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const kiln::UsageError& e) {
    std::string msg = e.what();
    if (msg.rfind(std::string(file) + ":", 0) == 0) throw;
    fail_at(file, line, msg);
  }
}

}  // namespace kiln::dockerfile
