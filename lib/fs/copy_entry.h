#pragma once
// Writing one copied entry (file, symlink, directory, fifo) at a host path
// already resolved inside the destination root, with the owner, mode and
// mtime a COPY gives it.
#include <sys/stat.h>
#include <sys/types.h>

#include <filesystem>
#include <optional>

namespace kiln::fs {

struct EntryMeta {
  uid_t uid = 0;
  gid_t gid = 0;
  std::optional<mode_t> chmod;  // replaces the permission bits (setuid etc. included)
};

// Replaces whatever non-directory is at dst (never writing through a link or
// into another hardlink of it). A directory at dst is kiln::IoError.
void write_copied_file(const std::filesystem::path& src, const struct stat& src_st, const std::filesystem::path& dst,
                       const EntryMeta& meta);
void write_copied_symlink(const std::filesystem::path& src, const struct stat& src_st, const std::filesystem::path& dst,
                          const EntryMeta& meta);
void write_copied_fifo(const struct stat& src_st, const std::filesystem::path& dst, const EntryMeta& meta);

// Makes dst a directory (replacing a non-directory) with src_st's mode and
// meta's owner. Its mtime is set by finish_copied_dir once the children are
// in, since adding them changes it.
void prepare_copied_dir(const struct stat& src_st, const std::filesystem::path& dst, const EntryMeta& meta);
void finish_copied_dir(const struct stat& src_st, const std::filesystem::path& dst);

}  // namespace kiln::fs
