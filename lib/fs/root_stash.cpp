#include "fs/root_stash.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <set>
#include <utility>

#include "base/error.h"
#include "fs/dir_names.h"
#include "fs/unique_fd.h"
#include "fs/wipe.h"

namespace kiln::fs {
namespace {

constexpr int kDirFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
constexpr int kRebuildLimit = 100;  // entries of a lower overlayfs directory worth copying up

std::string abs_of(const std::string& rel) { return "/" + rel; }
std::string join(const std::string& rel, const std::string& name) { return rel.empty() ? name : rel + "/" + name; }

std::pair<std::string, std::string> split_parent(const std::string& rel) {
  auto s = rel.rfind('/');
  if (s == std::string::npos) return {"", rel};
  return {rel.substr(0, s), rel.substr(s + 1)};
}

StashEntry in_place(const std::string& rel, const struct stat& st) {
  StashEntry e;
  e.kind = StashEntry::Kind::InPlace;
  e.rel = rel;
  e.mode = st.st_mode & 07777;
  e.uid = st.st_uid;
  e.gid = st.st_gid;
  e.mtime = st.st_mtim;
  return e;
}

StashEntry moved(const std::string& rel) {
  StashEntry e;
  e.rel = rel;
  return e;
}

// Root-relative directory `rel`, one component at a time, never through a
// symlink: whatever the build left in the root cannot redirect a restore.
UniqueFd open_beneath(int rootfd, const std::string& rel) {
  UniqueFd cur(fcntl(rootfd, F_DUPFD_CLOEXEC, 0));
  std::size_t pos = 0;
  while (cur.valid() && pos < rel.size()) {
    std::size_t slash = rel.find('/', pos);
    std::string comp = rel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    cur = UniqueFd(openat(cur.get(), comp.c_str(), kDirFlags));
    pos = slash == std::string::npos ? rel.size() : slash + 1;
  }
  return cur;
}

// Owner first: chown may clear the mode's set-id bits.
bool set_metadata(int fd, uid_t uid, gid_t gid, mode_t mode, const struct timespec& mtime) {
  struct timespec times[2] = {{0, UTIME_OMIT}, mtime};
  return fchown(fd, uid, gid) == 0 && fchmod(fd, mode) == 0 && futimens(fd, times) == 0;
}

// Removes a tree of directories only (the stash's mirrors of directories that
// stayed in place); anything else in it means something did not go back.
bool remove_dirs_only(int parentfd, const std::string& name) {
  {
    UniqueFd fd(openat(parentfd, name.c_str(), kDirFlags));
    if (!fd.valid()) return false;
    for (const auto& n : list_dir_names(fd.get(), name))
      if (!remove_dirs_only(fd.get(), n)) return false;
  }
  return unlinkat(parentfd, name.c_str(), AT_REMOVEDIR) == 0;
}

class SetAside {
 public:
  SetAside(const IgnoreList& keep, std::string stash_name, std::vector<StashEntry>& out,
           std::vector<std::string>& left)
      : left_(left), keep_(keep), stash_name_(std::move(stash_name)), out_(out) {}

  // A directory that stays: entries that are kept stay, entries on the way
  // to a kept path are walked, everything else is moved.
  void walk(int dirfd, int mirrorfd, dev_t dev, const std::string& rel) {
    for (const auto& name : list_dir_names(dirfd, abs_of(rel))) {
      if (error) return;
      if (rel.empty() && name == stash_name_) continue;
      std::string child = join(rel, name);
      if (keep_.ignored(abs_of(child))) continue;
      struct stat st;
      if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        fail("stat", child);
        return;
      }
      // A mount the ignore list missed is left alone, as the wipe does.
      if (S_ISDIR(st.st_mode) && st.st_dev != dev) continue;
      if (keep_.is_ancestor_of_ignored(abs_of(child))) {
        // A symlink on the way to a kept path stays: it decides where that
        // path resolves.
        if (!S_ISDIR(st.st_mode)) continue;
        auto [fd, mirror] = open_pair(dirfd, mirrorfd, name, child);
        if (error) return;
        out_.push_back(in_place(child, st));
        walk(fd.get(), mirror.get(), dev, child);
        continue;
      }
      move(dirfd, mirrorfd, dev, name, child, st);
    }
  }

  std::optional<std::string> error;
  std::vector<std::string>& left_;

 private:
  // At most `budget` entries below dirfd/name (never follows a symlink).
  static bool small_tree(int dirfd, const std::string& name, int budget) {
    UniqueFd fd(openat(dirfd, name.c_str(), kDirFlags));
    if (!fd.valid()) return false;
    return count_within(fd.get(), name, budget) >= 0;
  }
  // Entries left of the budget, or -1 once it is exceeded.
  static int count_within(int fd, const std::string& what, int budget) {
    for (const auto& n : list_dir_names(fd, what)) {
      if (--budget < 0) return -1;
      UniqueFd child(openat(fd, n.c_str(), kDirFlags));
      if (child.valid() && (budget = count_within(child.get(), n, budget)) < 0) return -1;
    }
    return budget;
  }

