#include "fs/copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "base/error.h"
#include "fs/copy_entry.h"
#include "fs/dir_names.h"
#include "fs/glob.h"
#include "fs/ignore_list.h"
#include "fs/resolve.h"
#include "fs/unique_fd.h"
#include "fs/write_pool.h"

namespace kiln::fs {
namespace {

std::string join(std::string_view dir, std::string_view name) {
  std::string s(dir);
  if (s.empty() || s.back() != '/') s.push_back('/');
  s.append(name);
  return s;
}

std::string base_name(const std::string& rel) {
  auto k = rel.rfind('/');
  return k == std::string::npos ? rel : rel.substr(k + 1);
}

std::string parent_of(const std::string& abs) {
  auto k = abs.rfind('/');
  return k == 0 || k == std::string::npos ? "/" : abs.substr(0, k);
}

class Copier {
 public:
  Copier(const std::filesystem::path& dest_root, const CopyOptions& o) : dest_root_(dest_root), opts_(o) {
    meta_.uid = o.uid.value_or(0);
    meta_.gid = o.gid ? *o.gid : (o.uid ? static_cast<gid_t>(*o.uid) : 0);
    meta_.keep_owner = o.keep_owner && !o.uid && !o.gid;
    meta_.chmod = o.chmod;
  }

  // A source directory: its contents go into dest_dir (created if missing).
  void copy_dir_contents(const std::filesystem::path& src_host, const std::string& src_rel, const std::string& dest_dir) {
    if (dest_ignored(dest_dir, resolve_in_root(dest_root_, dest_dir, true))) return;
    mkdir_all(dest_root_, dest_dir, meta_.uid, meta_.gid, 0755);
    copy_children(src_host, src_rel, dest_dir, true);
  }

  // A single non-directory source written as dest_path.
  void copy_top_file(const std::filesystem::path& src_host, const std::string& src_rel, const std::string& dest_path) {
    if (dest_ignored(dest_path, resolve_in_root(dest_root_, dest_path, false))) return;
    mkdir_all(dest_root_, parent_of(dest_path), meta_.uid, meta_.gid, 0755);
    struct stat st;
    if (stat(src_host.c_str(), &st) != 0) throw SystemError("copy: stat " + src_rel, errno);
    write_entry(src_host, st, dest_path);
  }

  // Waits for the file writes handed to the pool, then sets the times of the
  // directories copied so far (writing into a directory changes its mtime,
  // so this comes after its contents, the deepest first).
  void finish_pending() {
    flush_batch();
    pool_.drain();
    pending_.clear();
    links_.clear();  // hard-link groups are kept within one source, as BuildKit keeps them
    for (auto it = dir_times_.rbegin(); it != dir_times_.rend(); ++it) finish_copied_dir(it->first, it->second);
    dir_times_.clear();
  }

  std::vector<std::string> take_written() { return std::move(written_); }

 private:
  bool excluded(const std::string& rel) const { return opts_.excluded && !rel.empty() && opts_.excluded(rel); }

  // dest_exists: whether dest_dir is already there (it is not when its source
  // directory was excluded and nothing under it has been copied yet).
  void copy_children(const std::filesystem::path& src_dir, const std::string& src_rel, const std::string& dest_dir,
                     bool dest_exists) {
    UniqueFd fd(open(src_dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd.valid()) throw SystemError("copy: open " + src_dir.string(), errno);
    auto names = list_dir_names(fd.get(), src_dir.string());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
      std::filesystem::path src = src_dir / name;
      std::string rel = src_rel.empty() ? name : src_rel + "/" + name;
      std::string dst = join(dest_dir, name);
      struct stat st;
      if (lstat(src.c_str(), &st) != 0) throw SystemError("copy: lstat " + src.string(), errno);
      if (excluded(rel)) {
        if (S_ISDIR(st.st_mode)) copy_children(src, rel, dst, false);
        continue;
      }
      if (!dest_exists) {
        mkdir_all(dest_root_, dest_dir, meta_.uid, meta_.gid, 0755);
        dest_exists = true;
      }
      if (S_ISDIR(st.st_mode)) {
        std::filesystem::path host = resolve_in_root(dest_root_, dst, true);
        if (dest_ignored(dst, host)) continue;
        wait_if_pending(host);
        prepare_copied_dir(st, host, meta_);
        copy_dir_xattrs(src, host);
        record(host);
        copy_children(src, rel, dst, true);
        dir_times_.emplace_back(st, host);
      } else {
        write_entry(src, st, dst);
      }
    }
    flush_batch();  // this directory's files, as one job
  }

