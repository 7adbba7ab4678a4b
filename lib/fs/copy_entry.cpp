#include "fs/copy_entry.h"

#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "fs/unique_fd.h"

namespace kiln::fs {
namespace {

[[noreturn]] void fail(const std::string& what, const std::filesystem::path& p) {
  throw SystemError("copy: " + what + " " + p.string(), errno);
}

mode_t perm_bits(const struct stat& st, const EntryMeta& m) {
  return m.chmod ? m.chmod->apply(st.st_mode, S_ISDIR(st.st_mode)) : (st.st_mode & 07777);
}
uid_t owner_uid(const struct stat& st, const EntryMeta& m) { return m.keep_owner ? st.st_uid : m.uid; }
gid_t owner_gid(const struct stat& st, const EntryMeta& m) { return m.keep_owner ? st.st_gid : m.gid; }

// Names in a listxattr buffer ("a\0b\0").
std::vector<std::string> xattr_names(const std::string& buf) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < buf.size();) {
    std::size_t end = buf.find('\0', i);
    if (end == std::string::npos) end = buf.size();
    if (end > i) out.emplace_back(buf, i, end - i);
    i = end + 1;
  }
  return out;
}

// Copies src's extended attributes onto dst (both open). A filesystem or a
// caller without the privilege for a namespace (ENOTSUP, EPERM) skips it.
void copy_xattrs(int in, int out, const std::filesystem::path& dst) {
  std::string names;
  for (;;) {
    ssize_t n = flistxattr(in, nullptr, 0);
    if (n <= 0) return;  // none, or not supported
    names.assign(static_cast<std::size_t>(n), '\0');
    n = flistxattr(in, names.data(), names.size());
    if (n >= 0) {
      names.resize(static_cast<std::size_t>(n));
      break;
    }
    if (errno != ERANGE) return;
  }
  for (const auto& name : xattr_names(names)) {
    if (name == "security.selinux") continue;
    ssize_t n = fgetxattr(in, name.c_str(), nullptr, 0);
    if (n < 0) continue;
    std::string value(static_cast<std::size_t>(n), '\0');
    n = fgetxattr(in, name.c_str(), value.data(), value.size());
    if (n < 0) continue;
    value.resize(static_cast<std::size_t>(n));
    if (fsetxattr(out, name.c_str(), value.data(), value.size(), 0) != 0 && errno != ENOTSUP && errno != EPERM)
      fail("set " + name + " on", dst);
  }
}

// Removes a non-directory at dst so the new entry is a fresh inode.
void clear_non_dir(const std::filesystem::path& dst) {
  struct stat st;
  if (lstat(dst.c_str(), &st) != 0) {
    if (errno == ENOENT) return;
    fail("lstat", dst);
  }
  if (S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    fail("cannot overwrite directory with non-directory", dst);
  }
  if (unlink(dst.c_str()) != 0 && errno != ENOENT) fail("remove", dst);
}

void set_times(int dirfd, const char* path, const struct stat& src_st, int flags, const std::filesystem::path& what) {
  struct timespec ts[2] = {src_st.st_atim, src_st.st_mtim};
  if (utimensat(dirfd, path, ts, flags) != 0) fail("set times of", what);
}

void copy_bytes(int in, int out, const std::filesystem::path& src, const std::filesystem::path& dst) {
  for (;;) {
    ssize_t n = copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n > 0) continue;
    if (n == 0) return;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) fail("write", dst);
    break;  // not supported between these filesystems: plain reads below
  }
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = read(in, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("read", src);
    }
    if (n == 0) return;
    for (ssize_t off = 0; off < n;) {
      ssize_t w = write(out, buf + off, static_cast<std::size_t>(n - off));
      if (w < 0) {
        if (errno == EINTR) continue;
        fail("write", dst);
      }
      off += w;
    }
  }
}

}  // namespace

