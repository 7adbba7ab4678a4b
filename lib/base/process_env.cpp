#include "base/process_env.h"

#include <cstdlib>

namespace kiln {

std::optional<std::string> process_env(std::string_view name) {
  if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
  return std::nullopt;
}

}  // namespace kiln
