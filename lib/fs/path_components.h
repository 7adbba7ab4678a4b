#pragma once
// Splitting a slash-separated path into its non-empty components, shared by
// in-root resolution and source globbing (both walk paths component by
// component so that no symlink is followed by accident).
#include <string>
#include <string_view>
#include <vector>

namespace kiln::fs {

inline std::vector<std::string> path_components(std::string_view p) {
  std::vector<std::string> parts;
  std::size_t i = 0;
  while (i <= p.size()) {
    std::size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    if (j > i) parts.emplace_back(p.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}

}  // namespace kiln::fs
