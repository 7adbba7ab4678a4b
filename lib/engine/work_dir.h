#pragma once
// This build's scratch space under the kaniko dir: downloaded blobs, layers it
// writes, saved stage filesystems, an unpacked context. One directory per
// build, removed by --cleanup, so builds that follow in the same container
// never see a previous build's files (kaniko issue 1586).
#include <filesystem>
#include <string>

namespace kiln::engine {

class WorkDir {
 public:
  // Creates <kaniko_dir>/work/<unique name>.
  explicit WorkDir(const std::filesystem::path& kaniko_dir);
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path blobs() const { return path_ / "blobs"; }
  std::filesystem::path layers() const { return path_ / "layers"; }
  std::filesystem::path stages() const { return path_ / "stages"; }
  std::filesystem::path scratch() const { return path_ / "scratch"; }
  // Removes the whole directory; safe to call twice.
  void remove() noexcept;
  // A work dir of its own inside this one (each platform of a multi-platform
  // build: stage and layer files are named by stage index); removed with it.
  WorkDir nested(const std::string& name) const;

 private:
  struct At {};
  WorkDir(At, std::filesystem::path path);
  void create_dirs() const;

  std::filesystem::path path_;
};

}  // namespace kiln::engine
