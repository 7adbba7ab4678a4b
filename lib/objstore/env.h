#pragma once
// How the object-store code reads the process environment: a function passed
// in by value, so tests give each case its own environment.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::objstore {

// The object a bare s3://bucket or gs://bucket names, as in kaniko.
inline constexpr const char* kDefaultContextObject = "context.tar.gz";

using GetEnv = std::function<std::optional<std::string>(std::string_view)>;

// The variable's value, or "" when unset or no getenv was given.
inline std::string env_or_empty(const GetEnv& env, std::string_view name) {
  if (!env) return "";
  auto v = env(name);
  return v ? *v : std::string();
}

}  // namespace kiln::objstore
