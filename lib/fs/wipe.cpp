#include "fs/wipe.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>

#include "base/error.h"
#include "fs/dir_names.h"
#include "fs/unique_fd.h"

namespace kiln::fs {
namespace {

class Wiper {
 public:
  explicit Wiper(const IgnoreList& ignore) : ignore_(ignore) {}

  // Walks a directory that leads to ignored paths: only entries that are
  // neither ignored nor on the way to one go.
  void keep_path_to_ignored(int dirfd, dev_t dev, const std::string& prefix) {
    for (const auto& name : names(dirfd, prefix)) {
      std::string abs = prefix + "/" + name;
      if (ignore_.ignored(abs)) continue;
      if (ignore_.is_ancestor_of_ignored(abs)) {
        struct stat st;
        if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
          fail(abs);
          continue;
        }
        // A symlink on the way to an ignored path stays: removing it could
        // change where the ignored path resolves.
        if (!S_ISDIR(st.st_mode) || st.st_dev != dev) continue;
        UniqueFd child(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!child.valid()) {
          fail(abs);
          continue;
        }
        keep_path_to_ignored(child.get(), dev, abs);
        continue;
      }
      remove_entry(dirfd, dev, name, abs);
    }
  }

  const std::optional<std::string>& first_error() const { return error_; }

 private:
  // Returns true when the entry is gone.
  bool remove_entry(int dirfd, dev_t dev, const std::string& name, const std::string& abs) {
    struct stat st;
    if (fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) return true;
      fail(abs);
      return false;
    }
    if (S_ISDIR(st.st_mode)) {
      if (st.st_dev != dev) return false;  // a mount: not ours to empty
      UniqueFd child(openat(dirfd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!child.valid()) {
        fail(abs);
        return false;
      }
      bool all_gone = true;
      for (const auto& n : names(child.get(), abs)) all_gone = remove_entry(child.get(), dev, n, abs + "/" + n) && all_gone;
      child.reset();
      if (!all_gone) return false;
      if (unlinkat(dirfd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
        fail(abs);
        return false;
      }
      return true;
    }
    if (unlinkat(dirfd, name.c_str(), 0) != 0 && errno != ENOENT) {
      fail(abs);
      return false;
    }
    return true;
  }

  std::vector<std::string> names(int dirfd, const std::string& abs) {
    try {
      return list_dir_names(dirfd, abs.empty() ? "/" : abs);
    } catch (const IoError&) {
      fail(abs.empty() ? "/" : abs);
      return {};
    }
  }

  void fail(const std::string& abs) {
    if (!error_) error_ = "wipe: remove " + (abs.empty() ? std::string("/") : abs) + ": " + std::strerror(errno);
  }

  const IgnoreList& ignore_;
  std::optional<std::string> error_;
};

}  // namespace

void wipe_root(const std::filesystem::path& root, const IgnoreList& ignore) {
  UniqueFd fd(open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) throw SystemError("wipe: open root " + root.string(), errno);
  struct stat st;
  if (fstat(fd.get(), &st) != 0) throw SystemError("wipe: stat root " + root.string(), errno);
  Wiper w(ignore);
  w.keep_path_to_ignored(fd.get(), st.st_dev, "");
  if (w.first_error()) throw IoError(*w.first_error());
}

}  // namespace kiln::fs
