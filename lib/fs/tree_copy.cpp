#include "fs/tree_copy.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "base/error.h"
#include "fs/copy_entry.h"

namespace kiln::fs {

void copy_tree_exact(const std::filesystem::path& src, const std::filesystem::path& dst) {
  struct stat st;
  if (::lstat(src.c_str(), &st) != 0) throw IoError("copy: lstat " + src.string() + ": " + std::strerror(errno));
  // Exact: every entry keeps its own owner and permission bits.
  EntryMeta meta{st.st_uid, st.st_gid, /*keep_owner=*/true, /*chmod=*/std::nullopt};
  if (S_ISREG(st.st_mode)) return write_copied_file(src, st, dst, meta);
  if (S_ISLNK(st.st_mode)) return write_copied_symlink(src, st, dst, meta);
  if (S_ISFIFO(st.st_mode)) return write_copied_fifo(st, dst, meta);
  if (!S_ISDIR(st.st_mode)) return;
  prepare_copied_dir(st, dst, meta);
  std::vector<std::string> names;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(src, ec), end; !ec && it != end; it.increment(ec))
    names.push_back(it->path().filename().string());
  if (ec) throw IoError("copy: reading " + src.string() + ": " + ec.message());
  for (const auto& n : names) copy_tree_exact(src / n, dst / n);
  finish_copied_dir(st, dst);
}

}  // namespace kiln::fs
