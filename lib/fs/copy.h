#pragma once
// COPY / ADD-from-context with Docker's rules, writing into an image root.
#include <sys/types.h>

#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/chmod_spec.h"
#include "fs/ignore_list.h"

namespace kiln::fs {

struct CopyOptions {
  // Owner of everything written, created parent directories included (as
  // BuildKit does). Unset uid: 0. Unset gid: the uid when one is set (Docker's
  // "--chown=10" means 10:10), otherwise 0. Never the context's owner.
  std::optional<uid_t> uid;
  std::optional<gid_t> gid;
  // No --chown and the source is a stage or an image (COPY --from): every
  // copied entry keeps its own owner, as BuildKit does; parent directories
  // the copy creates are 0:0. Context files always become 0:0.
  bool keep_owner = false;
  // --chmod: octal replaces the permission bits of every copied file and
  // directory; symbolic applies to each one's own bits.
  std::optional<ChmodSpec> chmod;
  // .dockerignore / --exclude: called with paths relative to src_root
  // ("dir/sub/file"). An excluded directory is still descended into so that
  // exception rules (!dir/keep) can bring children back.
  std::function<bool(std::string_view rel)> excluded;
  // --parents: keep each source's path below src_root under dest; a "/./"
  // in a source marks where the kept part starts ("src/./app/*.go" keeps
  // "app/x.go").
  bool parents = false;
  // Destinations at or below an ignored path (checked before and after
  // resolving links) are skipped, as kaniko skips them: a COPY never writes
  // into /kaniko, a mount or a secret.
  IgnoreList ignore;
};

// sources: paths relative to src_root (a leading "/" means src_root's top),
// wildcards allowed. dest: absolute in-image path (WORKDIR already applied).
// Rules:
//  - a source directory copies its contents, not itself;
//  - dest ending in "/" (or "/."), or an existing directory (links followed
//    inside dest_root), receives sources under their base names; otherwise
//    dest is the new name of the single source;
//  - more than one source after expansion needs such a directory dest;
//  - a wildcard matching nothing: "no source files were specified";
//  - a missing literal source, "../" above src_root, or a symlinked source
//    resolving out of src_root: kiln::UsageError naming it;
//  - a source argument that is a symlink is followed; symlinks below a copied
//    directory are copied as links;
//  - mtimes, setuid/setgid/sticky bits and extended attributes kept; files
//    that are hard links of each other within one source stay one inode;
//    sockets and device nodes are skipped.
// Returns the absolute in-image paths written (after resolving links), in
// copy order, directories before their contents. Parent directories that had
// to be created are not listed; a snapshot sees them.
std::vector<std::string> copy_into_root(const std::filesystem::path& src_root, const std::vector<std::string>& sources,
                                        std::string_view dest, const std::filesystem::path& dest_root,
                                        const CopyOptions& opts);

}  // namespace kiln::fs
