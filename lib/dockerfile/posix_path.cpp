#include "dockerfile/posix_path.h"

#include <vector>

namespace kiln::dockerfile {

std::string clean_posix_path(std::string_view p) {
  if (p.empty()) return ".";
  const bool rooted = p[0] == '/';
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= p.size()) {
    size_t j = p.find('/', i);
    if (j == std::string_view::npos) j = p.size();
    std::string_view seg = p.substr(i, j - i);
    if (seg.empty() || seg == ".") {
      // skip
    } else if (seg == "..") {
      if (!parts.empty() && parts.back() != "..") parts.pop_back();
      else if (!rooted) parts.emplace_back("..");
    } else {
      parts.emplace_back(seg);
    }
    i = j + 1;
  }
  std::string out = rooted ? "/" : "";
  for (size_t k = 0; k < parts.size(); ++k) out += (k ? "/" : "") + parts[k];
  if (out.empty()) return ".";
  return out;
}

std::string resolve_workdir(std::string_view current, std::string_view next) {
  // BuildKit keeps an absolute WORKDIR as written (after expansion): "$D/$UNSET"
  // with D=/path is "/path/" in its config. Only a relative one is joined and cleaned.
  if (!next.empty() && next[0] == '/') return std::string(next);
  std::string base = current.empty() ? "/" : std::string(current);
  return clean_posix_path("/" + base + "/" + std::string(next));
}

}  // namespace kiln::dockerfile