void write_copied_file(const std::filesystem::path& src, const struct stat& src_st, const std::filesystem::path& dst,
                       const EntryMeta& meta) {
  UniqueFd in(open(src.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!in.valid()) fail("open", src);
  clear_non_dir(dst);
  UniqueFd out(open(dst.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!out.valid()) fail("create", dst);
  copy_bytes(in.get(), out.get(), src, dst);
  // chown before chmod: chown clears setuid/setgid bits; xattrs last: chown
  // also clears security.capability.
  if (fchown(out.get(), owner_uid(src_st, meta), owner_gid(src_st, meta)) != 0) fail("chown", dst);
  if (fchmod(out.get(), perm_bits(src_st, meta)) != 0) fail("chmod", dst);
  copy_xattrs(in.get(), out.get(), dst);
  struct timespec ts[2] = {src_st.st_atim, src_st.st_mtim};
  if (futimens(out.get(), ts) != 0) fail("set times of", dst);
}

void link_copied_file(const std::filesystem::path& first_dst, const std::filesystem::path& dst) {
  clear_non_dir(dst);
  if (link(first_dst.c_str(), dst.c_str()) != 0) fail("hard-link " + first_dst.string() + " as", dst);
}

void write_copied_symlink(const std::filesystem::path& src, const struct stat& src_st, const std::filesystem::path& dst,
                          const EntryMeta& meta) {
  std::string target(static_cast<std::size_t>(src_st.st_size) + 256, '\0');
  ssize_t n = readlink(src.c_str(), target.data(), target.size());
  if (n < 0) fail("readlink", src);
  target.resize(static_cast<std::size_t>(n));
  clear_non_dir(dst);
  if (symlink(target.c_str(), dst.c_str()) != 0) fail("symlink", dst);
  if (lchown(dst.c_str(), owner_uid(src_st, meta), owner_gid(src_st, meta)) != 0) fail("chown", dst);
  set_times(AT_FDCWD, dst.c_str(), src_st, AT_SYMLINK_NOFOLLOW, dst);
}

void write_copied_fifo(const struct stat& src_st, const std::filesystem::path& dst, const EntryMeta& meta) {
  clear_non_dir(dst);
  if (mkfifo(dst.c_str(), 0600) != 0) fail("mkfifo", dst);
  if (lchown(dst.c_str(), owner_uid(src_st, meta), owner_gid(src_st, meta)) != 0) fail("chown", dst);
  if (chmod(dst.c_str(), perm_bits(src_st, meta)) != 0) fail("chmod", dst);
  set_times(AT_FDCWD, dst.c_str(), src_st, AT_SYMLINK_NOFOLLOW, dst);
}

void prepare_copied_dir(const struct stat& src_st, const std::filesystem::path& dst, const EntryMeta& meta) {
  struct stat st;
  if (lstat(dst.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) {
      if (unlink(dst.c_str()) != 0) fail("remove", dst);
      if (mkdir(dst.c_str(), 0700) != 0) fail("mkdir", dst);
    }
  } else {
    if (errno != ENOENT) fail("lstat", dst);
    if (mkdir(dst.c_str(), 0700) != 0) fail("mkdir", dst);
  }
  if (lchown(dst.c_str(), owner_uid(src_st, meta), owner_gid(src_st, meta)) != 0) fail("chown", dst);
  if (chmod(dst.c_str(), perm_bits(src_st, meta)) != 0) fail("chmod", dst);
}

void copy_dir_xattrs(const std::filesystem::path& src, const std::filesystem::path& dst) {
  UniqueFd in(open(src.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  UniqueFd out(open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (in.valid() && out.valid()) copy_xattrs(in.get(), out.get(), dst);
}

void finish_copied_dir(const struct stat& src_st, const std::filesystem::path& dst) {
  set_times(AT_FDCWD, dst.c_str(), src_st, AT_SYMLINK_NOFOLLOW, dst);
}

}  // namespace kiln::fs
