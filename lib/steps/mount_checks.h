#pragma once
// RUN --mount without a mount namespace (mount_files.h) cannot make a bind
// read-only or give a tmpfs its size= limit: there is no mount(2), a root
// process ignores file modes, and chattr +i needs CAP_LINUX_IMMUTABLE, which
// Docker does not grant. What can be known for sure is whether the command
// broke either promise, by looking after it: a read-only bind's copy is
// stamped before the command (inode, ctime and the rest of lstat for every
// entry; ctime cannot be set back by any process) and compared after, and a
// tmpfs directory's files are added up. The step then fails naming the mount.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "fs/tree_scan.h"

namespace kiln::steps {

// Every entry at and below a host path ("" is the path itself), sorted by path.
using TreeStamp = std::vector<fs::ScanEntry>;

// Effect: lstat of path and, for a directory, of everything below it.
TreeStamp stamp_tree(const std::filesystem::path& path);

// Pure: the most telling difference between two stamps of one tree (an
// entry created or removed, else a changed file, else the deepest changed
// directory), as "<path> created" / "<path> removed" / "<path> changed"
// (path relative to the stamped path, "" for itself), or nothing when equal.
std::optional<std::string> first_change(const TreeStamp& before, const TreeStamp& after);

// Pure: the bytes held by the non-directories of a stamp (their sizes).
std::uint64_t file_bytes(const TreeStamp& stamp);

// Effect: returns once the kernel's coarse clock, which stamps ctime, has
// passed every ctime in the stamps, so that any later change to a stamped
// entry gets a ctime different from its stamp. At most about one clock tick.
void wait_past_ctimes(const std::vector<const TreeStamp*>& stamps);

}  // namespace kiln::steps
