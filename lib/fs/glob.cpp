#include "fs/glob.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "base/error.h"
#include "fs/dir_names.h"
#include "fs/path_components.h"
#include "fs/resolve.h"
#include "fs/unique_fd.h"

namespace kiln::fs {
namespace {

std::string unescape(const std::string& c) {
  std::string out;
  for (std::size_t i = 0; i < c.size(); ++i) {
    if (c[i] == '\\' && i + 1 < c.size()) ++i;
    out.push_back(c[i]);
  }
  return out;
}

std::string join(const std::string& dir, const std::string& name) { return dir.empty() ? name : dir + "/" + name; }

}  // namespace

bool has_wildcards(std::string_view p) { return p.find_first_of("*?[\\") != std::string_view::npos; }

std::string clean_source_path(std::string_view source) {
  std::vector<std::string> out;
  for (auto& c : path_components(source)) {
    if (c == ".") continue;
    if (c == "..") {
      if (out.empty()) throw UsageError("forbidden path outside the build context: " + std::string(source));
      out.pop_back();
      continue;
    }
    out.push_back(c);
  }
  std::string s;
  for (auto& c : out) s = join(s, c);
  return s;
}

std::vector<std::string> glob_beneath(const std::filesystem::path& root, std::string_view pattern) {
  std::vector<std::string> cands{""};
  for (const auto& comp : path_components(clean_source_path(pattern))) {
    std::vector<std::string> next;
    for (const auto& dir : cands) {
      if (!has_wildcards(comp)) {
        std::string p = join(dir, unescape(comp));
        struct stat st;
        if (lstat(resolve_beneath(root, p, false).c_str(), &st) == 0) next.push_back(p);
        continue;
      }
      std::filesystem::path hd = resolve_beneath(root, dir, true);
      UniqueFd fd(open(hd.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
      if (!fd.valid()) continue;  // not a directory: nothing below it matches
      auto names = list_dir_names(fd.get(), hd.string());
      std::sort(names.begin(), names.end());
      for (const auto& n : names)
        if (fnmatch(comp.c_str(), n.c_str(), 0) == 0) next.push_back(join(dir, n));
    }
    cands = std::move(next);
    if (cands.empty()) break;
  }
  if (cands.size() == 1 && cands[0].empty()) return {};
  return cands;
}

}  // namespace kiln::fs
