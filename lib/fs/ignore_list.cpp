#include "fs/ignore_list.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "base/file.h"

namespace kiln::fs {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string decode_octal(std::string_view s) {
  auto is_oct = [](char c) { return c >= '0' && c <= '7'; };
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size() && is_oct(s[i + 1]) && is_oct(s[i + 2]) &&
        is_oct(s[i + 3])) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
      continue;
    }
    out.push_back(s[i]);
  }
  return out;
}

}  // namespace

std::string clean_abs(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    std::string_view c = path.substr(i, j - i);
    if (c.empty() || c == ".") {
    } else if (c == "..") {
      if (!parts.empty()) parts.pop_back();
    } else {
      parts.push_back(c);
    }
    i = j + 1;
  }
  if (parts.empty()) return "/";
  std::string out;
  for (auto c : parts) {
    out.push_back('/');
    out.append(c);
  }
  return out;
}

std::vector<std::string> mount_points_from_mountinfo(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    std::string_view line = text.substr(pos, nl - pos);
    pos = nl + 1;
    // Fields are separated by single spaces; escapes keep them space-free.
    std::size_t field = 0, i = 0;
    while (i < line.size() && field < 4) {
      std::size_t sp = line.find(' ', i);
      if (sp == std::string_view::npos) {
        i = line.size();
        break;
      }
      i = sp + 1;
      ++field;
    }
    if (field != 4 || i >= line.size()) continue;
    std::size_t end = line.find(' ', i);
    if (end == std::string_view::npos) end = line.size();
    std::string mp = decode_octal(line.substr(i, end - i));
    if (!mp.empty()) out.push_back(std::move(mp));
  }
  return out;
}

IgnoreList::IgnoreList(const std::vector<std::string>& paths) {
  for (const auto& p : paths) add(p);
}

void IgnoreList::add(std::string_view abs_path) {
  std::string p = clean_abs(abs_path);
  if (p == "/") return;
  for (std::size_t k = p.find('/', 1); k != std::string::npos; k = p.find('/', k + 1)) ancestors_.insert(p.substr(0, k));
  ancestors_.insert("/");
  entries_.insert(std::move(p));
}

IgnoreList IgnoreList::for_build(const Options& opts, std::string_view mountinfo_text) {
  IgnoreList l;
  l.add(opts.kaniko_dir.empty() ? "/kaniko" : opts.kaniko_dir);
  // The kernel filesystems (mounts anyway in a real container), and the
  // debug image's shell when there is one.
  for (const char* p : {"/proc", "/sys", "/dev"}) l.add(p);
  if (opts.ignore_busybox) l.add("/busybox");
  if (opts.ignore_var_run) l.add("/var/run");
  for (const auto& mp : mount_points_from_mountinfo(mountinfo_text))
    if (clean_abs(mp) != "/") l.add(mp);
  for (const auto& p : opts.ignore_paths) l.add(p);
  return l;
}

IgnoreList IgnoreList::for_build_from_proc(const Options& opts) {
  auto mountinfo = read_file_if_present("/proc/self/mountinfo");
  if (!mountinfo) throw SystemError("read /proc/self/mountinfo", errno);
  return for_build(opts, *mountinfo);
}

bool IgnoreList::ignored(std::string_view p) const {
  if (entries_.empty() || p.empty()) return false;
  // Check every prefix ending at a '/' boundary, then the whole path. The
  // lookups go through a std::string; paths are short, entries few.
  std::string buf;
  buf.reserve(p.size());
  for (std::size_t k = p.find('/', 1); k != std::string_view::npos; k = p.find('/', k + 1)) {
    buf.assign(p.substr(0, k));
    if (entries_.count(buf)) return true;
  }
  buf.assign(p);
  if (buf.size() > 1 && buf.back() == '/') buf.pop_back();
  return entries_.count(buf) != 0;
}

bool IgnoreList::is_ancestor_of_ignored(std::string_view p) const {
  if (ancestors_.empty()) return false;
  std::string buf(p);
  if (buf.size() > 1 && buf.back() == '/') buf.pop_back();
  return ancestors_.count(buf) != 0;
}

std::vector<std::string> IgnoreList::entries() const {
  std::vector<std::string> v(entries_.begin(), entries_.end());
  std::sort(v.begin(), v.end());
  return v;
}

}  // namespace kiln::fs
