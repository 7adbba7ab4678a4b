#pragma once
// An exact copy of a tree (file, directory, symlink or fifo at the top):
// modes, owners and mtimes kept, symlinks copied as links, never hard links
// to the source (so writes to the copy cannot reach it). Devices and sockets
// are skipped. Used where a tree must look the same somewhere else: RUN
// --mount without a mount namespace (build/mount_files.h).
#include <filesystem>

namespace kiln::fs {

// dst must not exist; its parent must. Throws kiln::IoError naming the path.
void copy_tree_exact(const std::filesystem::path& src, const std::filesystem::path& dst);

}  // namespace kiln::fs
