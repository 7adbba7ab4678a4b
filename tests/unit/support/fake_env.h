#pragma once
// An environment for one test case: a map behind the lookup signature the
// code under test takes (cli::GetEnv, objstore::GetEnv, registry::EnvLookup).
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::testing {

inline std::function<std::optional<std::string>(std::string_view)> fake_env(std::map<std::string, std::string> m) {
  return [m = std::move(m)](std::string_view k) -> std::optional<std::string> {
    auto it = m.find(std::string(k));
    if (it == m.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace kiln::testing
