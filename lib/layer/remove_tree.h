#pragma once
// Deletes inside an extraction root for whiteouts and replacements. Never
// follows a symlink (a symlink is removed, not its target) and never touches
// an ignored path or anything below one.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::layer {

using PathPredicate = std::function<bool(std::string_view abs_path)>;

// Removes `name` in directory `dir_fd` (any descriptor usable with *at
// calls). `abs` is its in-image path, checked with `keep` (ignored paths)
// at every level. Returns true when nothing is left; false when a kept path
// below it made the directory stay. Missing is success. Throws kiln::IoError
// naming the path on other failures.
bool remove_tree(int dir_fd, const std::string& name, const std::string& abs, const PathPredicate& keep);

// Names in the directory `dir_fd` (may be an O_PATH descriptor), without
// "." and "..". `abs` names it in errors.
std::vector<std::string> list_dir(int dir_fd, const std::string& abs);

}  // namespace kiln::layer
