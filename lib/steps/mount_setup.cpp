#include "steps/mount_setup.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/error.h"
#include "fs/copy.h"
#include "fs/resolve.h"
#include "fs/tree_copy.h"

namespace kiln::steps {
namespace fsys = std::filesystem;

namespace {

std::string errno_text() { return std::strerror(errno); }

bool same_time(const struct timespec& a, const struct timespec& b) {
  return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

// Copies a directory's contents into dest (which exists) exactly: owners,
// modes and mtimes kept, links as links.
void copy_tree(const fsys::path& src, const fsys::path& dest) {
  for (const auto& entry : fsys::directory_iterator(src)) fs::copy_tree_exact(entry.path(), dest / entry.path().filename());
}

// Whether a snapshot of root can see path: true unless path lies outside
// root or on an ignored path (a volume, the kaniko dir).
bool visible_to_snapshot(const fsys::path& path, const fsys::path& root, const fs::IgnoreList* ignore) {
  std::error_code ec;
  fsys::path p = fsys::weakly_canonical(path, ec);
  if (ec) p = path;
  fsys::path r = fsys::weakly_canonical(root, ec);
  if (ec) r = root;
  fsys::path rel = p.lexically_relative(r);
  if (rel.empty() || *rel.begin() == "..") return false;
  std::string in_image = fs::clean_abs("/" + rel.string());
  return !(ignore && ignore->ignored(in_image));
}

}  // namespace

std::set<std::string> available_secrets(const std::map<std::string, SecretFlag>& secrets, const GetEnv& getenv) {
  std::set<std::string> ids;
  for (const auto& [id, s] : secrets)
    if (!s.file.empty() || (getenv && getenv(s.env))) ids.insert(id);
  return ids;
}

MountSession::MountSession(const std::vector<PlannedMount>& plan, const MountEnv& env) : env_(env) {
  try {
    bool in_root = std::any_of(plan.begin(), plan.end(), [](const PlannedMount& p) { return p.kind != MountKind::SecretEnv; });
    if (env_.method == MountMethod::Files && in_root) {
      journal_ = std::make_unique<MountJournal>(env_.journal);
      files_ = std::make_unique<FileMounts>(*journal_, env_.scratch / "run-mounts" / "aside", env_.log);
    }
    std::vector<proc::MountOp> secret_ops;
    for (const auto& p : plan) prepare(p, secret_ops);
    std::vector<const TreeStamp*> stamps;
    for (const auto& w : watches_)
      if (w.before) stamps.push_back(&*w.before);
    if (!stamps.empty()) wait_past_ctimes(stamps);
    if (!secret_ops.empty()) {
      // Secret values go to a tmpfs that exists only in the child's mount
      // namespace: never on disk, gone with the command. Each file is bound
      // onto its target, then the staging mount itself is detached.
      fsys::path stage = private_dir("secrets");
      proc::MountOp t{proc::MountOp::Kind::Tmpfs, "", stage.string(), false, "mode=0700", 0, 0, 0, "staging RUN secrets in a tmpfs"};
      ops_.push_back(t);
      for (auto& op : secret_ops) {
        if (op.kind == proc::MountOp::Kind::WriteFile) op.target = (stage / op.target).string();
        if (op.kind == proc::MountOp::Kind::Bind) op.source = (stage / op.source).string();
        ops_.push_back(op);
      }
      ops_.push_back({proc::MountOp::Kind::Detach, "", stage.string(), false, "", 0, 0, 0, "detaching the secret staging tmpfs"});
    }
  } catch (...) {
    undo();
    throw;
  }
}

MountSession::~MountSession() { undo(); }

std::optional<std::string> MountSession::broken_promise() const {
  for (const auto& w : watches_) {
    const std::string mount = env_.location + ": RUN --mount=" + w.raw + ": ";
    TreeStamp now = stamp_tree(w.host);
    if (w.before) {
      if (auto change = first_change(*w.before, now)) {
        // "<rel> changed", where rel is "" for the target itself.
        std::string what = change->front() == ' ' ? w.target + *change : w.target + "/" + *change;
        return mount + "the command wrote to a read-only bind (" + what +
               "); without a mount namespace kiln cannot refuse the write, so the step fails "
               "(add rw to the mount if the command may write there: its writes are discarded)";
      }
    }
    if (w.size && file_bytes(now) > static_cast<std::uint64_t>(*w.size))
      return mount + "the command left " + std::to_string(file_bytes(now)) + " bytes in " + w.target +
             ", more than the tmpfs's size=" + std::to_string(*w.size) +
             "; without a mount namespace kiln cannot stop the writes, so the step fails";
  }
  return std::nullopt;
}

void MountSession::check_no_leak(std::string_view mountinfo_text) const {
  std::string leaked;
  for (const auto& mp : fs::mount_points_from_mountinfo(mountinfo_text)) {
    for (const auto& t : targets_) {
      if (mp != t) continue;
      ::umount2(t.c_str(), MNT_DETACH);
      leaked += (leaked.empty() ? "" : ", ") + t;
    }
  }
  if (!leaked.empty())
    throw Error(env_.location + ": RUN --mount: mounts propagated out of the command (" + leaked +
                "): the container's root mount is shared; kiln detached them and stops the build");
}

fsys::path MountSession::private_dir(const std::string& kind) {
  fsys::path dir = env_.scratch / "run-mounts" / (kind + "-" + std::to_string(private_count_++));
  fsys::create_directories(dir.parent_path());
  fsys::remove_all(dir);
  if (::mkdir(dir.c_str(), 0700) != 0) throw IoError("mkdir " + dir.string() + ": " + errno_text());
  private_dirs_.push_back(dir);
  return dir;
}

// Resolves target inside the root (links cannot lead out of it) and makes
// sure something of the right type is there to mount on, creating what is
// missing and remembering it for undo().
fsys::path MountSession::file_target(const std::string& target, bool directory, const std::string& raw) {
  fsys::path host = fs::resolve_in_root(env_.root, target, true);
  struct stat st;
  if (::lstat(host.c_str(), &st) == 0) {
    if (directory && !S_ISDIR(st.st_mode))
      throw UsageError(env_.location + ": --mount=" + raw + ": target " + target +
                       " exists in the image and is not a directory");
    if (!directory && S_ISDIR(st.st_mode))
      throw UsageError(env_.location + ": --mount=" + raw + ": target " + target +
                       " is a directory in the image; a file cannot be mounted on it");
  }
  return host;
}

fsys::path MountSession::mount_point(const std::string& target, bool directory, const std::string& raw) {
  fsys::path host = file_target(target, directory, raw);
  struct stat st;
  if (::lstat(host.c_str(), &st) == 0) {
    targets_.push_back(host.string());
    return host;
  }
  Stub stub;
  std::vector<fsys::path> missing{host};
  fsys::path up = host.parent_path();
  while (::lstat(up.c_str(), &st) != 0) {
    missing.push_back(up);
    up = up.parent_path();
  }
  stub.anchor = up;
  stub.anchor_before = st.st_mtim;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    bool leaf = *it == host;
    int rc;
    if (leaf && !directory) {
      int fd = ::open(it->c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
      rc = fd < 0 ? -1 : ::close(fd);
    } else {
      rc = ::mkdir(it->c_str(), 0755);
    }
    if (rc != 0) {
      stubs_.push_back(stub);  // undo what was made so far
      throw IoError(env_.location + ": --mount=" + raw + ": cannot create the mount point " + it->string() + ": " +
                    errno_text());
    }
    stub.created.push_back(*it);
  }
  if (::lstat(stub.anchor.c_str(), &st) == 0) stub.anchor_after = st.st_mtim;
  stubs_.push_back(stub);
  targets_.push_back(host.string());
  return host;
}

// <cache-dir>/run-cache/<key>, created with the mount's mode and owner when
// new, locked as its sharing= asks for the time of the RUN.
fsys::path MountSession::cache_directory(const PlannedMount& p) {
  fsys::path base = env_.cache_dir / "run-cache";
  const bool snapshotted = env_.cache_dir.empty() || visible_to_snapshot(env_.cache_dir, env_.root, env_.ignore) ||
                           (!env_.container_root.empty() &&
                            visible_to_snapshot(env_.cache_dir, env_.container_root, env_.ignore));
  if (snapshotted) {
    // A cache inside the image filesystem would be snapshotted into a layer.
    if (env_.log)
      env_.log->warn(env_.location + ": --cache-dir " + env_.cache_dir.string() +
                     " is not a volume (it would end up in the image); RUN cache mounts last for this build only");
    base = env_.cache_fallback.empty() ? env_.scratch / "run-cache" : env_.cache_fallback;
  }
  fsys::create_directories(base);
  fsys::path dir = base / p.cache_key;
  fsys::path lock = base / (p.cache_key + ".lock");
  // The same cache twice in one RUN: it is already ours (locking it again
  // through a second descriptor would wait for ourselves forever).
  if (!locked_keys_.insert(p.cache_key).second) {
    if (files_)
      throw UsageError(env_.location + ": --mount=" + p.raw + ": the same cache twice in one RUN needs a mount "
                       "namespace (a directory moved into place can be in one place only)");
    return dir;
  }
  int fd = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) throw IoError(env_.location + ": --mount=" + p.raw + ": cannot open " + lock.string() + ": " + errno_text());
  // Without a mount namespace the cache directory is moved into the root,
  // so builds sharing it take turns: sharing=shared waits as locked does.
  int how = p.sharing == dockerfile::CacheSharing::Shared   ? (files_ ? LOCK_EX : LOCK_SH)
            : p.sharing == dockerfile::CacheSharing::Locked ? LOCK_EX
                                                            : LOCK_EX | LOCK_NB;
  int rc;
  while ((rc = ::flock(fd, how)) != 0 && errno == EINTR) {
  }
  if (rc != 0) {
    int e = errno;
    ::close(fd);
    if (p.sharing == dockerfile::CacheSharing::Private && e == EWOULDBLOCK) {
      // sharing=private: another build uses this cache; take a fresh one.
      dir = private_dir("cache");
    } else {
      throw SystemError(env_.location + ": --mount=" + p.raw + ": cannot lock " + lock.string(), e);
    }
  } else {
    lock_fds_.push_back(fd);
  }
  bool fresh = ::mkdir(dir.c_str(), 0700) == 0 || fsys::is_empty(dir);
  if (fresh) {
    if (::chown(dir.c_str(), p.uid, p.gid) != 0 || ::chmod(dir.c_str(), p.mode) != 0)
      throw IoError(env_.location + ": --mount=" + p.raw + ": cannot set up " + dir.string() + ": " + errno_text());
    if (!p.from.empty()) {
      fsys::path src = fs::resolve_in_root(env_.source_root(p.from), p.source, true);
      if (!fsys::is_directory(src))
        throw UsageError(env_.location + ": --mount=" + p.raw + ": source " + (p.source.empty() ? "/" : p.source) +
                         " is not a directory in " + p.from);
      copy_tree(src, dir);
    }
  }
  return dir;
}

// BuildKit binds the context as sent, without what .dockerignore excludes.
// When the source holds such paths, a filtered copy is bound instead of the
// context itself (otherwise the context is bound as is: no copy).
fsys::path MountSession::filtered_context(const PlannedMount& p, const fsys::path& src, bool directory) {
  auto rel = [&](const fsys::path& x) { return x.lexically_relative(env_.context_dir).generic_string(); };
  auto not_found = [&] {
    return UsageError(env_.location + ": --mount=" + p.raw + ": source " + p.source +
                      " is excluded by .dockerignore");
  };
  std::string top = rel(src);
  if (top != "." && env_.context_excluded(top)) throw not_found();
  bool any = false;
  if (directory) {
    for (auto it = fsys::recursive_directory_iterator(src); it != fsys::recursive_directory_iterator(); ++it)
      if (env_.context_excluded(rel(it->path()))) {
        any = true;
        break;
      }
  }
  if (!any) return src;
  fsys::path copy = private_dir("context");
  fs::CopyOptions co;
  co.excluded = env_.context_excluded;
  fs::copy_into_root(env_.context_dir, {"/" + (top == "." ? std::string() : top)}, "/", copy, co);
  return copy;
}

void MountSession::prepare(const PlannedMount& p, std::vector<proc::MountOp>& secret_ops) {
  const std::string what = "mounting --mount=" + p.raw + " at " + p.target;
  auto debug = [&](const std::string& m) {
    if (env_.log) env_.log->debug("RUN --mount=" + p.raw + ": " + m);
  };
  switch (p.kind) {
    case MountKind::Bind: {
      fsys::path src = p.from.empty() ? fs::resolve_beneath(env_.context_dir, p.source, true)
                                      : fs::resolve_in_root(env_.source_root(p.from), p.source, true);
      struct stat st;
      if (::lstat(src.c_str(), &st) != 0)
        throw UsageError(env_.location + ": --mount=" + p.raw + ": source " + (p.source.empty() ? "/" : p.source) +
                         " not found in " + (p.from.empty() ? "the build context" : p.from));
      bool directory = S_ISDIR(st.st_mode);
      if (p.from.empty() && env_.context_excluded) src = filtered_context(p, src, directory);
      if (files_) {
        // The command gets a copy, read-only or not: the source is never
        // written, and what the command writes goes with the copy.
        fsys::path host = file_target(p.target, directory, p.raw);
        files_->copy_in(src, host);
        if (p.read_only) watches_.push_back({p.raw, p.target, host, stamp_tree(host), std::nullopt});
        debug("bind " + src.string() + " (a copy, no mount namespace" + (p.read_only ? ", checked after" : "") + ")");
        return;
      }
      if (!p.read_only) {
        // rw: the command may write, but into a private copy thrown away
        // after the RUN, never into the context or a stage.
        fsys::path copy = private_dir("bind");
        if (directory) {
          copy_tree(src, copy);
          src = copy;
        } else {
          fsys::copy_file(src, copy / "file");
          src = copy / "file";
        }
      }
      fsys::path target = mount_point(p.target, directory, p.raw);
      ops_.push_back({proc::MountOp::Kind::Bind, src.string(), target.string(), p.read_only, "", 0, 0, 0, what});
      debug("bind " + src.string() + (p.read_only ? " (read-only)" : " (private copy)"));
      return;
    }
    case MountKind::Cache: {
      fsys::path dir = cache_directory(p);
      if (files_) {
        files_->move_in(dir, file_target(p.target, true, p.raw));
        debug("cache " + dir.string() + " moved into place (no mount namespace)");
        return;
      }
      fsys::path target = mount_point(p.target, true, p.raw);
      ops_.push_back({proc::MountOp::Kind::Bind, dir.string(), target.string(), p.read_only, "", 0, 0, 0, what});
      debug("cache " + dir.string());
      return;
    }
    case MountKind::Tmpfs: {
      if (files_) {
        fsys::path host = file_target(p.target, true, p.raw);
        files_->empty_dir(host);
        if (p.size_bytes) watches_.push_back({p.raw, p.target, host, std::nullopt, p.size_bytes});
        debug("tmpfs as an empty directory (no mount namespace)");
        return;
      }
      fsys::path target = mount_point(p.target, true, p.raw);
      std::string opts = p.size_bytes ? "size=" + std::to_string(*p.size_bytes) : "";
      ops_.push_back({proc::MountOp::Kind::Tmpfs, "", target.string(), false, opts, 0, 0, 0, what});
      debug("tmpfs");
      return;
    }
    case MountKind::SecretFile:
    case MountKind::SecretEnv: {
      const SecretFlag& flag = env_.secrets.at(p.secret_id);
      std::string value;
      if (!flag.file.empty()) {
        std::ifstream in(flag.file, std::ios::binary);
        std::ostringstream buf;
        if (in) buf << in.rdbuf();  // an empty file leaves buf failed: fine
        if (!in || in.bad())
          throw IoError(env_.location + ": secret \"" + p.secret_id + "\" (--secret src=" + flag.file +
                        "): cannot read the file: " + errno_text());
        value = buf.str();
      } else {
        value = env_.getenv(flag.env).value_or("");
      }
      if (p.kind == MountKind::SecretEnv) {
        secret_env_.push_back(p.env_name + "=" + value);
        debug("secret \"" + p.secret_id + "\" as $" + p.env_name);
        return;
      }
      if (files_) {
        files_->write_file(file_target(p.target, false, p.raw), value, p.mode, p.uid, p.gid);
        debug("secret \"" + p.secret_id + "\" at " + p.target + " (a file, removed after the RUN)");
        return;
      }
      fsys::path target = mount_point(p.target, false, p.raw);
      std::string name = "s" + std::to_string(secret_ops.size());
      secret_ops.push_back({proc::MountOp::Kind::WriteFile, "", name, false, value, p.mode, p.uid, p.gid, what});
      secret_ops.push_back({proc::MountOp::Kind::Bind, name, target.string(), p.read_only, "", 0, 0, 0, what});
      debug("secret \"" + p.secret_id + "\" at " + p.target);
      return;
    }
  }
}

void MountSession::undo() noexcept {
  // Caches go back before their locks are released.
  if (files_) files_->restore();
  files_.reset();
  journal_.reset();
  for (int fd : lock_fds_) ::close(fd);
  lock_fds_.clear();
  for (auto s = stubs_.rbegin(); s != stubs_.rend(); ++s) {
    struct stat st;
    struct timespec now {};
    bool have_now = ::lstat(s->anchor.c_str(), &st) == 0;
    if (have_now) now = st.st_mtim;
    bool all_removed = true;
    for (auto c = s->created.rbegin(); c != s->created.rend(); ++c) {
      // Only an empty stub goes: the command may have put files of its own
      // next to a mount point, in a directory kiln created; those stay.
      int rc = -1;
      if (::lstat(c->c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) rc = ::rmdir(c->c_str());
        else if (S_ISREG(st.st_mode) && st.st_size == 0) rc = ::unlink(c->c_str());
      }
      if (rc != 0) {
        all_removed = false;
        break;
      }
    }
    // Put the directory's mtime back unless the command itself changed it
    // (so --snapshot-mode=time/redo does not see a change kiln made).
    if (all_removed && have_now) {
      struct timespec times[2];
      times[0].tv_nsec = UTIME_OMIT;
      times[1] = same_time(now, s->anchor_after) ? s->anchor_before : now;
      ::utimensat(AT_FDCWD, s->anchor.c_str(), times, AT_SYMLINK_NOFOLLOW);
    }
  }
  stubs_.clear();
  for (const auto& d : private_dirs_) {
    std::error_code ec;
    fsys::remove_all(d, ec);
  }
  private_dirs_.clear();
}

}  // namespace kiln::steps
