#include "steps/mount_files.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "base/error.h"
#include "fs/tree_copy.h"
#include "fs/unique_fd.h"

namespace kiln::steps {
namespace fsys = std::filesystem;
using Op = JournalEntry::Op;

namespace {

[[noreturn]] void fail(const std::string& what, const fsys::path& p) {
  throw IoError("RUN --mount: " + what + " " + p.string() + ": " + std::strerror(errno));
}

bool present(const fsys::path& p, struct stat* st = nullptr) {
  struct stat s;
  if (::lstat(p.c_str(), &s) != 0) return false;
  if (st) *st = s;
  return true;
}

bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

void remove_tree(const fsys::path& p) {
  std::error_code ec;
  fsys::remove_all(p, ec);
  if (ec) throw IoError("RUN --mount: removing " + p.string() + ": " + ec.message());
}

// rename, or copy and remove when the two are on different filesystems.
void move_tree(const fsys::path& from, const fsys::path& to) {
  if (::rename(from.c_str(), to.c_str()) == 0) return;
  if (errno != EXDEV) fail("moving " + from.string() + " to", to);
  fs::copy_tree_exact(from, to);
  remove_tree(from);
}

// The cache's own lock (mount_setup.cpp: <run-cache>/<key>.lock), for a
// replay that runs while other builds may use the cache.
fs::UniqueFd lock_cache(const std::string& cache_dir) {
  fs::UniqueFd fd(::open((cache_dir + ".lock").c_str(), O_RDWR | O_CLOEXEC));
  if (fd.valid())
    while (::flock(fd.get(), LOCK_EX) != 0 && errno == EINTR) {
    }
  return fd;
}

void undo(const JournalEntry& e, bool replay, log::Logger* log) {
  struct stat st;
  switch (e.op) {
    case Op::Mkdir:
      // Not empty: the command put files of its own next to a mount point,
      // in a directory kiln created; those stay, as with a mount.
      if (::rmdir(e.a.c_str()) != 0 && errno != ENOENT && log)
        log->debug("RUN --mount: kept " + e.a + ": " + std::strerror(errno));
      return;
    case Op::Placed:
      remove_tree(e.a);
      return;
    case Op::Aside:
      if (!present(e.b)) return;  // never moved (or already back)
      if (present(e.a)) remove_tree(e.a);
      move_tree(e.b, e.a);
      return;
    case Op::MoveIn: {
      fs::UniqueFd lock = replay ? lock_cache(e.a) : fs::UniqueFd();
      if (!present(e.b, &st)) return;
      if (!S_ISDIR(st.st_mode) || present(e.a)) {
        // The command replaced the directory, or (replay) the cache was made
        // anew meanwhile: what is at the target is not the cache.
        remove_tree(e.b);
        return;
      }
      move_tree(e.b, e.a);
      return;
    }
    case Op::CopyIn: {
      fs::UniqueFd lock = replay ? lock_cache(e.a) : fs::UniqueFd();
      if (!present(e.b, &st)) return;
      if (S_ISDIR(st.st_mode)) {
        // A new copy next to the cache, then swapped in: the cache is whole
        // at every moment.
        fsys::path fresh = e.a + ".kiln-new", old = e.a + ".kiln-old";
        remove_tree(fresh);
        remove_tree(old);
        fs::copy_tree_exact(e.b, fresh);
        if (present(e.a) && ::rename(e.a.c_str(), old.c_str()) != 0) fail("moving the cache aside:", e.a);
        if (::rename(fresh.c_str(), e.a.c_str()) != 0) fail("putting the cache back:", e.a);
        remove_tree(old);
      }
      remove_tree(e.b);
      return;
    }
  }
}

}  // namespace

void undo_entry(const JournalEntry& e, bool replay, log::Logger* log) noexcept {
  try {
    undo(e, replay, log);
  } catch (const std::exception& ex) {
    if (log) log->warn(std::string("RUN --mount: could not undo a change in the root: ") + ex.what());
  }
}

FileMounts::FileMounts(MountJournal& journal, fsys::path aside_dir, log::Logger* log)
    : journal_(journal), aside_dir_(std::move(aside_dir)), log_(log) {}

void FileMounts::note(const JournalEntry& e) {
  journal_.record(e);
  done_.push_back(e);
}

void FileMounts::touch_begin(const fsys::path& dir) {
  struct stat st;
  if (dir_times_.count(dir) || !present(dir, &st)) return;
  dir_times_[dir].before = st.st_mtim;
}

void FileMounts::touch_end(const fsys::path& dir) {
  struct stat st;
  auto it = dir_times_.find(dir);
  if (it != dir_times_.end() && present(dir, &st)) it->second.after = st.st_mtim;
}

// Makes room at target: missing parents created, what the image has there
// moved aside. Leaves the deepest directory that existed in dir_times_.
void FileMounts::clear_target(const fsys::path& target) {
  std::vector<fsys::path> missing;
  fsys::path anchor = target.parent_path();
  while (!present(anchor)) {
    missing.push_back(anchor);
    anchor = anchor.parent_path();
  }
  touch_begin(anchor);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    note({Op::Mkdir, it->string(), ""});
    if (::mkdir(it->c_str(), 0755) != 0) fail("cannot create the mount point's directory", *it);
  }
  if (!present(target)) return;
  std::error_code ec;
  fsys::create_directories(aside_dir_, ec);
  if (ec) throw IoError("RUN --mount: creating " + aside_dir_.string() + ": " + ec.message());
  fsys::path aside = aside_dir_ / ("aside-" + std::to_string(aside_count_++));
  note({Op::Aside, target.string(), aside.string()});
  if (::rename(target.c_str(), aside.c_str()) == 0) return;
  if (errno != EXDEV) fail("moving aside what the image has at", target);
  // A directory of a lower overlayfs layer cannot be renamed: copy it, and
  // journal it as set aside only once the copy is whole.
  fsys::path copy = aside.string() + "-copy";
  note({Op::Placed, copy.string(), ""});
  fs::copy_tree_exact(target, copy);
  note({Op::Aside, target.string(), copy.string()});
  remove_tree(target);
}

