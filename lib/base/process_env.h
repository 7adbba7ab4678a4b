#pragma once
// The process environment as a GetEnv (base/env.h). Only main() calls it:
// everything below gets the lookup passed in.
#include <optional>
#include <string>
#include <string_view>

namespace kiln {

std::optional<std::string> process_env(std::string_view name);

}  // namespace kiln
