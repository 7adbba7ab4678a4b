#pragma once
// Whether stat(2) here reports the nanoseconds of a file's times. The
// snapshotter tells changed files by nanosecond mtime and ctime (and git's
// racy-clean rule), so its tests need them. Debian's qemu-user 7.2 does not
// give them to s390x programs: its s390x target lacks TARGET_STAT_HAVE_NSEC,
// so the _nsec fields of the guest's struct stat are never written and keep
// whatever the buffer held. A real s390x kernel fills them.
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

namespace kiln::fs::test {

inline bool stat_reports_nanoseconds() {
  static const bool reports = [] {
    std::string path = "/tmp/kiln-nsec-XXXXXX";
    int fd = mkstemp(path.data());
    if (fd < 0) return true;  // cannot tell: let the tests run and say
    close(fd);
    const struct timespec ts[2] = {{1000000000, 123}, {1000000000, 456}};
    struct stat st;
    std::memset(&st, 0xa5, sizeof st);  // what an unwritten field would keep
    const bool ok = utimensat(AT_FDCWD, path.c_str(), ts, 0) == 0 && stat(path.c_str(), &st) == 0 &&
                    st.st_mtim.tv_nsec == 456;
    unlink(path.c_str());
    return ok;
  }();
  return reports;
}

}  // namespace kiln::fs::test

// First statement of a test that needs them.
#define KILN_NEEDS_STAT_NANOSECONDS()                                                            \
  do {                                                                                         \
    if (!kiln::fs::test::stat_reports_nanoseconds())                                           \
      GTEST_SKIP() << "stat(2) here does not report nanoseconds (qemu-user's s390x target)"; \
  } while (0)