  void move(int dirfd, int mirrorfd, dev_t dev, const std::string& name, const std::string& rel, const struct stat& st) {
    if (renameat(dirfd, name.c_str(), mirrorfd, name.c_str()) == 0) {
      out_.push_back(moved(rel));
      return;
    }
    if (errno != EXDEV || !S_ISDIR(st.st_mode)) {
      fail("move aside", rel);
      return;
    }
    // overlayfs without redirect_dir cannot rename a directory of a lower
    // layer: rebuild it in the stash from its entries, then remove it. Each
    // file renamed is copied up and fsynced (8 ms a file on the test VM), so
    // only small directories (a WORKDIR) are rebuilt; a large one stays.
    if (!small_tree(dirfd, name, kRebuildLimit)) {
      left_.push_back(abs_of(rel));
      return;
    }
    auto [fd, mirror] = open_pair(dirfd, mirrorfd, name, rel);
    if (error) return;
    std::size_t mark = out_.size();
    out_.push_back(in_place(rel, st));
    for (const auto& n : list_dir_names(fd.get(), abs_of(rel))) {
      struct stat cst;
      if (fstatat(fd.get(), n.c_str(), &cst, AT_SYMLINK_NOFOLLOW) != 0) {
        fail("stat", join(rel, n));
        return;
      }
      if (S_ISDIR(cst.st_mode) && cst.st_dev != dev) continue;
      move(fd.get(), mirror.get(), dev, n, join(rel, n), cst);
      if (error) return;
    }
    fd.reset();
    // Removed: the rebuilt copy goes back whole. Not removable (a missed
    // mount below): it stays in place, its entries go back one by one.
    if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0) return;
    if (!set_metadata(mirror.get(), st.st_uid, st.st_gid, st.st_mode & 07777, st.st_mtim)) {
      fail("copy the metadata of", rel);
      return;
    }
    out_.resize(mark);
    out_.push_back(moved(rel));
  }

  // The directory itself and a new, private directory of the same name in
  // the stash.
  std::pair<UniqueFd, UniqueFd> open_pair(int dirfd, int mirrorfd, const std::string& name, const std::string& rel) {
    UniqueFd fd(openat(dirfd, name.c_str(), kDirFlags));
    if (!fd.valid()) {
      fail("open", rel);
      return {};
    }
    if (mkdirat(mirrorfd, name.c_str(), 0700) != 0) {
      fail("create the stash directory for", rel);
      return {};
    }
    UniqueFd mirror(openat(mirrorfd, name.c_str(), kDirFlags));
    if (!mirror.valid()) fail("open the stash directory for", rel);
    return {std::move(fd), std::move(mirror)};
  }

  void fail(const std::string& what, const std::string& rel) {
    if (!error) error = "--cleanup: cannot " + what + " " + abs_of(rel) + ": " + std::strerror(errno);
  }

  const IgnoreList& keep_;
  std::string stash_name_;
  std::vector<StashEntry>& out_;
};

}  // namespace

std::vector<std::string> ancestors_made_by_build(const std::vector<std::string>& kept,
                                                 const std::vector<std::string>& existed, const IgnoreList& keep) {
  std::set<std::string> before(existed.begin(), existed.end());
  std::set<std::string> made;
  for (const auto& path : kept) {
    std::string rel = path.substr(1);  // "/a/b/c": its ancestors are "a/b" and "a"
    for (auto s = rel.find('/'); s != std::string::npos; s = rel.find('/', s + 1)) {
      std::string anc = rel.substr(0, s);
      if (!before.count(anc) && !keep.ignored(abs_of(anc))) made.insert(anc);
    }
  }
  std::vector<std::string> out(made.begin(), made.end());
  // Deepest first, so that a parent emptied by removing its child goes too.
  std::stable_sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return std::count(a.begin(), a.end(), '/') > std::count(b.begin(), b.end(), '/');
  });
  return out;
}

