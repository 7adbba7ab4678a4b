#include "steps/own_root.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>

#include <system_error>

#include "base/error.h"
#include "base/file.h"
#include "fs/resolve.h"

namespace kiln::steps {
namespace fsys = std::filesystem;

namespace {

proc::MountOp op(proc::MountOp::Kind kind, std::string source, const fsys::path& target, std::string what) {
  proc::MountOp m;
  m.kind = kind;
  m.source = std::move(source);
  m.target = target.string();
  m.what = std::move(what);
  return m;
}

// A directory mount point inside root; empty when the image has something
// else there.
fsys::path dir_point(const fsys::path& root, const std::string& image_path) {
  try {
    fs::mkdir_all(root, image_path, 0, 0, 0755);
    fsys::path p = fs::resolve_in_root(root, image_path, true);
    std::error_code ec;
    return fsys::is_directory(p, ec) ? p : fsys::path();
  } catch (const IoError&) {
    return {};  // a file (or a link loop) where the directory would be: the command goes without
  }
}

// A file mount point inside root: the image's own file, or an empty one.
fsys::path file_point(const fsys::path& root, const std::string& image_path) {
  fsys::path p;
  try {
    p = fs::resolve_in_root(root, image_path, true);
  } catch (const IoError&) {
    return {};
  }
  std::error_code ec;
  if (fsys::is_regular_file(p, ec)) return p;
  if (fsys::exists(fsys::symlink_status(p, ec))) return {};
  // p is resolved inside root, so its parent is too.
  fsys::create_directories(p.parent_path(), ec);
  int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return {};
  close(fd);
  return p;
}

bool at_or_below(const std::string& p, const std::string& base) {
  return p == base || (p.size() > base.size() && p.compare(0, base.size(), base) == 0 &&
                       (base == "/" || p[base.size()] == '/'));
}

}  // namespace

std::vector<std::string> container_volumes(std::string_view mountinfo_text, const fsys::path& root) {
  // root is <kaniko dir>/work/<build>/roots/<N> (engine/build_stages): the
  // kaniko dir holds the executor, its credentials and this very root.
  const std::string kaniko = root.lexically_normal().parent_path().parent_path().parent_path().parent_path().string();
  std::vector<std::string> out;
  for (const auto& mp : fs::mount_points_from_mountinfo(mountinfo_text)) {
    if (mp == "/" || mp == "/etc/resolv.conf" || mp == "/etc/hosts") continue;
    if (at_or_below(mp, "/proc") || at_or_below(mp, "/sys") || at_or_below(mp, "/dev")) continue;
    if (at_or_below(mp, kaniko) || at_or_below(kaniko, mp)) continue;
    out.push_back(mp);
  }
  return out;
}

std::vector<proc::MountOp> own_root_mounts(const fsys::path& root, const fs::IgnoreList* ignore) {
  std::vector<proc::MountOp> out;
  if (auto p = dir_point(root, "/proc"); !p.empty())
    out.push_back(op(proc::MountOp::Kind::Proc, "", p, "/proc of the stage's root"));
  if (auto p = dir_point(root, "/dev"); !p.empty())
    out.push_back(op(proc::MountOp::Kind::Bind, "/dev", p, "/dev of the stage's root"));
  for (const char* f : {"/etc/resolv.conf", "/etc/hosts"}) {
    std::error_code ec;
    // Only what the container has as a runtime mount (so no snapshot sees it).
    if (!ignore || !ignore->ignored(f) || !fsys::is_regular_file(f, ec)) continue;
    if (auto p = file_point(root, f); !p.empty())
      out.push_back(op(proc::MountOp::Kind::Bind, f, p, std::string(f) + " of the stage's root"));
  }
  // The container's volumes: a RUN in `/` sees them (kaniko's users mount
  // build caches that way), so a RUN in a side root does too.
  auto mountinfo = read_file_if_present("/proc/self/mountinfo");
  for (const auto& v : container_volumes(mountinfo ? *mountinfo : std::string(), root)) {
    std::error_code ec;
    fsys::path p = fsys::is_directory(v, ec) ? dir_point(root, v) : file_point(root, v);
    if (!p.empty()) out.push_back(op(proc::MountOp::Kind::Bind, v, p, v + " (a mount of the container)"));
  }
  return out;
}

std::vector<std::string> detach_leaked_mounts(const fsys::path& root, std::string_view mountinfo_text) {
  const std::string base = root.lexically_normal().string();
  std::vector<std::string> leaked;
  for (const auto& mp : fs::mount_points_from_mountinfo(mountinfo_text))
    if (mp == base || (mp.size() > base.size() && mp.compare(0, base.size(), base) == 0 && mp[base.size()] == '/'))
      leaked.push_back(mp);
  // Later lines are mounted later: on top of, or inside, earlier ones.
  std::reverse(leaked.begin(), leaked.end());
  for (const auto& mp : leaked) ::umount2(mp.c_str(), MNT_DETACH);
  return leaked;
}

}  // namespace kiln::steps