  void write_entry(const std::filesystem::path& src, const struct stat& st, const std::string& dest_path) {
    std::filesystem::path host = resolve_in_root(dest_root_, dest_path, false);
    if (dest_ignored(dest_path, host)) return;
    wait_if_pending(host);
    if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      // Another name of a file this source already gave: link to it once it is written.
      auto [it, first] = links_.try_emplace({st.st_dev, st.st_ino}, host);
      if (!first) {
        if (pending_.count(it->second.string()) != 0) {
          flush_batch();
          pool_.drain();
          pending_.clear();
        }
        link_copied_file(it->second, host);
        record(host);
        return;
      }
    }
    if (S_ISREG(st.st_mode)) {
      // Regular files, the bulk of a COPY, are written by the pool. Their
      // parent exists already (made on this thread), and nothing else writes
      // this path until finish_pending() or wait_if_pending() says so.
      pending_.insert(host.string());
      batch_.push_back(FileJob{src, st, host});
      if (batch_.size() >= kBatch) flush_batch();
    } else if (S_ISLNK(st.st_mode)) {
      write_copied_symlink(src, st, host, meta_);
    } else if (S_ISFIFO(st.st_mode)) {
      write_copied_fifo(st, host, meta_);
    } else {
      return;  // sockets, devices: not copied
    }
    record(host);
  }

  void record(const std::filesystem::path& host) { written_.push_back(in_image(host)); }

  // Files go to the pool a directory at a time (or kBatch at a time), not
  // one by one: writers creating files in the same directory queue on its
  // lock, and one-by-one hand-over made a 20,000-file COPY twice as slow as
  // doing it on one thread; writers in different directories overlap.
  struct FileJob {
    std::filesystem::path src;
    struct stat st;
    std::filesystem::path host;
  };
  static constexpr std::size_t kBatch = 256;

  void flush_batch() {
    if (batch_.empty()) return;
    pool_.submit([jobs = std::move(batch_), meta = meta_] {
      for (const auto& j : jobs) write_copied_file(j.src, j.st, j.host, meta);
    });
    batch_.clear();
  }

  // Two sources can land on one path (links in the destination, or the same
  // name from two directories): the later write waits for the earlier.
  void wait_if_pending(const std::filesystem::path& host) {
    if (pending_.count(host.string()) == 0) return;
    flush_batch();
    pool_.drain();
    pending_.clear();
  }

  // host is always dest_root_ followed by resolved components.
  std::string in_image(const std::filesystem::path& host) const {
    std::string h = host.string();
    std::string r = dest_root_.string();
    while (!r.empty() && r.back() == '/') r.pop_back();  // "/" becomes "": every host path is then in-image
    return h.size() > r.size() ? h.substr(r.size()) : std::string("/");
  }

  bool dest_ignored(const std::string& image_path, const std::filesystem::path& host) const {
    return opts_.ignore.ignored(clean_abs(image_path)) || opts_.ignore.ignored(in_image(host));
  }

