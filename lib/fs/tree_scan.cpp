#include "fs/tree_scan.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "base/error.h"
#include "fs/content_hash.h"
#include "fs/dir_names.h"
#include "fs/unique_fd.h"

namespace kiln::fs {
namespace {

std::string describe(const std::string& rel) { return rel.empty() ? std::string("/") : "/" + rel; }

// One directory's listing. Workers fill these in any order; the tree of
// listings is then flattened depth-first, which restores walk order.
struct DirListing {
  std::string path;    // root-relative
  bool check_ignore;   // false once no ignored path can lie below
  std::vector<ScanEntry> entries;                        // sorted by name
  std::vector<std::unique_ptr<DirListing>> subdirs;      // parallel to entries; null for non-dirs
};

// lstat is a path lookup per entry and dominates the walk; two workers
// sharing a queue of directories halve it on the 2-core machines kiln runs on.
class ParallelScan {
 public:
  ParallelScan(int root_fd, const IgnoreList& ignore) : root_fd_(root_fd), ignore_(ignore) {}

  void run(DirListing* top, int threads) {
    push(top);
    std::vector<std::thread> helpers;
    for (int t = 1; t < threads; ++t) helpers.emplace_back([this] { work(); });
    work();
    for (auto& h : helpers) h.join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void push(DirListing* d) {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.push_back(d);
    ++pending_;
    cv_.notify_one();
  }

  void work() {
    for (;;) {
      DirListing* d;
      {
        std::unique_lock<std::mutex> lk(mu_);
        cv_.wait(lk, [this] { return !queue_.empty() || pending_ == 0 || error_; });
        if (error_ || (queue_.empty() && pending_ == 0)) return;
        d = queue_.front();
        queue_.pop_front();
      }
      try {
        scan_one(d);
      } catch (...) {
        std::lock_guard<std::mutex> lk(mu_);
        if (!error_) error_ = std::current_exception();
      }
      std::lock_guard<std::mutex> lk(mu_);
      if (--pending_ == 0 || error_) cv_.notify_all();
    }
  }

  void scan_one(DirListing* d) {
    // Re-opened from the root refusing every symlink on the way, so a
    // directory swapped for a link after it was listed is never entered.
    UniqueFd fd(open_below_nofollow(root_fd_, d->path, O_RDONLY | O_DIRECTORY));
    if (!fd.valid()) {
      // Gone or swapped for a link/file since it was listed: a later
      // snapshot sees what is there now.
      if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) return;
      throw SystemError("snapshot: open directory " + describe(d->path), errno);
    }
    std::vector<std::string> names = list_dir_names(fd.get(), describe(d->path));
    std::sort(names.begin(), names.end());
    d->entries.reserve(names.size());
    d->subdirs.reserve(names.size());
    std::string abs;
    for (auto& name : names) {
      std::string path = d->path.empty() ? name : d->path + "/" + name;
      bool child_check = false;
      if (d->check_ignore) {
        abs.clear();
        abs.push_back('/');
        abs.append(path);
        if (ignore_.ignored(abs)) continue;
        child_check = ignore_.is_ancestor_of_ignored(abs);
      }
      struct stat st;
      if (fstatat(fd.get(), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
        if (errno == ENOENT) continue;  // deleted by a background process meanwhile
        throw SystemError("snapshot: lstat " + describe(path), errno);
      }
      ScanEntry e;
      e.ino = st.st_ino;
      e.size = st.st_size;
      e.mtime_ns = std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
      e.ctime_ns = std::int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
      e.rdev = st.st_rdev;
      e.mode = st.st_mode;
      e.uid = st.st_uid;
      e.gid = st.st_gid;
      e.nlink = static_cast<std::uint32_t>(st.st_nlink);
      std::unique_ptr<DirListing> sub;
      if (S_ISDIR(st.st_mode)) {
        sub = std::make_unique<DirListing>();
        sub->path = path;
        sub->check_ignore = child_check;
      }
      e.path = std::move(path);
      d->entries.push_back(std::move(e));
      d->subdirs.push_back(std::move(sub));
    }
    for (auto& s : d->subdirs)
      if (s) push(s.get());
  }

  int root_fd_;
  const IgnoreList& ignore_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<DirListing*> queue_;
  std::size_t pending_ = 0;  // queued or being scanned
  std::exception_ptr error_;
};

void flatten(DirListing& d, std::vector<ScanEntry>& out) {
  for (std::size_t k = 0; k < d.entries.size(); ++k) {
    out.push_back(std::move(d.entries[k]));
    if (d.subdirs[k]) {
      flatten(*d.subdirs[k], out);
      d.subdirs[k].reset();
    }
  }
}

std::size_t count(const DirListing& d) {
  std::size_t n = d.entries.size();
  for (const auto& s : d.subdirs)
    if (s) n += count(*s);
  return n;
}

}  // namespace

std::vector<ScanEntry> scan_tree(const std::filesystem::path& root, const IgnoreList& ignore, int threads) {
  UniqueFd fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throw SystemError("snapshot: open root " + root.string(), errno);
  DirListing top;
  top.check_ignore = true;
  ParallelScan(fd.get(), ignore).run(&top, threads < 1 ? 1 : threads);
  std::vector<ScanEntry> out;
  out.reserve(count(top));
  flatten(top, out);
  return out;
}

}  // namespace kiln::fs
