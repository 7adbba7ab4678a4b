#pragma once
// Keeps a finished stage's filesystem for later `COPY --from=<stage>` after
// the root is wiped for the next stage. Files are hard-linked when the kaniko
// dir is on the same filesystem (no data copied), else copied.
#include <filesystem>

#include "fs/ignore_list.h"

namespace kiln::engine {

void save_tree(const std::filesystem::path& root, const fs::IgnoreList& ignore, const std::filesystem::path& dest);

}  // namespace kiln::engine