void FileMounts::move_in(const fsys::path& cache_dir, const fsys::path& target) {
  clear_target(target);
  note({Op::MoveIn, cache_dir.string(), target.string()});
  if (::rename(cache_dir.c_str(), target.c_str()) != 0) {
    if (errno != EXDEV) fail("moving the cache " + cache_dir.string() + " to", target);
    // On another filesystem (a volume): the command gets a copy, copied
    // back after. Journalled as copied only once the copy is whole.
    note({Op::Placed, target.string(), ""});
    fs::copy_tree_exact(cache_dir, target);
    note({Op::CopyIn, cache_dir.string(), target.string()});
  }
  for (const auto& [dir, t] : dir_times_) touch_end(dir);
}

void FileMounts::copy_in(const fsys::path& src, const fsys::path& target) {
  clear_target(target);
  note({Op::Placed, target.string(), ""});
  fs::copy_tree_exact(src, target);
  for (const auto& [dir, t] : dir_times_) touch_end(dir);
}

void FileMounts::empty_dir(const fsys::path& target) {
  clear_target(target);
  note({Op::Placed, target.string(), ""});
  // A fresh tmpfs is 1777 root:root.
  if (::mkdir(target.c_str(), 0700) != 0 || ::chown(target.c_str(), 0, 0) != 0 || ::chmod(target.c_str(), 01777) != 0)
    fail("cannot create", target);
  for (const auto& [dir, t] : dir_times_) touch_end(dir);
}

void FileMounts::write_file(const fsys::path& target, std::string_view data, mode_t mode, uid_t uid, gid_t gid) {
  clear_target(target);
  note({Op::Placed, target.string(), ""});
  fs::UniqueFd fd(::open(target.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) fail("cannot create", target);
  const char* p = data.data();
  std::size_t left = data.size();
  while (left > 0) {
    ssize_t n = ::write(fd.get(), p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail("cannot write", target);
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchown(fd.get(), uid, gid) != 0 || ::fchmod(fd.get(), mode & 07777) != 0) fail("cannot set the owner of", target);
  for (const auto& [dir, t] : dir_times_) touch_end(dir);
}

void FileMounts::restore() noexcept {
  if (done_.empty()) return;
  std::map<fsys::path, struct timespec> now;
  for (const auto& [dir, t] : dir_times_) {
    struct stat st;
    if (present(dir, &st)) now[dir] = st.st_mtim;
  }
  for (auto it = done_.rbegin(); it != done_.rend(); ++it) undo_entry(*it, false, log_);
  // Put each directory's mtime back, unless the command itself changed it
  // (so --snapshot-mode=time/redo sees no change kiln made).
  for (const auto& [dir, t] : dir_times_) {
    auto n = now.find(dir);
    if (n == now.end()) continue;
    struct timespec times[2];
    times[0].tv_sec = 0;
    times[0].tv_nsec = UTIME_OMIT;
    times[1] = same_time(n->second, t.after) ? t.before : n->second;
    ::utimensat(AT_FDCWD, dir.c_str(), times, AT_SYMLINK_NOFOLLOW);
  }
  done_.clear();
  dir_times_.clear();
  journal_.clear();
  ::rmdir(aside_dir_.c_str());
}

int replay_stale_journals(const fsys::path& work_root, log::Logger& log) {
  int replayed = 0;
  std::error_code ec;
  for (fsys::directory_iterator it(work_root, ec), end; !ec && it != end; it.increment(ec)) {
    fsys::path file = it->path() / kMountJournalName;
    fs::UniqueFd fd(::open(file.c_str(), O_RDWR | O_CLOEXEC));
    if (!fd.valid() || ::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) continue;  // none, or its build is alive
    std::ifstream in(file, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto entries = parse_journal(text);
    if (entries.empty()) continue;
    log.warn("RUN --mount: a build that was killed during a RUN left changes in the root; undoing them (" +
             std::to_string(entries.size()) + " steps of " + file.string() + ")");
    for (auto e = entries.rbegin(); e != entries.rend(); ++e) undo_entry(*e, true, &log);
    (void)!::ftruncate(fd.get(), 0);
    ++replayed;
  }
  return replayed;
}

}  // namespace kiln::steps
