#pragma once
// Turns a tar entry name into path components relative to the root.
// "./a", "/a" and "a" are the same entry; "." and empty components vanish;
// ".." is resolved lexically and must never climb above the root.
#include <string>
#include <string_view>
#include <vector>

namespace kiln::layer {

// Throws kiln::Error naming `name` (as `what`, e.g. "layer entry") when a
// ".." would leave the root or the name contains a NUL.
std::vector<std::string> split_entry_path(std::string_view name, std::string_view what = "layer entry");

// "/" + components joined by "/"; "/" for none.
std::string join_abs(const std::vector<std::string>& comps);
std::string child_path(const std::string& dir_abs, std::string_view name);

}  // namespace kiln::layer
