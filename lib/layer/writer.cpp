#include "layer/writer.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "base/error.h"
#include "fs/unique_fd.h"
#include "layer/compressing_sink.h"
#include "layer/utf8_locale.h"

namespace kiln::layer {

struct WriterCallbacks {
  static la_ssize_t write(struct archive*, void* self, const void* buf, size_t n) {
    auto* w = static_cast<Writer*>(self);
    try {
      w->sink_->write(buf, n);
    } catch (const std::exception& e) {
      archive_set_error(w->ar_, EIO, "%s", e.what());
      return -1;
    }
    return static_cast<la_ssize_t>(n);
  }
};

namespace {

struct EntryDeleter {
  void operator()(archive_entry* e) const { archive_entry_free(e); }
};
using EntryPtr = std::unique_ptr<archive_entry, EntryDeleter>;

std::string ar_err(struct archive* a) {
  const char* s = archive_error_string(a);
  return s ? s : "unknown libarchive error";
}

// ARCHIVE_WARN: a name that is not valid UTF-8 was stored as raw bytes
// (with hdrcharset=BINARY); the entry itself is complete.
bool header_ok(int rc) { return rc == ARCHIVE_OK || rc == ARCHIVE_WARN; }

std::string clean_rel(std::string_view rel) {
  while (!rel.empty() && rel.front() == '/') rel.remove_prefix(1);
  while (!rel.empty() && rel.back() == '/') rel.remove_suffix(1);
  return std::string(rel);
}

// Extended attributes worth carrying into an image. system.* holds ACLs and
// filesystem-private data; security.selinux is a label of the build host, not
// of the image. Sorted so the header bytes do not depend on listxattr order.
std::vector<std::pair<std::string, std::string>> read_xattrs(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  ssize_t n = ::llistxattr(path.c_str(), nullptr, 0);
  if (n <= 0) return out;
  std::string names(static_cast<std::size_t>(n), '\0');
  n = ::llistxattr(path.c_str(), names.data(), names.size());
  if (n <= 0) return out;
  names.resize(static_cast<std::size_t>(n));
  for (std::size_t pos = 0; pos < names.size();) {
    std::string name(names.c_str() + pos);
    pos += name.size() + 1;
    if (name.empty() || name.rfind("system.", 0) == 0 || name == "security.selinux") continue;
    ssize_t vn = ::lgetxattr(path.c_str(), name.c_str(), nullptr, 0);
    if (vn < 0) continue;  // unreadable (permissions): skipped, as documented
    std::string value(static_cast<std::size_t>(vn), '\0');
    vn = ::lgetxattr(path.c_str(), name.c_str(), value.data(), value.size());
    if (vn < 0) continue;
    value.resize(static_cast<std::size_t>(vn));
    out.emplace_back(std::move(name), std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

Writer::Writer(std::filesystem::path out_file, Compression compression, int level,
               std::optional<std::int64_t> fixed_mtime)
    : out_file_(std::move(out_file)), compression_(compression), fixed_mtime_(fixed_mtime) {
  sink_ = std::make_unique<CompressingSink>(out_file_, compression, level);
  ar_ = archive_write_new();
  if (!ar_) throw Error("libarchive: out of memory creating " + out_file_.string());
  // pax_restricted: plain ustar headers unless a field needs a PAX record
  // (long names, big ids, xattrs), which is what other image builders emit.
  archive_write_set_format_pax_restricted(ar_);
  // xattrs as SCHILY.xattr.* only: what Go's archive/tar, containerd and GNU
  // tar read. libarchive would add LIBARCHIVE.xattr.* duplicates otherwise.
  if (archive_write_set_format_option(ar_, "pax", "xattrheader", "SCHILY") != ARCHIVE_OK) {
    std::string msg = ar_err(ar_);
    archive_write_free(ar_);
    ar_ = nullptr;
    throw Error("libarchive: pax xattrheader option refused: " + msg);
  }
  archive_write_add_filter_none(ar_);
  if (archive_write_open2(ar_, this, nullptr, &WriterCallbacks::write, nullptr, nullptr) != ARCHIVE_OK) {
    std::string msg = ar_err(ar_);
    archive_write_free(ar_);
    ar_ = nullptr;
    throw Error("libarchive: cannot open tar for " + out_file_.string() + ": " + msg);
  }
}

Writer::~Writer() {
  if (ar_) archive_write_free(ar_);
}

void Writer::add_path(const std::filesystem::path& root, std::string_view rel_path) {
  if (finished_) throw Error("layer writer: add after finish (" + std::string(rel_path) + ")");
  std::string rel = clean_rel(rel_path);
  if (rel.empty()) throw Error("layer writer: empty entry path");
  if (("/" + rel + "/").find("/../") != std::string::npos)
    throw Error("layer writer: entry path '" + rel + "' contains '..'");
  ScopedUtf8Locale utf8(utf8_);
  std::string full = (root / rel).string();
  struct stat st {};
  if (::lstat(full.c_str(), &st) != 0) throw SystemError("lstat " + full, errno);

  EntryPtr e(archive_entry_new());
  std::string name = S_ISDIR(st.st_mode) ? rel + "/" : rel;
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_uid(e.get(), st.st_uid);
  archive_entry_set_gid(e.get(), st.st_gid);
  archive_entry_set_perm(e.get(), st.st_mode & 07777);
  archive_entry_set_mtime(e.get(), mtime_for(st.st_mtim.tv_sec), 0);
  for (auto& [k, v] : read_xattrs(full)) archive_entry_xattr_add_entry(e.get(), k.c_str(), v.data(), v.size());

  fs::UniqueFd content;
  if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
    auto key = std::make_pair(st.st_dev, st.st_ino);
    auto it = links_.find(key);
    if (it != links_.end()) {
      archive_entry_set_filetype(e.get(), AE_IFREG);
      archive_entry_set_hardlink(e.get(), it->second.c_str());
      archive_entry_set_size(e.get(), 0);
      if (!header_ok(archive_write_header(ar_, e.get())))
        throw Error("tar header for " + rel + ": " + ar_err(ar_));
      return;
    }
    links_.emplace(key, rel);
  }
  if (S_ISREG(st.st_mode)) {
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_size(e.get(), st.st_size);
    content = fs::UniqueFd(::open(full.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    if (!content.valid()) throw SystemError("open " + full, errno);
  } else if (S_ISDIR(st.st_mode)) {
    archive_entry_set_filetype(e.get(), AE_IFDIR);
  } else if (S_ISLNK(st.st_mode)) {
    std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 4096) + 1, '\0');
    ssize_t n = ::readlink(full.c_str(), target.data(), target.size());
    if (n < 0) throw SystemError("readlink " + full, errno);
    target.resize(static_cast<std::size_t>(n));
    archive_entry_set_filetype(e.get(), AE_IFLNK);
    archive_entry_set_symlink(e.get(), target.c_str());
  } else if (S_ISFIFO(st.st_mode)) {
    archive_entry_set_filetype(e.get(), AE_IFIFO);
  } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
    archive_entry_set_filetype(e.get(), S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
    archive_entry_set_rdevmajor(e.get(), major(st.st_rdev));
    archive_entry_set_rdevminor(e.get(), minor(st.st_rdev));
  } else {
    // Sockets cannot be represented in a tar; docker and kaniko skip them too.
    links_.erase(std::make_pair(st.st_dev, st.st_ino));
    return;
  }
  if (!header_ok(archive_write_header(ar_, e.get())))
    throw Error("tar header for " + rel + ": " + ar_err(ar_));
  if (!content.valid()) return;

  // Stream the content. If the file shrank since lstat, pad with zeros so the
  // tar stays well-formed; the header already promised st_size bytes.
  if (buf_.empty()) buf_.resize(256 * 1024);
  std::vector<char>& buf = buf_;
  std::int64_t left = st.st_size;
  while (left > 0) {
    ssize_t n = ::read(content.get(), buf.data(), static_cast<std::size_t>(std::min<std::int64_t>(left, buf.size())));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw SystemError("read " + full, errno);
    }
    if (n == 0) throw IoError("file " + full + " shrank while being added to the layer");
    write_bytes(buf.data(), static_cast<std::size_t>(n));
    left -= n;
  }
}

void Writer::write_bytes(const void* p, std::size_t n) {
  la_ssize_t w = archive_write_data(ar_, p, n);
  if (w < 0 || static_cast<std::size_t>(w) != n)
    throw Error("tar data for " + out_file_.string() + ": " + ar_err(ar_));
}

void Writer::write_marker(const std::string& name) {
  if (finished_) throw Error("layer writer: add after finish (" + name + ")");
  ScopedUtf8Locale utf8(utf8_);
  EntryPtr e(archive_entry_new());
  archive_entry_set_pathname(e.get(), name.c_str());
  archive_entry_set_filetype(e.get(), AE_IFREG);
  archive_entry_set_perm(e.get(), 0644);
  archive_entry_set_size(e.get(), 0);
  archive_entry_set_mtime(e.get(), mtime_for(0), 0);
  if (!header_ok(archive_write_header(ar_, e.get())))
    throw Error("tar header for " + name + ": " + ar_err(ar_));
}

void Writer::add_whiteout(std::string_view rel_path) {
  std::string rel = clean_rel(rel_path);
  auto slash = rel.rfind('/');
  std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
  if (base.empty() || base == "." || base == "..") throw Error("layer writer: bad whiteout path '" + rel + "'");
  std::string dir = slash == std::string::npos ? "" : rel.substr(0, slash + 1);
  write_marker(dir + ".wh." + base);
}

void Writer::add_opaque(std::string_view rel_dir) {
  std::string rel = clean_rel(rel_dir);
  write_marker(rel.empty() ? ".wh..wh..opq" : rel + "/.wh..wh..opq");
}

Result Writer::finish() {
  if (finished_) throw Error("layer writer: finished twice (" + out_file_.string() + ")");
  finished_ = true;
  if (archive_write_close(ar_) != ARCHIVE_OK)
    throw Error("closing tar " + out_file_.string() + ": " + ar_err(ar_));
  archive_write_free(ar_);
  ar_ = nullptr;
  auto t = sink_->finish();
  Result r;
  r.digest = t.digest;
  r.diff_id = t.diff_id;
  r.size = t.size;
  r.uncompressed_size = t.uncompressed_size;
  r.media_type_oci = media_type_oci(compression_);
  r.media_type_docker = media_type_docker(compression_);
  r.file = out_file_;
  return r;
}

}  // namespace kiln::layer
