#pragma once
// kaniko's --cleanup / --pre-cleanup: empty the image root so the container
// can build again, keeping only ignored paths (kiln itself, mounts, kernel
// filesystems) and the directories leading to them.
#include <filesystem>

#include "fs/ignore_list.h"

namespace kiln::fs {

// Never follows a symlink (links are removed as links), never enters a
// directory on another device (a mount the ignore list missed is left
// alone, and so are its parents), never touches an ignored path. Keeps going
// after a failure and throws kiln::IoError naming the first path that could
// not be removed.
void wipe_root(const std::filesystem::path& root, const IgnoreList& ignore);

}  // namespace kiln::fs
