#include "fs/dir_names.h"

#include <cstdint>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "base/error.h"

namespace kiln::fs {
namespace {
struct LinuxDirent64 {
  std::uint64_t d_ino;
  std::int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};
}  // namespace

std::vector<std::string> list_dir_names(int dirfd, const std::string& what) {
  std::vector<std::string> names;
  alignas(8) char buf[32 * 1024];
  for (;;) {
    long n = syscall(SYS_getdents64, dirfd, buf, sizeof buf);
    if (n < 0) throw SystemError("read directory " + what, errno);
    if (n == 0) return names;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<LinuxDirent64*>(buf + off);
      off += d->d_reclen;
      const char* nm = d->d_name;
      if (nm[0] == '.' && (nm[1] == 0 || (nm[1] == '.' && nm[2] == 0))) continue;
      names.emplace_back(nm);
    }
  }
}

}  // namespace kiln::fs
