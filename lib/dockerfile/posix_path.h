#pragma once
// Lexical POSIX path handling for WORKDIR, like Go's path.Join/path.Clean.
#include <string>
#include <string_view>

namespace kiln::dockerfile {

// path.Clean: collapses //, /./ and /../; "" becomes ".".
std::string clean_posix_path(std::string_view p);

// The new working directory, as BuildKit writes it into the config: `next`
// verbatim if absolute, else joined onto `current` (or "/") and cleaned.
std::string resolve_workdir(std::string_view current, std::string_view next);

}  // namespace kiln::dockerfile
