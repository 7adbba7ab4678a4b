#pragma once
// Finds what an instruction changed below the image root, for one layer.
//
// Modes follow kaniko's --snapshot-mode:
//   Full (default): a regular file counts as changed when its contents,
//     permission bits, owner or type changed; a symlink when its target or
//     owner changed; a directory when its mode or owner changed. Contents are
//     hashed only when lstat metadata cannot rule a change out (git's
//     racy-clean rule, see snapshot.cpp), so an unchanged tree costs one lstat
//     per path.
//   Redo: mtime, size, mode (type included), uid and gid; never reads contents.
//   Time: mtime and file type only.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "fs/ignore_list.h"
#include "fs/tree_scan.h"

namespace kiln::fs {

enum class SnapshotMode { Full, Redo, Time };

// Throws kiln::UsageError for anything but "full", "redo", "time".
SnapshotMode parse_snapshot_mode(std::string_view name);

struct Changes {
  // Root-relative, no leading slash, in walk order (parents before children).
  // Holds every new or changed path plus all their ancestor directories (so
  // a layer carries the directories' modes and owners, as kaniko's does).
  std::vector<std::string> added_or_modified;
  // Paths that no longer exist; only the top-most one of a vanished subtree.
  // A path whose old directory was replaced by a non-directory is not listed
  // here (it is in added_or_modified and in replaced_dirs).
  std::vector<std::string> deleted;
  // Paths that were directories and are now something else (file, symlink):
  // their old children are gone without being listed in `deleted`.
  std::vector<std::string> replaced_dirs;

  bool empty() const { return added_or_modified.empty() && deleted.empty(); }
};

struct SnapshotStats {
  std::int64_t walked = 0;  // paths lstat'ed by the last baseline()/take()
  std::int64_t hashed = 0;  // files whose contents were read
  double seconds = 0;
};

class Snapshotter {
 public:
  using Mode = SnapshotMode;
  using Stats = SnapshotStats;

  // The ignore list is copied: a Snapshotter outlives any caller's temporary.
  Snapshotter(std::filesystem::path root, IgnoreList ignore, SnapshotMode mode = SnapshotMode::Full);

  // Records the current state; reports nothing.
  void baseline();
  // Compares with the last recorded state, then records the new one.
  Changes take();
  SnapshotStats stats() const { return stats_; }

  const std::filesystem::path& root() const { return root_; }

 private:
  struct Record {
    ScanEntry meta;
    std::string content;  // sha256 hex of a regular file; empty when unknown
    bool racy = false;    // metadata too recent to prove the content unchanged
  };

  bool same(const Record& old, Record& now, int root_fd);
  void fill_content(Record& r, int root_fd);

  std::filesystem::path root_;
  IgnoreList ignore_;
  SnapshotMode mode_;
  std::vector<Record> state_;  // walk order
  SnapshotStats stats_;
};

}  // namespace kiln::fs
