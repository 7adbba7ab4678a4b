#pragma once
// Wildcard expansion of COPY/ADD sources inside a build context, with Go's
// filepath.Match rules (what Docker uses): `*`, `?`, `[...]` per path
// component, `\` escapes, and `*` matching a leading dot too.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::fs {

bool has_wildcards(std::string_view pattern);

// Lexically cleans a source path relative to the context root ("/a/./b" ->
// "a/b", "" or "." -> ""). Throws kiln::UsageError when ".." climbs above
// the root.
std::string clean_source_path(std::string_view source);

// Root-relative paths matching the cleaned pattern, sorted; empty when none.
// Intermediate directories may be symlinks inside root; one leading out is
// kiln::UsageError.
std::vector<std::string> glob_beneath(const std::filesystem::path& root, std::string_view pattern);

}  // namespace kiln::fs
