#include "fs/snapshot.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "base/error.h"
#include "fs/content_hash.h"
#include "fs/path_order.h"
#include "fs/unique_fd.h"

namespace kiln::fs {
namespace {

std::int64_t realtime_ns() {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// File timestamps come from the kernel's coarse clock, which lags the real
// clock by up to one tick. A file stamped within that distance of the moment
// a snapshot started may be written again in the same tick, after we looked,
// without its mtime/ctime/size moving: such a record is "racy" and must have
// its contents compared next time (git's racy-clean rule). Twice the tick,
// and never under 20 ms, leaves room for filesystems that round further.
std::int64_t racy_slack_ns() {
  struct timespec res;
  std::int64_t tick = 4000000;
  if (clock_getres(CLOCK_REALTIME_COARSE, &res) == 0) tick = std::int64_t(res.tv_sec) * 1000000000 + res.tv_nsec;
  std::int64_t slack = 2 * tick;
  return slack < 20000000 ? 20000000 : slack;
}

bool same_type(std::uint32_t a, std::uint32_t b) { return (a & S_IFMT) == (b & S_IFMT); }

bool meta_equal(const ScanEntry& a, const ScanEntry& b) {
  return a.mtime_ns == b.mtime_ns && a.ctime_ns == b.ctime_ns && a.size == b.size && a.ino == b.ino &&
         a.mode == b.mode && a.uid == b.uid && a.gid == b.gid && a.rdev == b.rdev;
}

bool owner_mode_equal(const ScanEntry& a, const ScanEntry& b) {
  return a.mode == b.mode && a.uid == b.uid && a.gid == b.gid;
}

std::string read_link_below(int root_fd, const std::string& rel) {
  char buf[4096];
  ssize_t n = readlinkat(root_fd, rel.c_str(), buf, sizeof buf);
  if (n < 0) throw SystemError("readlink /" + rel, errno);
  // A leading marker keeps an empty target distinct from "not read".
  std::string out(1, '@');
  out.append(buf, static_cast<std::size_t>(n));
  return out;
}

}  // namespace

SnapshotMode parse_snapshot_mode(std::string_view name) {
  if (name == "full") return SnapshotMode::Full;
  if (name == "redo") return SnapshotMode::Redo;
  if (name == "time") return SnapshotMode::Time;
  throw UsageError("invalid --snapshot-mode \"" + std::string(name) + "\": want full, redo or time");
}

Snapshotter::Snapshotter(std::filesystem::path root, IgnoreList ignore, SnapshotMode mode)
    : root_(std::move(root)), ignore_(std::move(ignore)), mode_(mode) {}

void Snapshotter::fill_content(Record& r, int root_fd) {
  if (!r.content.empty()) return;
  try {
    if (S_ISREG(r.meta.mode)) {
      struct stat after;
      r.content = hash_file_below(root_fd, r.meta.path, &after);
      ++stats_.hashed;
      // Written to between our lstat and the read: the digest may not match
      // the metadata we keep, so keep neither claim.
      if (std::int64_t(after.st_mtim.tv_sec) * 1000000000 + after.st_mtim.tv_nsec != r.meta.mtime_ns ||
          std::int64_t(after.st_ctim.tv_sec) * 1000000000 + after.st_ctim.tv_nsec != r.meta.ctime_ns ||
          after.st_size != r.meta.size || after.st_ino != r.meta.ino)
        r.content.clear();
    } else if (S_ISLNK(r.meta.mode)) {
      r.content = read_link_below(root_fd, r.meta.path);
    }
  } catch (const IoError&) {
    // Vanished or unreadable now: leaving the content unknown makes the next
    // snapshot report the path as changed, which is the safe direction.
    r.content.clear();
  }
}

bool Snapshotter::same(const Record& old, Record& now, int root_fd) {
  const ScanEntry& a = old.meta;
  const ScanEntry& b = now.meta;
  if (!same_type(a.mode, b.mode)) return false;
  switch (mode_) {
    case SnapshotMode::Time:
      return a.mtime_ns == b.mtime_ns;
    case SnapshotMode::Redo:
      return a.mtime_ns == b.mtime_ns && a.size == b.size && owner_mode_equal(a, b);
    case SnapshotMode::Full:
      break;
  }
  if (S_ISDIR(b.mode)) return owner_mode_equal(a, b);
  if (!S_ISREG(b.mode) && !S_ISLNK(b.mode)) return owner_mode_equal(a, b) && a.rdev == b.rdev;
  if (meta_equal(a, b) && !old.racy) {
    now.content = old.content;
    return true;
  }
  if (!owner_mode_equal(a, b) || a.size != b.size) return false;
  if (old.content.empty()) return false;  // nothing to compare with: report it
  fill_content(now, root_fd);
  return !now.content.empty() && now.content == old.content;
}

Changes Snapshotter::take() {
  auto t0 = std::chrono::steady_clock::now();
  std::int64_t start_ns = realtime_ns();
  stats_ = {};
  std::vector<ScanEntry> scanned = scan_tree(root_, ignore_);
  stats_.walked = static_cast<std::int64_t>(scanned.size());

  UniqueFd root_fd(open(root_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd.valid()) throw SystemError("snapshot: open root " + root_.string(), errno);

  const std::int64_t racy_from = start_ns - racy_slack_ns();
  std::vector<Record> now(scanned.size());
  for (std::size_t k = 0; k < scanned.size(); ++k) {
    now[k].meta = std::move(scanned[k]);
    const ScanEntry& m = now[k].meta;
    now[k].racy = mode_ == SnapshotMode::Full && (m.mtime_ns >= racy_from || m.ctime_ns >= racy_from);
  }

  Changes ch;
  std::vector<unsigned char> changed(now.size(), 0);
  std::string gone;  // last top-most vanished/replaced directory
  auto vanished = [&](const std::string& p) {
    if (!gone.empty() && is_below(p, gone)) return;
    ch.deleted.push_back(p);
    gone = p;
  };

  std::size_t i = 0, j = 0;
  while (i < state_.size() || j < now.size()) {
    int c = i == state_.size() ? 1 : j == now.size() ? -1 : compare_walk_order(state_[i].meta.path, now[j].meta.path);
    if (c < 0) {
      vanished(state_[i].meta.path);
      ++i;
    } else if (c > 0) {
      changed[j++] = 1;
    } else {
      Record& o = state_[i];
      Record& n = now[j];
      if (!same(o, n, root_fd.get())) {
        changed[j] = 1;
        if (S_ISDIR(o.meta.mode) && !S_ISDIR(n.meta.mode)) {
          ch.replaced_dirs.push_back(n.meta.path);
          gone = n.meta.path;
        }
      }
      ++i;
      ++j;
    }
  }

  // Mark the ancestors of every changed path. In walk order the enclosing
  // directories of an entry are exactly the stack of directories still open.
  std::vector<std::size_t> open_dirs;
  for (std::size_t k = 0; k < now.size(); ++k) {
    const std::string& p = now[k].meta.path;
    while (!open_dirs.empty() && !is_below(p, now[open_dirs.back()].meta.path)) open_dirs.pop_back();
    if (changed[k]) {
      // 2 = this entry's ancestors are marked too; stop climbing there.
      for (auto it = open_dirs.rbegin(); it != open_dirs.rend() && changed[*it] != 2; ++it) changed[*it] = 2;
      changed[k] = 2;
    }
    if (S_ISDIR(now[k].meta.mode)) open_dirs.push_back(k);
  }
  for (std::size_t k = 0; k < now.size(); ++k)
    if (changed[k]) ch.added_or_modified.push_back(now[k].meta.path);

  // A racy record is compared by contents next time; read them while the
  // state is fresh. Only files stamped in the last few milliseconds are racy.
  for (auto& r : now)
    if (r.racy) fill_content(r, root_fd.get());

  state_ = std::move(now);
  stats_.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return ch;
}

void Snapshotter::baseline() {
  state_.clear();
  take();
}

}  // namespace kiln::fs