  const std::filesystem::path& dest_root_;
  const CopyOptions& opts_;
  EntryMeta meta_;
  std::vector<std::string> written_;
  std::unordered_set<std::string> pending_;  // host paths of files queued in pool_ or batch_
  std::vector<FileJob> batch_;
  std::vector<std::pair<struct stat, std::filesystem::path>> dir_times_;
  struct InodeHash {
    std::size_t operator()(const std::pair<dev_t, ino_t>& k) const {
      return std::hash<ino_t>()(k.second) ^ (std::hash<dev_t>()(k.first) << 1);
    }
  };
  // (dev, inode) of multiply-linked source files -> the host path written for the first name
  std::unordered_map<std::pair<dev_t, ino_t>, std::filesystem::path, InodeHash> links_;
  WritePool pool_;  // last: its threads finish before the members above go
};

// --parents: "a/./b/*.go" is the pattern "a/b/*.go" whose matches keep
// their path below "a" (BuildKit's pivot); without "/./", below the root.
// Returns {pattern, cleaned pivot directory ("" for the root)}.
std::pair<std::string, std::string> split_parents_pivot(const std::string& source) {
  auto k = source.find("/./");
  if (k == std::string::npos) return {source, ""};
  std::string pivot = clean_source_path(source.substr(0, k));
  return {source.substr(0, k) + "/" + source.substr(k + 3), pivot};
}

bool dest_is_dir(const std::filesystem::path& dest_root, std::string_view dest) {
  if (!dest.empty() && dest.back() == '/') return true;
  if (dest.size() >= 2 && dest.substr(dest.size() - 2) == "/.") return true;
  struct stat st;
  return stat(resolve_in_root(dest_root, dest, true).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::vector<std::string> copy_into_root(const std::filesystem::path& src_root, const std::vector<std::string>& sources,
                                        std::string_view dest, const std::filesystem::path& dest_root,
                                        const CopyOptions& opts) {
  struct Source {
    std::string rel;            // as named in the context
    std::filesystem::path host; // after following a link named as the source
    bool is_dir;
    std::string kept;           // --parents: the part of rel recreated under dest
  };
  auto is_excluded = [&](const std::string& rel) { return opts.excluded && !rel.empty() && opts.excluded(rel); };
  // Resolve everything first: every error about the sources comes before
  // any write.
  auto resolve_source = [&](const std::string& rel) {
    std::filesystem::path host = resolve_beneath(src_root, rel, true);
    struct stat st;
    if (stat(host.c_str(), &st) != 0)
      throw UsageError("copy failed: source " + (rel.empty() ? std::string(".") : rel) + ": " + std::strerror(errno));
    return Source{rel, host, S_ISDIR(st.st_mode), {}};
  };
  std::vector<Source> expanded;
  for (const auto& named : sources) {
    auto [s, pivot] = opts.parents ? split_parents_pivot(named) : std::pair<std::string, std::string>{named, ""};
    auto kept = [&pivot](const std::string& rel) {
      return pivot.empty() ? rel : rel == pivot ? std::string() : rel.substr(pivot.size() + 1);
    };
    if (has_wildcards(s)) {
      for (const auto& rel : glob_beneath(src_root, s)) {
        Source src = resolve_source(rel);
        // An excluded file is not in the context as Docker sends it.
        if (!src.is_dir && is_excluded(rel)) continue;
        src.kept = kept(rel);
        expanded.push_back(std::move(src));
      }
      continue;
    }
    std::string rel = clean_source_path(s);
    struct stat st;
    if (lstat(resolve_beneath(src_root, rel, false).c_str(), &st) != 0)
      throw UsageError("copy failed: source " + named + " not found in the build context");
    Source src = resolve_source(rel);
    if (!src.is_dir && is_excluded(rel))
      throw UsageError("copy failed: source " + named + " not found in the build context (excluded by .dockerignore)");
    src.kept = kept(rel);
    expanded.push_back(std::move(src));
  }
  if (expanded.empty()) throw UsageError("copy failed: no source files were specified");
  std::string dest_abs = clean_abs(dest);
  bool into_dir = dest_is_dir(dest_root, dest);
  if (expanded.size() > 1 && !into_dir)
    throw UsageError("when using COPY with more than one source file, the destination must be a directory and end with a /: " +
                     std::string(dest));

  Copier c(dest_root, opts);
  for (const auto& src : expanded) {
    std::string target = dest_abs;
    if (src.is_dir) {
      if (opts.parents && !src.kept.empty()) target = join(dest_abs, src.kept);
      c.copy_dir_contents(src.host, src.rel, target);
    } else {
      if (opts.parents)
        target = join(dest_abs, src.kept);
      else if (into_dir)
        target = join(dest_abs, base_name(src.rel));
      c.copy_top_file(src.host, src.rel, target);
    }
    c.finish_pending();
  }
  return c.take_written();
}

}  // namespace kiln::fs
