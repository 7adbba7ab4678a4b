#pragma once
// The order in which a depth-first walk with sorted directory listings visits
// paths: a directory, then everything below it, then its next sibling. As a
// comparison of root-relative paths this is byte order with '/' ranked below
// every other byte ("a" < "a/b" < "a.b"), so two walks merge in one pass.
#include <string_view>

namespace kiln::fs {

inline int compare_walk_order(std::string_view a, std::string_view b) {
  std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    unsigned char x = a[i] == '/' ? 0 : static_cast<unsigned char>(a[i]);
    unsigned char y = b[i] == '/' ? 0 : static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

// "a/b" is below "a" (and not below "a.b" or "ab").
inline bool is_below(std::string_view child, std::string_view dir) {
  return child.size() > dir.size() && child[dir.size()] == '/' && child.substr(0, dir.size()) == dir;
}

}  // namespace kiln::fs
