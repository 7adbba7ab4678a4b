#pragma once
// How code reads the process environment: a function passed in, never
// std::getenv below main(), so tests give each case its own environment and
// no library holds global state.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

// The variable's value, or nullopt when it is unset.
using GetEnv = std::function<std::optional<std::string>(std::string_view)>;

}  // namespace kiln
