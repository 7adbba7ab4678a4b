#include "steps/mount_checks.h"

#include <sys/stat.h>
#include <time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "base/error.h"
#include "fs/ignore_list.h"

namespace kiln::steps {
namespace {

std::int64_t ns(const struct timespec& t) { return static_cast<std::int64_t>(t.tv_sec) * 1000000000 + t.tv_nsec; }

bool same(const fs::ScanEntry& a, const fs::ScanEntry& b) {
  return a.ino == b.ino && a.ctime_ns == b.ctime_ns && a.mtime_ns == b.mtime_ns && a.size == b.size &&
         a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.nlink == b.nlink;
}

}  // namespace

TreeStamp stamp_tree(const std::filesystem::path& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return {};
    throw IoError("RUN --mount: lstat " + path.string() + ": " + std::strerror(errno));
  }
  fs::ScanEntry self;
  self.ino = st.st_ino;
  self.size = st.st_size;
  self.mtime_ns = ns(st.st_mtim);
  self.ctime_ns = ns(st.st_ctim);
  self.mode = st.st_mode;
  self.uid = st.st_uid;
  self.gid = st.st_gid;
  self.nlink = static_cast<std::uint32_t>(st.st_nlink);
  TreeStamp out{self};
  if (S_ISDIR(st.st_mode)) {
    auto below = fs::scan_tree(path, fs::IgnoreList(), 1);
    out.insert(out.end(), below.begin(), below.end());
  }
  std::sort(out.begin(), out.end(), [](const fs::ScanEntry& a, const fs::ScanEntry& b) { return a.path < b.path; });
  return out;
}

std::optional<std::string> first_change(const TreeStamp& before, const TreeStamp& after) {
  // The most telling difference: an entry created or removed, else a changed
  // file, else the deepest changed directory (a directory changes with
  // whatever is created or removed in it).
  std::map<std::string, const fs::ScanEntry*> now;
  for (const auto& e : after) now[e.path] = &e;
  std::optional<std::string> changed_file, changed_dir;
  for (const auto& b : before) {
    auto it = now.find(b.path);
    if (it == now.end()) return b.path + " removed";
    if (!same(b, *it->second)) {
      if (!S_ISDIR(b.mode) || !S_ISDIR(it->second->mode)) {
        if (!changed_file) changed_file = b.path;
      } else if (!changed_dir || b.path.size() > changed_dir->size()) {
        changed_dir = b.path;
      }
    }
    now.erase(it);
  }
  if (!now.empty()) return now.begin()->first + " created";
  if (changed_file) return *changed_file + " changed";
  if (changed_dir) return *changed_dir + " changed";
  return std::nullopt;
}

std::uint64_t file_bytes(const TreeStamp& stamp) {
  std::uint64_t sum = 0;
  for (const auto& e : stamp)
    if (!S_ISDIR(e.mode) && e.size > 0) sum += static_cast<std::uint64_t>(e.size);
  return sum;
}

void wait_past_ctimes(const std::vector<const TreeStamp*>& stamps) {
  std::int64_t latest = 0;
  for (const auto* s : stamps)
    for (const auto& e : *s) latest = std::max(latest, e.ctime_ns);
  // A tick is 1 to 10 ms; give up after 100 ms (a clock set backwards).
  for (int i = 0; i < 100; ++i) {
    struct timespec now;
    if (clock_gettime(CLOCK_REALTIME_COARSE, &now) != 0 || ns(now) > latest) return;
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, nullptr);
  }
}

}  // namespace kiln::steps
