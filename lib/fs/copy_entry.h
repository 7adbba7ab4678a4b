#pragma once
// Writing one copied entry (file, symlink, directory, fifo) at a host path
// already resolved inside the destination root, with the owner, mode and
// mtime a COPY gives it.
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>

#include "fs/chmod_spec.h"

namespace kiln::fs {

struct EntryMeta {
  uid_t uid = 0;
  gid_t gid = 0;
  // COPY --from without --chown: each entry keeps its source owner (uid/gid
  // above are then only for parent directories the copy creates).
  bool keep_owner = false;
  std::optional<ChmodSpec> chmod;  // else the source's permission bits, setuid etc. included
};

// Extended attributes (security.capability, user.*, trusted.*) go with files
// and directories, set after the owner and mode: chown clears a capability.
// security.selinux is the host's label and is not copied.

// Replaces whatever non-directory is at dst (never writing through a link or
// into another hardlink of it). A directory at dst is kiln::IoError.
void write_copied_file(const std::filesystem::path& src, const struct stat& src_st, const std::filesystem::path& dst,
                       const EntryMeta& meta);
// dst becomes another name for first_dst, a file this copy already wrote
// (a hard-link group of the source stays one inode, as BuildKit keeps it).
void link_copied_file(const std::filesystem::path& first_dst, const std::filesystem::path& dst);
void write_copied_symlink(const std::filesystem::path& src, const struct stat& src_st, const std::filesystem::path& dst,
                          const EntryMeta& meta);
void write_copied_fifo(const struct stat& src_st, const std::filesystem::path& dst, const EntryMeta& meta);

// Makes dst a directory (replacing a non-directory) with src_st's mode and
// meta's owner. Its mtime is set by finish_copied_dir once the children are
// in, since adding them changes it.
void prepare_copied_dir(const struct stat& src_st, const std::filesystem::path& dst, const EntryMeta& meta);
void finish_copied_dir(const struct stat& src_st, const std::filesystem::path& dst);
// A copied directory's extended attributes (after prepare_copied_dir).
void copy_dir_xattrs(const std::filesystem::path& src, const std::filesystem::path& dst);

}  // namespace kiln::fs
