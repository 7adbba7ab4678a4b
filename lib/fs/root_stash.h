#pragma once
// --cleanup's promise: the container is left as the build found it. Before
// the build, whatever the root holds outside the protected paths (the image's
// WORKDIR, /etc/nsswitch.conf, a CI image's own tools) is moved aside into a
// stash directory in the root; the build sees the base image and the
// protected paths only. After the build the root is wiped and the stash moved
// back. Moving is a rename per top-level entry on an ordinary filesystem (no
// data copied, whatever the tree's size); on overlayfs without redirect_dir a
// directory of a lower layer cannot be renamed (EXDEV), so a small one is
// rebuilt in the stash entry by entry (files renamed, which copies them up)
// and removed, and a large one stays (left_in_place()).
// Directories that must stay because a protected path lies below them keep
// their place; their mode, owner and mtime are put back at the end. Such a
// directory that the build made (an empty /var for the ignore list's
// /var/run) is removed again when it is empty.
#include <sys/stat.h>
#include <sys/types.h>

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "fs/ignore_list.h"

namespace kiln::fs {

// One step of the set-aside, in walk order (a directory before what is below).
struct StashEntry {
  enum class Kind { Moved, InPlace };
  Kind kind = Kind::Moved;
  std::string rel;  // relative to the root; "" is the root itself
  // InPlace: what to put back.
  mode_t mode = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  struct timespec mtime {};
};

// Pure: the strict ancestors of `kept` (in-image paths, clean) that neither
// existed before the build (`existed`: root-relative, as StashEntry::rel) nor
// are themselves kept, deepest first: what the restore removes when empty.
std::vector<std::string> ancestors_made_by_build(const std::vector<std::string>& kept,
                                                 const std::vector<std::string>& existed, const IgnoreList& keep);

class RootStash {
 public:
  // Creates <root>/.kiln-stash-XXXXXX and moves into it every entry that
  // `keep` neither covers nor leads to. On a failure everything moved so far
  // goes back and kiln::IoError names the entry that could not be moved.
  static RootStash set_aside(const std::filesystem::path& root, const IgnoreList& keep);

  // The stash as an in-image path ("/.kiln-stash-XXXXXX"): the build must
  // ignore it like a mount (add it to its IgnoreList).
  std::string in_image_path() const { return "/" + name_; }
  const std::vector<StashEntry>& entries() const { return entries_; }
  // Directories of a lower overlayfs layer (no redirect_dir) with more than
  // 100 entries: moving them aside would copy up every file, so they stay
  // where they are, seen by the build and wiped by restore() as kaniko does.
  const std::vector<std::string>& left_in_place() const { return left_in_place_; }

  // Wipes the root except `keep` (which must include in_image_path()), moves
  // everything back, removes the empty ancestors of kept paths that were not
  // there before set_aside() (ancestors_made_by_build), restores the metadata of the directories that stayed and
  // removes the stash. Goes on after a failure and throws kiln::IoError naming
  // the first; whatever could not go back is then still in the stash, which
  // the message names. Call once.
  void restore(const IgnoreList& keep);

 private:
  RootStash(std::filesystem::path root, std::string name) : root_(std::move(root)), name_(std::move(name)) {}
  // Both record the first failure in *first_error and go on.
  void move_back(std::string* first_error);
  void restore_metadata(std::string* first_error);
  void remove_made_ancestors(const IgnoreList& keep);

  std::filesystem::path root_;
  std::string name_;
  std::vector<StashEntry> entries_;
  std::vector<std::string> left_in_place_;
};

}  // namespace kiln::fs
