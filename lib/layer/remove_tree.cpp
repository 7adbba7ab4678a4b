#include "layer/remove_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "layer/entry_path.h"
#include "layer/fd.h"

namespace kiln::layer {

std::vector<std::string> list_dir(int dir_fd, const std::string& abs) {
  // Reopen for reading: dir_fd may be O_PATH, and fdopendir takes ownership.
  int fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw IoError("opening " + abs + " to empty it: " + std::strerror(errno));
  DIR* d = ::fdopendir(fd);
  if (!d) {
    ::close(fd);
    throw IoError("reading " + abs + ": " + std::strerror(errno));
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
    throw IoError("stat " + abs + " for removal: " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) {
    Fd sub(::openat(dir_fd, name.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) throw IoError("open " + abs + " for removal: " + std::strerror(errno));
    if (!empty_children(sub.get(), abs, keep)) return false;
    if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT)
      throw IoError("rmdir " + abs + ": " + std::strerror(errno));
    return true;
  }
  if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT)
    throw IoError("unlink " + abs + ": " + std::strerror(errno));
  return true;
}

}  // namespace kiln::layer
