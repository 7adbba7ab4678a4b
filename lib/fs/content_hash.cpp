#include "fs/content_hash.h"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"
#include "digest/sha256.h"
#include "fs/unique_fd.h"

namespace kiln::fs {

int open_below_nofollow(int root_fd, std::string_view rel, int flags) {
  const std::string p = rel.empty() ? std::string(".") : std::string(rel);
  struct open_how how;
  std::memset(&how, 0, sizeof how);
  how.flags = static_cast<unsigned long long>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, root_fd, p.c_str(), &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS) return static_cast<int>(fd);
  return openat(root_fd, p.c_str(), flags | O_CLOEXEC | O_NOFOLLOW);
}

std::string hash_file_below(int root_fd, std::string_view rel, struct stat* st_after) {
  UniqueFd fd(open_below_nofollow(root_fd, rel, O_RDONLY));
  if (!fd.valid()) throw SystemError("hash /" + std::string(rel), errno);
  digest::Sha256 h;
  char buf[64 * 1024];
  for (;;) {
    ssize_t n = ::read(fd.get(), buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("hash /" + std::string(rel), errno);
    }
    if (n == 0) break;
    h.update(buf, static_cast<std::size_t>(n));
  }
  if (st_after && fstat(fd.get(), st_after) != 0) throw SystemError("hash /" + std::string(rel), errno);
  return h.hex_final();
}

}  // namespace kiln::fs
