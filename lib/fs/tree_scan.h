#pragma once
// One lstat-level listing of an image root: every path except ignored ones,
// in walk order (see path_order.h), never following a symlink. The raw
// material the snapshotter diffs; kept apart so it can be measured and
// tested on its own.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fs/ignore_list.h"

namespace kiln::fs {

struct ScanEntry {
  std::string path;  // root-relative, no leading slash
  std::uint64_t ino = 0;
  std::int64_t size = 0;
  std::int64_t mtime_ns = 0;
  std::int64_t ctime_ns = 0;
  std::uint64_t rdev = 0;
  std::uint32_t mode = 0;  // type and permission bits as lstat gives them
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::uint32_t nlink = 0;
};

// Throws kiln::IoError naming the path when a directory cannot be read. A
// path that vanishes between listing and lstat is skipped (a process still
// running in the background may delete files while we look). `threads`
// workers share the walk (lstat dominates; 2 halves it on a 2-core machine).
std::vector<ScanEntry> scan_tree(const std::filesystem::path& root, const IgnoreList& ignore, int threads = 2);

}  // namespace kiln::fs
