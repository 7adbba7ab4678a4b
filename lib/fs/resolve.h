#pragma once
// Path resolution inside an image root the way a chroot sees it, for writes
// (COPY/ADD/WORKDIR destinations) and for reading sources from a context.
// Works for paths that do not exist yet: resolution stops following links at
// the first missing component and the rest is appended literally.
#include <sys/types.h>

#include <filesystem>
#include <string>
#include <string_view>

namespace kiln::fs {

// Symlinks are resolved against root: an absolute target restarts at root,
// ".." stops at root. Returns a host path inside root. The last component is
// followed only when follow_final. More than 40 links: kiln::IoError (ELOOP)
// naming image_path; a non-directory used as a directory: kiln::IoError.
std::filesystem::path resolve_in_root(const std::filesystem::path& root, std::string_view image_path, bool follow_final);

// The same resolution, returned as a clean absolute in-image path ("/run/x").
std::string resolve_image_path(const std::filesystem::path& root, std::string_view image_path, bool follow_final);

// For sources: like resolve_in_root, but a path or symlink that would leave
// root ("../x", a link to "/etc" or "../../x") is an error rather than being
// clamped. Relative symlink targets only; an absolute target is an escape.
// Throws kiln::UsageError "forbidden path outside the build context: <path>".
std::filesystem::path resolve_beneath(const std::filesystem::path& root, std::string_view rel_path, bool follow_final);

// mkdir -p inside root: every missing component (after resolving existing
// ones, links included) is created with mode (umask not applied) and owned by
// uid:gid. Existing directories are left untouched; an existing
// non-directory on the way is kiln::IoError naming it.
void mkdir_all(const std::filesystem::path& root, std::string_view image_path, uid_t uid, gid_t gid,
               mode_t mode = 0755);

}  // namespace kiln::fs
