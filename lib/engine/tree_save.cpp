#include "engine/tree_save.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <system_error>
#include <vector>

#include "base/error.h"

namespace kiln::engine {
namespace fsys = std::filesystem;

namespace {

void copy_file_data(const fsys::path& from, const fsys::path& to, const struct stat& st) {
  std::error_code ec;
  fsys::copy_file(from, to, fsys::copy_options::overwrite_existing, ec);
  if (ec) throw IoError("saving stage file " + from.string() + ": " + ec.message());
  // chown first: it clears setuid/setgid.
  lchown(to.c_str(), st.st_uid, st.st_gid);
  ::chmod(to.c_str(), st.st_mode & 07777);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  utimensat(AT_FDCWD, to.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

void save(const fsys::path& root, const std::string& image_path, const fs::IgnoreList& ignore, const fsys::path& dest) {
  fsys::path host = image_path == "/" ? root : root / image_path.substr(1);
  fsys::path out = image_path == "/" ? dest : dest / image_path.substr(1);
  struct stat st;
  if (lstat(host.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    mkdir(out.c_str(), 0700);
    std::error_code ec;
    std::vector<std::string> names;
    for (fsys::directory_iterator it(host, ec), end; !ec && it != end; it.increment(ec))
      names.push_back(it->path().filename().string());
    for (const auto& n : names) {
      std::string child = image_path == "/" ? "/" + n : image_path + "/" + n;
      if (ignore.ignored(child)) continue;
      save(root, child, ignore, dest);
    }
    ::chmod(out.c_str(), st.st_mode & 07777);
  } else if (S_ISLNK(st.st_mode)) {
    std::vector<char> buf(static_cast<std::size_t>(st.st_size) + 1);
    ssize_t n = readlink(host.c_str(), buf.data(), buf.size());
    if (n < 0) throw IoError("saving stage link " + host.string());
    if (symlink(std::string(buf.data(), static_cast<std::size_t>(n)).c_str(), out.c_str()) != 0)
      throw IoError("saving stage link " + out.string());
  } else if (S_ISREG(st.st_mode)) {
    // A hard link is the same inode: owner, mode, times and xattrs are there
    // already. A chown of it, even to the same owner, would clear setuid/
    // setgid and security.capability of the file in the root too.
    if (link(host.c_str(), out.c_str()) == 0) return;
    copy_file_data(host, out, st);
    return;
  } else {
    return;  // devices, fifos and sockets are not COPY sources
  }
  lchown(out.c_str(), st.st_uid, st.st_gid);
  struct timespec ts[2] = {st.st_atim, st.st_mtim};
  utimensat(AT_FDCWD, out.c_str(), ts, AT_SYMLINK_NOFOLLOW);
}

}  // namespace

void save_tree(const fsys::path& root, const fs::IgnoreList& ignore, const fsys::path& dest) {
  std::error_code ec;
  fsys::remove_all(dest, ec);
  fsys::create_directories(dest.parent_path(), ec);
  save(root, "/", ignore, dest);
}

}  // namespace kiln::engine
