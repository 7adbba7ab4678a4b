#pragma once
// The names in an open directory (without "." and ".."), read in full before
// the caller changes the directory, so removals cannot disturb the listing.
#include <string>
#include <vector>

namespace kiln::fs {

// Throws kiln::IoError naming `what` when the directory cannot be read.
std::vector<std::string> list_dir_names(int dirfd, const std::string& what);

}  // namespace kiln::fs
