#pragma once
// SHA-256 of a regular file's bytes, opened below root_fd without following
// any symlink on the way (a symlink swapped in cannot redirect the read).
#include <sys/stat.h>

#include <string>
#include <string_view>

namespace kiln::fs {

// rel: root-relative path. Throws kiln::IoError naming the path. When
// st_after is given it receives fstat of the file once read, so a caller can
// tell whether the file moved while it was being hashed.
std::string hash_file_below(int root_fd, std::string_view rel, struct stat* st_after = nullptr);

// open(2) of rel below root_fd refusing symlinks in every component and
// ".." escapes (openat2 RESOLVE_NO_SYMLINKS|RESOLVE_BENEATH; where the kernel
// lacks openat2, O_NOFOLLOW on the last component only). Returns -1 with errno.
int open_below_nofollow(int root_fd, std::string_view rel, int flags);

}  // namespace kiln::fs
