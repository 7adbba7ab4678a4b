#pragma once
// A RUN in a stage's own root (a stage built beside others, under the work
// dir, engine/parallel_stages.h) sees that root as `/`: the command chroots
// there from a mount namespace of its own, in which the root gets what the
// container's root has from the runtime: a fresh /proc, the container's
// /dev, and its /etc/resolv.conf and /etc/hosts where the container has them
// as mounts, and the container's other mounts (its volumes), as a RUN in `/`
// sees them (the snapshot skips those paths, in every root alike).
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "fs/ignore_list.h"
#include "proc/process.h"

namespace kiln::steps {

// The mounts, in order, before the command's own RUN --mount ones. Creates
// the mount points inside root where missing (resolved inside root, so a
// symlink of the image never leads outside it).
std::vector<proc::MountOp> own_root_mounts(const std::filesystem::path& root, const fs::IgnoreList* ignore);

// The container's own mounts a RUN in `/` would see (volumes, secrets, a
// context directory), by mountinfo: not "/", the kernel filesystems, the
// runtime's /etc/resolv.conf and /etc/hosts (bound above), nor the kaniko
// dir, which holds root itself. own_root_mounts binds them at the same paths.
std::vector<std::string> container_volumes(std::string_view mountinfo_text, const std::filesystem::path& root);

// The command's mounts live in its own mount namespace; should the
// container's root mount be shared, they would propagate out of it into
// the stage's root, where removing the root would reach into them (the
// container's /dev). Detaches every mount at or below root that
// mountinfo_text (/proc/self/mountinfo) shows, innermost first, and returns
// their paths (empty: none leaked).
std::vector<std::string> detach_leaked_mounts(const std::filesystem::path& root, std::string_view mountinfo_text);

}  // namespace kiln::steps
