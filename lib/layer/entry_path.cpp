#include "layer/entry_path.h"

#include "base/error.h"

namespace kiln::layer {

std::vector<std::string> split_entry_path(std::string_view name, std::string_view what) {
  if (name.find('\0') != std::string_view::npos)
    throw Error(std::string(what) + " '" + std::string(name.substr(0, name.find('\0'))) + "' contains a NUL byte");
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= name.size()) {
    std::size_t j = name.find('/', i);
    if (j == std::string_view::npos) j = name.size();
    std::string_view c = name.substr(i, j - i);
    if (c == "..") {
      if (out.empty())
        throw Error(std::string(what) + " '" + std::string(name) + "' points outside the root (refused)");
      out.pop_back();
    } else if (!c.empty() && c != ".") {
      out.emplace_back(c);
    }
    i = j + 1;
  }
  return out;
}

std::string join_abs(const std::vector<std::string>& comps) {
  if (comps.empty()) return "/";
  std::string s;
  for (const auto& c : comps) {
    s += '/';
    s += c;
  }
  return s;
}

std::string child_path(const std::string& dir_abs, std::string_view name) {
  std::string s = dir_abs;
  if (s.empty() || s.back() != '/') s += '/';
  s += name;
  return s;
}

}  // namespace kiln::layer
