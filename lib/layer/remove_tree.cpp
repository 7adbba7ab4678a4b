#include "layer/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "fs/unique_fd.h"
#include "layer/entry_path.h"

namespace kiln::layer {

std::vector<std::string> list_dir(int dir_fd, const std::string& abs) {
  // Reopen for reading: dir_fd may be O_PATH, and fdopendir takes ownership.
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw SystemError("opening " + abs + " to empty it", errno);
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    throw SystemError("reading " + abs, errno);
  }
  std::vector<std::string> names;
  while (dirent* de = ::readdir(d)) {
    std::string n = de->d_name;
    if (n != "." && n != "..") names.push_back(std::move(n));
  }
  ::closedir(d);
  return names;
}

namespace {

bool empty_children(int dir_fd, const std::string& abs, const PathPredicate& keep) {
  bool all = true;
  for (const auto& n : list_dir(dir_fd, abs))
    if (!remove_tree(dir_fd, n, child_path(abs, n), keep)) all = false;
  return all;
}

}  // namespace

bool remove_tree(int dir_fd, const std::string& name, const std::string& abs, const PathPredicate& keep) {
  if (keep && keep(abs)) return false;
  struct stat st {};
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return true;
    throw SystemError("stat " + abs + " for removal", errno);
  }
  if (S_ISDIR(st.st_mode)) {
    fs::UniqueFd sub(::openat(dir_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) throw SystemError("open " + abs + " for removal", errno);
    if (!empty_children(sub.get(), abs, keep)) return false;
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      throw SystemError("rmdir " + abs, errno);
    return true;
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
    throw SystemError("unlink " + abs, errno);
  return true;
}

}  // namespace kiln::layer
