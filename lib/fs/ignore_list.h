#pragma once
// The paths a build must never write, remove or snapshot: kiln's own files,
// kernel filesystems and every mount the container runtime put into the
// image root (volumes, secrets, the context, resolv.conf/hosts bind mounts).
// A value built once per build and passed down; nothing global, so a cleanup
// after a failed build sees exactly the list the build used.
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace kiln::fs {

// Mount points (field 5 of each /proc/self/mountinfo line), octal escapes
// such as \040 decoded. Lines too short to hold a mount point are skipped.
std::vector<std::string> mount_points_from_mountinfo(std::string_view text);

class IgnoreList {
 public:
  struct Options {
    std::string kaniko_dir = "/kaniko";
    bool ignore_var_run = true;
    // The debug image's shell. Protected when the container has one (kaniko
    // gets the same from VOLUME /busybox in its debug image); a build in a
    // container without it may create /busybox like any other path.
    bool ignore_busybox = true;
    std::vector<std::string> ignore_paths;  // --ignore-path, absolute in-image paths
  };

  IgnoreList() = default;
  // Absolute in-image paths; each is cleaned ("//a/./b/" -> "/a/b"). "/" is
  // refused (ignoring the root would make every build a no-op) by dropping it.
  explicit IgnoreList(const std::vector<std::string>& paths);

  // kaniko's default list plus every mount point in mountinfo_text except "/".
  static IgnoreList for_build(const Options& opts, std::string_view mountinfo_text);
  // The same with this process's /proc/self/mountinfo (kiln runs in the
  // container whose root is the image root). Unreadable: kiln::IoError.
  static IgnoreList for_build_from_proc(const Options& opts);

  void add(std::string_view abs_path);

  // abs_path equal to or below an entry. abs_path must be absolute and clean
  // (no "." / ".." / "//"); the snapshotter and wipe only produce such paths.
  bool ignored(std::string_view abs_path) const;
  // A strict ancestor of an entry ("/var" when "/var/run" is ignored): such a
  // directory must be descended into, never removed or replaced whole.
  bool is_ancestor_of_ignored(std::string_view abs_path) const;

  // Sorted, cleaned entries (for logs and tests).
  std::vector<std::string> entries() const;

 private:
  std::unordered_set<std::string> entries_;
  std::unordered_set<std::string> ancestors_;  // strict ancestors of entries, "/" included
};

// "//a/./b/../c/" -> "/a/c"; ".." never climbs above "/". Relative input is
// treated as relative to "/".
std::string clean_abs(std::string_view path);

}  // namespace kiln::fs
