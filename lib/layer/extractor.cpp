#include "layer/extractor.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <memory>
#include <unordered_set>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "fs/unique_fd.h"
#include "fs/write_pool.h"
#include "layer/entry_path.h"
#include "layer/remove_tree.h"
#include "layer/safe_root.h"
#include "layer/tar_reader.h"

namespace kiln::layer {

namespace {

constexpr std::string_view kWhiteoutPrefix = ".wh.";
constexpr std::string_view kOpaqueMarker = ".wh..wh..opq";
// Other ".wh..wh." names are AUFS bookkeeping (.wh..wh.plnk, .wh..wh.aufs).
constexpr std::string_view kAufsMetaPrefix = ".wh..wh.";

struct DirMeta {
  mode_t mode;
  struct timespec mtime;
};

// Files up to this size are read into memory and written by the pool; larger
// ones (few, and bound by bandwidth rather than by file creation) are
// written on the extracting thread straight from the stream.
constexpr std::size_t kPooledFileMax = 1 << 20;
// A batch is handed over when the directory changes or at this size.
constexpr std::size_t kBatchFiles = 256;
constexpr std::size_t kBatchBytes = 4 << 20;
// Batches waiting for a writer. With those running and the one being
// filled, file contents held in memory stay under (4 + 4 + 1) x 5 MB.
constexpr std::size_t kQueuedBatches = 4;
// A batch's buffer never grows past this: it is handed over once it holds
// kBatchBytes, and the last file added was at most kPooledFileMax.
constexpr std::size_t kBatchBuffer = kBatchBytes + kPooledFileMax;

// A regular file to create in a directory: everything the write needs,
// copied out of the tar entry (which is gone by the time a writer runs).
struct PendingFile {
  std::string leaf;
  std::string name;  // the layer entry, for errors
  std::size_t offset;  // of its contents in the batch's bytes
  std::size_t size;
  uid_t uid;
  gid_t gid;
  mode_t perm;
  struct timespec mtime;
};

// Owner before mode: chown clears setuid/setgid. Shared by the pooled and
// the inline file writes.
void set_owner_and_mode(int fd, uid_t uid, gid_t gid, mode_t perm, bool chown, const std::string& name) {
  if (chown && ::fchown(fd, uid, gid) != 0) throw SystemError("layer entry '" + name + "': chown", errno);
  if (::fchmod(fd, perm) != 0) throw SystemError("layer entry '" + name + "': chmod", errno);
}

// The files for one directory and their contents back to back in one
// buffer; both are reused for later batches. A buffer per file made musl's
// malloc map and unmap memory for most files (2,650 munmap calls unpacking
// the Debian base), and each unmap in a process with several threads stops
// every other core to flush its TLB: in a VM under load that cost more than
// the writes (perf: 14% of the unpack's samples in those flushes, 8% in
// page faults on the fresh mappings). A new list of files per batch still
// cost one mapping per directory.
struct Batch {
  std::vector<PendingFile> files;
  std::string bytes;
};

void write_pending(int dir, const PendingFile& f, const std::string& bytes, bool chown) {
  fs::UniqueFd fd(::openat(dir, f.leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd.valid()) throw SystemError("layer entry '" + f.name + "': create", errno);
  const char* data = bytes.data() + f.offset;
  for (std::size_t off = 0; off < f.size;) {
    ssize_t w = ::pwrite(fd.get(), data + off, f.size - off, static_cast<off_t>(off));
    if (w < 0) {
      if (errno == EINTR) continue;
      throw SystemError("layer entry '" + f.name + "': write", errno);
    }
    off += static_cast<std::size_t>(w);
  }
  set_owner_and_mode(fd.get(), f.uid, f.gid, f.perm, chown, f.name);
  struct timespec ts[2] = {f.mtime, f.mtime};
  ::futimens(fd.get(), ts);
}

class Applier {
 public:
  Applier(const std::filesystem::path& root, const ExtractOptions& opts)
      : opts_(opts), root_(root, opts.ignored) {}

  void apply(TarReader& tar, archive_entry* e);
  // Waits for the pooled writes; rethrows the first that failed. Called
  // before anything that could meet a queued file, and at the end.
  void wait_for_files() {
    flush_batch();
    pool_.drain();
    pending_.clear();
  }
  void finish_dirs();
  ExtractStats stats;

 private:
  void warn(const std::string& m) {
    if (opts_.logger) opts_.logger->warn(m);
  }
  void note_added(const std::string& abs) {
    // Ancestors too: opaque markers must keep the directories leading to
    // anything this layer added.
    std::string p = abs;
    while (!p.empty() && p != "/" && added_.insert(p).second) p = p.substr(0, std::max<std::size_t>(p.rfind('/'), 1));
  }
  void whiteout(const std::string& name, const std::vector<std::string>& parent, const std::string& leaf);
  void opaque(const std::string& name, const std::vector<std::string>& parent);
  void prune_lower(int dir, const std::string& abs);
  // Makes room for a new entry at dir/leaf. Returns false when an ignored
  // path below an existing directory prevents replacing it.
  bool clear_for(int dir, const std::string& leaf, const std::string& abs, bool new_is_dir, const std::string& name);
  void hardlink(int dir, const std::string& leaf, const std::string& abs, const std::string& name, const char* target);
  void regular(TarReader& tar, archive_entry* e, int dir, const std::string& leaf, const std::string& name);
  void set_xattrs(int fd, archive_entry* e, const std::string& name);
  // Small files are created by a pool of writers, a directory's worth per
  // job (writers in one directory would queue on its lock): on this VM's
  // disk creating files overlaps well, and file creation is most of an
  // unpack. Anything that looks at or removes a path a queued write may
  // still own first waits for the pool (wait_for_files()); most entries do not.
  bool pooled(archive_entry* e) const;
  void queue_file(TarReader& tar, archive_entry* e, const std::string& leaf, const std::string& abs,
                  const std::string& name);
  void flush_batch();
  // An empty batch whose buffer holds kBatchBuffer, reused when one is spare.
  Batch take_batch();
  void give_back(Batch batch);
  void wait_if_pending(const std::string& abs) {
    if (pending_.count(abs)) wait_for_files();
  }

  const ExtractOptions& opts_;
  SafeRoot root_;
  // The parent directory of the last entry, still open. Tar entries come
  // grouped by directory, so most entries reuse it instead of walking every
  // component again (two syscalls each). It is only reused for an entry with
  // exactly the same parent components; an entry that replaces or removes an
  // ancestor of it has a different (shorter) parent, so it takes the walk
  // and replaces the cache; whiteouts and opaque markers drop it.
  std::vector<std::string> parent_comps_;
  std::optional<SafeRoot::Dir> parent_;
  std::set<std::string> added_;
  std::map<std::string, DirMeta> dirs_;
  Batch batch_;  // files for the directory parent_ holds open
  std::mutex spare_mu_;
  std::vector<Batch> spare_;  // batches already written, emptied
  std::unordered_set<std::string> pending_;  // in-image paths queued, not yet known written
  fs::WritePool pool_{0, kQueuedBatches};  // last: its writers stop before the members above go
};

struct timespec entry_mtime(archive_entry* e) {
  struct timespec t {};
  if (archive_entry_mtime_is_set(e)) {
    t.tv_sec = archive_entry_mtime(e);
    t.tv_nsec = archive_entry_mtime_nsec(e);
  }
  return t;
}

void Applier::whiteout(const std::string& name, const std::vector<std::string>& parent, const std::string& leaf) {
  std::string victim = leaf.substr(kWhiteoutPrefix.size());
  if (victim.empty() || victim == "." || victim == "..")
    throw Error("layer entry '" + name + "': malformed whiteout (refused)");
  auto dir = root_.open_dir(parent, false, name);
  if (dir.missing) return;  // nothing below to hide
  std::string abs = child_path(dir.path, victim);
  if (dir.ignored || root_.is_ignored(abs)) {
    ++stats.skipped_ignored;
    warn("whiteout " + name + " targets ignored path " + abs + ": skipped");
    return;
  }
  if (!remove_tree(dir.fd.get(), victim, abs, opts_.ignored))
    warn("whiteout " + name + ": " + abs + " kept because it holds ignored paths");
}

void Applier::opaque(const std::string& name, const std::vector<std::string>& parent) {
  auto dir = root_.open_dir(parent, true, name);
  if (dir.ignored) {
    ++stats.skipped_ignored;
    return;
  }
  note_added(dir.path);
  prune_lower(dir.fd.get(), dir.path);
}

void Applier::prune_lower(int dir, const std::string& abs) {
  for (const auto& n : list_dir(dir, abs)) {
    std::string c = child_path(abs, n);
    if (root_.is_ignored(c)) continue;
    if (!added_.count(c)) {
      remove_tree(dir, n, c, opts_.ignored);
      continue;
    }
    // Made by this layer, or on the way to something it made: stays, but
    // lower-layer contents below a directory are still hidden.
    struct stat st {};
    if (::fstatat(dir, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode)) {
      fs::UniqueFd sub(::openat(dir, n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub.valid()) prune_lower(sub.get(), c);
    }
  }
}

bool Applier::clear_for(int dir, const std::string& leaf, const std::string& abs, bool new_is_dir,
                        const std::string& name) {
  struct stat st {};
  if (::fstatat(dir, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return true;
    throw SystemError("layer entry '" + name + "': stat " + abs, errno);
  }
  if (S_ISDIR(st.st_mode) && new_is_dir) return true;  // merge into it
  if (S_ISDIR(st.st_mode)) {
    wait_for_files();  // files below it may still be being written
    if (!remove_tree(dir, leaf, abs, opts_.ignored)) {
      warn("layer entry '" + name + "': " + abs + " holds ignored paths, not replaced");
      return false;
    }
    return true;
  }
  if (::unlinkat(dir, leaf.c_str(), 0) != 0 && errno != ENOENT)
    throw SystemError("layer entry '" + name + "': unlink " + abs, errno);
  return true;
}

void Applier::hardlink(int dir, const std::string& leaf, const std::string& abs, const std::string& name,
                       const char* target) {
  auto tcomps = split_entry_path(target, "hardlink target of '" + name + "':");
  if (tcomps.empty()) throw Error("layer entry '" + name + "': hardlink to the root (refused)");
  std::string tleaf = tcomps.back();
  tcomps.pop_back();
  auto tdir = root_.open_dir(tcomps, false, name);
  // Both spellings in messages: what the layer wrote and where it resolved.
  std::string tabs = "'" + std::string(target) + "' (" + child_path(tdir.path, tleaf) + ")";
  if (tdir.ignored || root_.is_ignored(child_path(tdir.path, tleaf)))
    throw Error("layer entry '" + name + "': hardlink target " + tabs + " is in an ignored path (refused)");
  wait_if_pending(child_path(tdir.path, tleaf));  // link only a finished file
  struct stat tst {};
  if (tdir.missing || ::fstatat(tdir.fd.get(), tleaf.c_str(), &tst, AT_SYMLINK_NOFOLLOW) != 0)
    throw Error("layer entry '" + name + "': hardlink target " + tabs + " does not exist");
  if (S_ISDIR(tst.st_mode)) throw Error("layer entry '" + name + "': hardlink target " + tabs + " is a directory");
  struct stat cur {};
  if (::fstatat(dir, leaf.c_str(), &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_dev == tst.st_dev &&
      cur.st_ino == tst.st_ino)
    return;  // already the same file
  if (!clear_for(dir, leaf, abs, false, name)) return;
  // Flag 0: a hardlink to a symlink links the symlink itself.
  if (::linkat(tdir.fd.get(), tleaf.c_str(), dir, leaf.c_str(), 0) != 0)
    throw SystemError("layer entry '" + name + "': link " + abs + " -> " + tabs, errno);
}

void Applier::set_xattrs(int fd, archive_entry* e, const std::string& name) {
  if (archive_entry_xattr_reset(e) == 0) return;
  const char* k = nullptr;
  const void* v = nullptr;
  size_t n = 0;
  while (archive_entry_xattr_next(e, &k, &v, &n) == ARCHIVE_OK) {
    if (::fsetxattr(fd, k, v, n, 0) != 0)
      warn("layer entry '" + name + "': xattr " + k + " not set: " + std::strerror(errno));
  }
}

void Applier::regular(TarReader& tar, archive_entry* e, int dir, const std::string& leaf, const std::string& name) {
  fs::UniqueFd f(::openat(dir, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!f.valid()) throw SystemError("layer entry '" + name + "': create", errno);
  const void* buf = nullptr;
  std::size_t size = 0;
  std::int64_t off = 0;
  while (tar.data_block(&buf, &size, &off)) {
    auto* p = static_cast<const char*>(buf);
    std::size_t left = size;
    while (left > 0) {
      ssize_t w = ::pwrite(f.get(), p, left, off);
      if (w < 0) {
        if (errno == EINTR) continue;
        throw SystemError("layer entry '" + name + "': write", errno);
      }
      p += w;
      off += w;
      left -= static_cast<std::size_t>(w);
    }
    stats.bytes += static_cast<std::int64_t>(size);
  }
  // Sparse entries end in a hole that no block covers.
  if (archive_entry_size_is_set(e) && ::ftruncate(f.get(), archive_entry_size(e)) != 0)
    throw SystemError("layer entry '" + name + "': truncate", errno);
  set_owner_and_mode(f.get(), static_cast<uid_t>(archive_entry_uid(e)), static_cast<gid_t>(archive_entry_gid(e)),
                     static_cast<mode_t>(archive_entry_perm(e) & 07777), opts_.chown, name);
  set_xattrs(f.get(), e, name);
  struct timespec ts[2] = {entry_mtime(e), entry_mtime(e)};
  ::futimens(f.get(), ts);
}

bool Applier::pooled(archive_entry* e) const {
  // Extended attributes and sparse maps stay on the extracting thread: rare,
  // and they need the tar entry (xattr warnings, hole offsets).
  return archive_entry_size_is_set(e) && archive_entry_size(e) >= 0 &&
         static_cast<std::size_t>(archive_entry_size(e)) <= kPooledFileMax && archive_entry_xattr_count(e) == 0 &&
         archive_entry_sparse_count(e) == 0;
}

void Applier::queue_file(TarReader& tar, archive_entry* e, const std::string& leaf, const std::string& abs,
                         const std::string& name) {
  const auto size = static_cast<std::size_t>(archive_entry_size(e));
  auto& bytes = batch_.bytes;
  if (batch_.files.empty() && bytes.capacity() < kBatchBuffer) batch_ = take_batch();
  const std::size_t base = bytes.size();
  bytes.resize(base + size, '\0');  // zeros: holes, and a file ending in one
  const void* buf = nullptr;
  std::size_t n = 0;
  std::int64_t off = 0;
  while (tar.data_block(&buf, &n, &off)) {
    if (off < 0 || static_cast<std::size_t>(off) + n > size)
      throw Error("layer entry '" + name + "': data beyond its stated size (refused)");
    std::memcpy(bytes.data() + base + static_cast<std::size_t>(off), buf, n);
    stats.bytes += static_cast<std::int64_t>(n);
  }
  pending_.insert(abs);
  batch_.files.push_back(PendingFile{leaf, name, base, size, static_cast<uid_t>(archive_entry_uid(e)),
                                     static_cast<gid_t>(archive_entry_gid(e)),
                                     static_cast<mode_t>(archive_entry_perm(e) & 07777), entry_mtime(e)});
  if (batch_.files.size() >= kBatchFiles || bytes.size() >= kBatchBytes) flush_batch();
}

Batch Applier::take_batch() {
  {
    std::lock_guard lk(spare_mu_);
    if (!spare_.empty()) {
      Batch b = std::move(spare_.back());
      spare_.pop_back();
      return b;
    }
  }
  Batch b;
  b.files.reserve(kBatchFiles);
  b.bytes.reserve(kBatchBuffer);
  return b;
}

void Applier::give_back(Batch batch) {
  batch.files.clear();  // both keep their capacity
  batch.bytes.clear();
  std::lock_guard lk(spare_mu_);
  spare_.push_back(std::move(batch));
}

void Applier::flush_batch() {
  if (batch_.files.empty()) return;
  // The writers get a descriptor of their own: parent_'s closes when the
  // next entry moves on to another directory.
  auto dir = std::make_shared<fs::UniqueFd>(::fcntl(parent_->fd.get(), F_DUPFD_CLOEXEC, 0));
  if (!dir->valid()) throw SystemError("layer: dup of " + parent_->path, errno);
  // The writers run before the spare buffers go: pool_ is the last member.
  pool_.submit([this, dir, batch = std::move(batch_), chown = opts_.chown]() mutable {
    for (const auto& f : batch.files) write_pending(dir->get(), f, batch.bytes, chown);
    give_back(std::move(batch));
  });
  batch_ = Batch{};
}

void Applier::apply(TarReader& tar, archive_entry* e) {
  ++stats.entries;
  const char* raw = archive_entry_pathname(e);
  std::string name = raw ? raw : "";
  auto comps = split_entry_path(name);
  if (comps.empty()) return;  // the root itself: its metadata belongs to the host
  std::string leaf = comps.back();
  comps.pop_back();

  if (leaf == kOpaqueMarker) {
    wait_for_files();  // removes trees: never under a writer
    parent_.reset();
    return opaque(name, comps);
  }
  if (leaf.rfind(kAufsMetaPrefix, 0) == 0) return;
  if (leaf.rfind(kWhiteoutPrefix, 0) == 0) {
    wait_for_files();
    parent_.reset();
    return whiteout(name, comps, leaf);
  }

  if (!parent_ || comps != parent_comps_) {
    flush_batch();  // the batch belongs to the directory being left
    parent_.reset();
    // A walk that has to create directories may meet a queued file on its
    // way ("f" then "f/g", or a link leading there): it waits for the pool
    // before its first mkdir. Walks through existing directories cannot (a
    // queued file's path was cleared of any directory before it was queued).
    auto walked = root_.open_dir(comps, true, name, [this] {
      if (!pending_.empty()) wait_for_files();
    });
    parent_comps_ = comps;
    parent_.emplace(std::move(walked));
  }
  const SafeRoot::Dir& dir = *parent_;
  std::string abs = child_path(dir.path, leaf);
  if (dir.ignored || root_.is_ignored(abs)) {
    ++stats.skipped_ignored;
    if (opts_.logger) opts_.logger->debug("skipping ignored path " + abs + " (entry " + name + ")");
    return;
  }
  int d = dir.fd.get();
  wait_if_pending(abs);  // a second entry for a path still being written
  const char* hl = archive_entry_hardlink(e);
  if (hl && *hl) {
    hardlink(d, leaf, abs, name, hl);
    note_added(abs);
    return;
  }
  mode_t type = archive_entry_filetype(e);
  if (!clear_for(d, leaf, abs, type == AE_IFDIR, name)) return;
  note_added(abs);
  uid_t uid = archive_entry_uid(e);
  gid_t gid = archive_entry_gid(e);
  mode_t perm = archive_entry_perm(e) & 07777;
  struct timespec ts[2] = {entry_mtime(e), entry_mtime(e)};

  switch (type) {
    case AE_IFREG:
      if (pooled(e)) return queue_file(tar, e, leaf, abs, name);
      return regular(tar, e, d, leaf, name);
    case AE_IFDIR: {
      if (::mkdirat(d, leaf.c_str(), 0700) != 0 && errno != EEXIST)
        throw SystemError("layer entry '" + name + "': mkdir", errno);
      fs::UniqueFd sub(::openat(d, leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) throw SystemError("layer entry '" + name + "': open dir", errno);
      if (opts_.chown && ::fchown(sub.get(), uid, gid) != 0)
        throw SystemError("layer entry '" + name + "': chown", errno);
      set_xattrs(sub.get(), e, name);
      // Mode and mtime wait until the layer is done: a read-only directory
      // must still take its children, and adding them changes the mtime.
      dirs_[abs] = DirMeta{perm, ts[0]};
      return;
    }
    case AE_IFLNK: {
      const char* target = archive_entry_symlink(e);
      // Stored verbatim: the target means something only inside the
      // container; nothing here ever follows it out of the root.
      if (::symlinkat(target ? target : "", d, leaf.c_str()) != 0)
        throw SystemError("layer entry '" + name + "': symlink", errno);
      if (opts_.chown && ::fchownat(d, leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        throw SystemError("layer entry '" + name + "': lchown", errno);
      ::utimensat(d, leaf.c_str(), ts, AT_SYMLINK_NOFOLLOW);
      return;
    }
    case AE_IFIFO:
    case AE_IFCHR:
    case AE_IFBLK: {
      dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
      if (::mknodat(d, leaf.c_str(), type | 0600, type == AE_IFIFO ? 0 : dev) != 0) {
        if (errno == EPERM || errno == EACCES) {
          ++stats.skipped_devices;
          warn("layer entry '" + name + "': cannot create device node (" + std::strerror(errno) + "), skipped");
          return;
        }
        throw SystemError("layer entry '" + name + "': mknod", errno);
      }
      if (opts_.chown && ::fchownat(d, leaf.c_str(), uid, gid, AT_SYMLINK_NOFOLLOW) != 0)
        throw SystemError("layer entry '" + name + "': chown", errno);
      // The node was just made by us in a directory we hold open, so the
      // name cannot be a symlink here.
      if (::fchmodat(d, leaf.c_str(), perm, 0) != 0)
        throw SystemError("layer entry '" + name + "': chmod", errno);
      ::utimensat(d, leaf.c_str(), ts, AT_SYMLINK_NOFOLLOW);
      return;
    }
    default:
      warn("layer entry '" + name + "': unsupported file type, skipped");
      return;
  }
}

void Applier::finish_dirs() {
  // Deepest first so setting a parent's mtime is the last change under it.
  std::vector<std::pair<std::string, DirMeta>> order(dirs_.begin(), dirs_.end());
  std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
    return std::count(a.first.begin(), a.first.end(), '/') > std::count(b.first.begin(), b.first.end(), '/');
  });
  for (auto& [abs, meta] : order) {
    auto comps = split_entry_path(abs);
    std::string leaf = comps.back();
    comps.pop_back();
    auto dir = root_.open_dir(comps, false, abs);
    // A later entry may have swapped a parent for a symlink: check where the
    // path leads now, not where it led when the directory was made.
    if (dir.missing || dir.ignored || root_.is_ignored(child_path(dir.path, leaf))) continue;
    // Replaced or removed later in the layer: nothing to apply.
    fs::UniqueFd sub(::openat(dir.fd.get(), leaf.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!sub.valid()) continue;
    if (::fchmod(sub.get(), meta.mode) != 0)
      throw SystemError("layer directory " + abs + ": chmod", errno);
    struct timespec ts[2] = {meta.mtime, meta.mtime};
    ::futimens(sub.get(), ts);
  }
}

}  // namespace

ExtractStats extract(const std::function<std::size_t(char* buf, std::size_t max)>& read,
                     const std::filesystem::path& root, const ExtractOptions& options) {
  Applier app(root, options);
  TarReader tar(read);
  while (archive_entry* e = tar.next()) app.apply(tar, e);
  app.wait_for_files();
  app.finish_dirs();
  return app.stats;
}

}  // namespace kiln::layer
