#pragma once
// Opens directories inside an extraction root so that nothing a layer put
// there (symlinks, "..") can lead outside it or into an ignored path.
//
// The walk goes one component at a time with O_NOFOLLOW. A symlink met on the
// way is read and resolved the way it will be inside the container: an
// absolute target starts again at the root, ".." stops at the root. Every
// directory reached is checked against the ignored predicate using its
// resolved in-image path, so `evil -> /kaniko` then `evil/executor` is seen as
// /kaniko/executor. This does what openat2(RESOLVE_IN_ROOT) does, plus the
// ignored check the kernel cannot do, and needs neither /proc nor a new kernel.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "fs/unique_fd.h"

namespace kiln::layer {

using IgnoredFn = std::function<bool(std::string_view abs_path)>;

class SafeRoot {
 public:
  // Throws kiln::IoError when root cannot be opened as a directory.
  SafeRoot(const std::filesystem::path& root, IgnoredFn ignored);

  bool is_ignored(const std::string& abs) const { return ignored_ && ignored_(abs); }

  struct Dir {
    fs::UniqueFd fd;  // O_PATH directory descriptor; -1 when not found/ignored
    std::string path;  // resolved in-image absolute path ("/" for the root)
    bool ignored = false;
    bool missing = false;
  };
  // Resolves the directory named by comps (in-image, already split). With
  // create, missing directories are made (0755, owned by the caller) and a
  // non-directory on the way is an error; without, either makes `missing`.
  // `entry` names the layer entry for error messages. Throws kiln::Error when
  // a component is not a directory or symlinks loop. before_create, when
  // given, runs once before the walk makes its first directory, and the
  // missing component is looked at again afterwards (the extractor waits
  // there for queued file writes that might own that name).
  Dir open_dir(const std::vector<std::string>& comps, bool create, std::string_view entry,
               const std::function<void()>& before_create = {}) const;

  const std::filesystem::path& root() const { return root_; }
  int root_fd() const { return root_fd_.get(); }

 private:
  std::filesystem::path root_;
  fs::UniqueFd root_fd_;
  IgnoredFn ignored_;
};

}  // namespace kiln::layer