RootStash RootStash::set_aside(const std::filesystem::path& root, const IgnoreList& keep) {
  UniqueFd rootfd(open(root.c_str(), kDirFlags & ~O_NOFOLLOW));
  struct stat st;
  if (!rootfd.valid() || fstat(rootfd.get(), &st) != 0)
    throw IoError("--cleanup: open root " + root.string() + ": " + std::strerror(errno));
  std::string tmpl = (root / ".kiln-stash-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw IoError("--cleanup: create a stash in " + root.string() + ": " + std::strerror(errno));
  RootStash s(root, std::filesystem::path(tmpl).filename().string());
  s.entries_.push_back(in_place("", st));
  std::string error;
  try {
    UniqueFd stashfd(openat(rootfd.get(), s.name_.c_str(), kDirFlags));
    if (!stashfd.valid()) throw IoError("--cleanup: open " + tmpl + ": " + std::strerror(errno));
    SetAside walk(keep, s.name_, s.entries_, s.left_in_place_);
    walk.walk(rootfd.get(), stashfd.get(), st.st_dev, "");
    if (walk.error) error = *walk.error;
  } catch (const IoError& e) {
    error = e.what();
  }
  if (error.empty()) return s;
  // Undo: nothing stays hidden when the build does not go ahead.
  std::string undo_error;
  s.move_back(&undo_error);
  bool removed = remove_dirs_only(rootfd.get(), s.name_);
  s.restore_metadata(&undo_error);
  throw IoError(error + (removed ? std::string() : " (the container's files that did not go back are in /" + s.name_ + ")"));
}

void RootStash::restore(const IgnoreList& keep) {
  std::string first;
  try {
    wipe_root(root_, keep);
  } catch (const IoError& e) {
    first = e.what();
  }
  move_back(&first);
  UniqueFd rootfd(open(root_.c_str(), kDirFlags & ~O_NOFOLLOW));
  bool removed = false;
  try {
    removed = rootfd.valid() && remove_dirs_only(rootfd.get(), name_);
  } catch (const IoError&) {
  }
  if (!removed && first.empty()) first = "--cleanup: the stash " + in_image_path() + " is not empty after the restore";
  remove_made_ancestors(keep);
  // Last: removing the stash changed the root's mtime.
  restore_metadata(&first);
  if (!first.empty())
    throw IoError(first + (removed ? std::string() : " (what did not go back is in " + in_image_path() + ")"));
}

void RootStash::move_back(std::string* first_error) {
  auto fail = [&](const std::string& what, const std::string& rel) {
    if (first_error->empty())
      *first_error = "--cleanup: cannot " + what + " /" + rel + ": " + std::strerror(errno);
  };
  UniqueFd rootfd(open(root_.c_str(), kDirFlags & ~O_NOFOLLOW));
  UniqueFd stashfd(rootfd.valid() ? openat(rootfd.get(), name_.c_str(), kDirFlags) : -1);
  if (!stashfd.valid()) {
    fail("open the stash", name_);
    return;
  }
  for (const auto& e : entries_) {
    if (e.rel.empty()) continue;
    auto [parent, base] = split_parent(e.rel);
    UniqueFd parentfd = open_beneath(rootfd.get(), parent);
    if (!parentfd.valid()) {
      fail("open the directory of", e.rel);
      continue;
    }
    if (e.kind == StashEntry::Kind::InPlace) {
      // Kept by the wipe (a protected path lies below it) unless the build
      // removed it; a non-directory there now is refused by open_beneath later.
      struct stat st;
      if (fstatat(parentfd.get(), base.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 &&
          mkdirat(parentfd.get(), base.c_str(), 0700) != 0)
        fail("recreate", e.rel);
      continue;
    }
    UniqueFd mirror = open_beneath(stashfd.get(), parent);
    if (!mirror.valid() || renameat(mirror.get(), base.c_str(), parentfd.get(), base.c_str()) != 0) fail("put back", e.rel);
  }
}

// Best effort: a directory still holding something (a kept path that
// exists, a mount) is not empty and stays; nothing else of the build is left.
void RootStash::remove_made_ancestors(const IgnoreList& keep) {
  std::vector<std::string> existed;
  for (const auto& e : entries_) existed.push_back(e.rel);
  UniqueFd rootfd(open(root_.c_str(), kDirFlags & ~O_NOFOLLOW));
  if (!rootfd.valid()) return;
  for (const auto& rel : ancestors_made_by_build(keep.entries(), existed, keep)) {
    auto [parent, base] = split_parent(rel);
    UniqueFd parentfd = open_beneath(rootfd.get(), parent);
    if (parentfd.valid()) unlinkat(parentfd.get(), base.c_str(), AT_REMOVEDIR);
  }
}

void RootStash::restore_metadata(std::string* first_error) {
  auto fail = [&](const std::string& rel) {
    if (first_error->empty())
      *first_error = "--cleanup: cannot restore the mode, owner and mtime of /" + rel + ": " + std::strerror(errno);
  };
  UniqueFd rootfd(open(root_.c_str(), kDirFlags & ~O_NOFOLLOW));
  // Deepest first: putting entries back changed their parents' mtimes.
  for (auto it = entries_.rbegin(); it != entries_.rend(); ++it) {
    if (it->kind != StashEntry::Kind::InPlace) continue;
    UniqueFd fd = open_beneath(rootfd.get(), it->rel);
    if (!fd.valid() || !set_metadata(fd.get(), it->uid, it->gid, it->mode, it->mtime)) fail(it->rel);
  }
}

}  // namespace kiln::fs
