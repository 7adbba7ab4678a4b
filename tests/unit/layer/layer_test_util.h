#pragma once
// Helpers shared by the layer tests: scratch directories, hand-made tar
// streams (for layers no honest writer would produce) and a fingerprint of a
// directory tree to prove that something did not change.
#include "support/temp_dir.h"
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "digest/sha256.h"
#include "layer/extractor.h"

// Test layers are written as brace lists that name only the fields that
// matter for the case; the rest keep their defaults on purpose.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace kiln::layer::testing {

namespace fs = std::filesystem;

// The shared helper, named for this suite's temp directories.
class TempDir : public kiln::testing::TempDir {
 public:
  TempDir() : kiln::testing::TempDir("kiln-layer") {}
};

inline void write_file(const fs::path& p, const std::string& content, mode_t mode = 0644) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << content;
  ::chmod(p.c_str(), mode);
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every path below dir with type, mode, owner, size, link target and content
// hash; never follows symlinks. Equal fingerprints: nothing changed.
inline std::string fingerprint(const fs::path& dir) {
  std::vector<std::string> lines;
  std::function<void(const fs::path&)> walk = [&](const fs::path& d) {
    for (auto& de : fs::directory_iterator(d)) {
      struct stat st {};
      ::lstat(de.path().c_str(), &st);
      // Plain string prefix: fs::relative would resolve the symlinks under test.
      std::string line = de.path().string().substr(dir.string().size() + 1) + " mode=" + std::to_string(st.st_mode) +
                         " uid=" + std::to_string(st.st_uid) + " gid=" + std::to_string(st.st_gid) +
                         " nlink=" + std::to_string(st.st_nlink);
      if (S_ISLNK(st.st_mode)) line += " -> " + fs::read_symlink(de.path()).string();
      if (S_ISREG(st.st_mode)) line += " sha=" + digest::sha256_hex(read_file(de.path()));
      lines.push_back(line);
      if (S_ISDIR(st.st_mode)) walk(de.path());
    }
  };
  walk(dir);
  std::sort(lines.begin(), lines.end());
  std::string out;
  for (auto& l : lines) out += l + "\n";
  return out;
}

// A tar entry described by hand.
struct TarEntry {
  std::string name;
  char type = 'f';  // f file, d dir, l symlink, h hardlink, p fifo, c char dev
  std::string data;  // content, or link target for l/h
  mode_t mode = 0644;
  int uid = 0, gid = 0;
  std::int64_t mtime = 1700000000;
  unsigned rdev_major = 0, rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
};

enum class Wrap { None, Gzip, Zstd };

inline std::string make_tar(const std::vector<TarEntry>& entries, Wrap wrap = Wrap::None) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  // No padding after a compressor: zstd readers reject trailing zeros.
  if (wrap != Wrap::None) archive_write_set_bytes_in_last_block(a, 1);
  if (wrap == Wrap::Gzip) archive_write_add_filter_gzip(a);
  if (wrap == Wrap::Zstd) archive_write_add_filter_zstd(a);
  archive_write_open2(
      a, &out, nullptr,
      [](archive*, void* s, const void* b, size_t n) -> la_ssize_t {
        static_cast<std::string*>(s)->append(static_cast<const char*>(b), n);
        return static_cast<la_ssize_t>(n);
      },
      nullptr, nullptr);
  for (const auto& t : entries) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, t.name.c_str());
    archive_entry_set_perm(e, t.mode);
    archive_entry_set_uid(e, t.uid);
    archive_entry_set_gid(e, t.gid);
    archive_entry_set_mtime(e, t.mtime, 0);
    for (auto& [k, v] : t.xattrs) archive_entry_xattr_add_entry(e, k.c_str(), v.data(), v.size());
    bool data = false;
    switch (t.type) {
      case 'f': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_size(e, t.data.size()); data = true; break;
      case 'd': archive_entry_set_filetype(e, AE_IFDIR); break;
      case 'l': archive_entry_set_filetype(e, AE_IFLNK); archive_entry_set_symlink(e, t.data.c_str()); break;
      case 'h': archive_entry_set_filetype(e, AE_IFREG); archive_entry_set_hardlink(e, t.data.c_str()); archive_entry_set_size(e, 0); break;
      case 'p': archive_entry_set_filetype(e, AE_IFIFO); break;
      case 'c':
        archive_entry_set_filetype(e, AE_IFCHR);
        archive_entry_set_rdevmajor(e, t.rdev_major);
        archive_entry_set_rdevminor(e, t.rdev_minor);
        break;
    }
    archive_write_header(a, e);
    if (data) archive_write_data(a, t.data.data(), t.data.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

// Feeds `bytes` to the extractor in small, odd-sized pieces so buffering bugs show.
inline ExtractStats extract_bytes(const std::string& bytes, const fs::path& root, const ExtractOptions& opts = {}) {
  std::size_t pos = 0;
  return extract(
      [&](char* buf, std::size_t max) {
        std::size_t n = std::min<std::size_t>({max, bytes.size() - pos, 777});
        std::copy_n(bytes.data() + pos, n, buf);
        pos += n;
        return n;
      },
      root, opts);
}

}  // namespace kiln::layer::testing
