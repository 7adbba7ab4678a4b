#pragma once
// Writes one image layer: a PAX tar of paths taken from a directory on disk,
// compressed and hashed in the same single pass.
//
// Determinism: the output depends only on what is added and in which order.
// Callers must add entries in a stable order (kiln adds them sorted by path,
// parents before children) — the writer does not sort, because a layer of a
// whole filesystem does not fit in memory as a list. Headers carry numeric
// uid/gid only (no user/group names), no atime/ctime, mtime in whole seconds.
#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "layer/compression.h"
#include "layer/utf8_locale.h"

struct archive;  // libarchive's handle, kept out of this header

namespace kiln::layer {

class CompressingSink;

struct Result {
  std::string digest;   // "sha256:…" of the compressed bytes (the blob)
  std::string diff_id;  // "sha256:…" of the uncompressed tar
  std::int64_t size = 0;
  std::int64_t uncompressed_size = 0;
  std::string media_type_oci, media_type_docker;
  std::filesystem::path file;
};

class Writer {
 public:
  // fixed_mtime: --reproducible sets it (0 or SOURCE_DATE_EPOCH) and every
  // entry gets that mtime. level -1 is the codec's default.
  Writer(std::filesystem::path out_file, Compression compression, int level = -1,
         std::optional<std::int64_t> fixed_mtime = std::nullopt);
  ~Writer();
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;

  // Adds <root>/<rel_path> as entry rel_path ("usr/bin/x": in-image, no
  // leading slash). lstat()s: a symlink is stored as a symlink, never
  // followed. A second path with the same device+inode as an earlier one in
  // this layer becomes a hardlink entry pointing at the first. Sockets are
  // skipped (tar cannot hold them). xattrs are stored when readable, except
  // system.* (ACLs) and security.selinux (host labels). Throws kiln::IoError
  // naming the path when it cannot be read; kiln::Error for a ".." in it.
  void add_path(const std::filesystem::path& root, std::string_view rel_path);
  // An empty "<dir>/.wh.<name>" entry: the path is deleted in this layer.
  void add_whiteout(std::string_view rel_path);
  // "<rel_dir>/.wh..wh..opq": lower layers' contents of the dir are hidden.
  void add_opaque(std::string_view rel_dir);

  // Closes the tar and the file. No add_* afterwards.
  Result finish();

 private:
  void write_marker(const std::string& name);
  void write_bytes(const void* p, std::size_t n);
  std::int64_t mtime_for(std::int64_t actual) const { return fixed_mtime_ ? *fixed_mtime_ : actual; }

  std::filesystem::path out_file_;
  Compression compression_;
  std::optional<std::int64_t> fixed_mtime_;
  std::unique_ptr<CompressingSink> sink_;
  ::archive* ar_ = nullptr;
  // (dev, ino) of multiply-linked files already written → their entry name.
  std::map<std::pair<dev_t, ino_t>, std::string> links_;
  bool finished_ = false;
  Utf8Locale utf8_;
  std::vector<char> buf_;  // file contents pass through here; allocated once, not per file
  friend struct WriterCallbacks;
};

}  // namespace kiln::layer
