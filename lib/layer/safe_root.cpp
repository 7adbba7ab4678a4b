#include "layer/safe_root.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "base/error.h"
#include "layer/entry_path.h"

namespace kiln::layer {

namespace {
// Linux's own limit on symlinks followed in one lookup.
constexpr int kMaxSymlinks = 40;

std::string read_link_at(int dir, const std::string& name, std::string_view entry) {
  std::string buf(4096, '\0');
  for (;;) {
    ssize_t n = ::readlinkat(dir, name.c_str(), buf.data(), buf.size());
    if (n < 0) throw SystemError("layer entry '" + std::string(entry) + "': readlink " + name, errno);
    if (static_cast<std::size_t>(n) < buf.size()) {
      buf.resize(static_cast<std::size_t>(n));
      return buf;
    }
    buf.resize(buf.size() * 2);
  }
}
}  // namespace

SafeRoot::SafeRoot(const std::filesystem::path& root, IgnoredFn ignored) : root_(root), ignored_(std::move(ignored)) {
  root_fd_ = fs::UniqueFd(::open(root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!root_fd_.valid()) throw SystemError("opening extraction root " + root.string(), errno);
}

SafeRoot::Dir SafeRoot::open_dir(const std::vector<std::string>& comps, bool create, std::string_view entry,
                                 const std::function<void()>& before_create) const {
  // cur is the directory named by names (invalid: the root). Only one
  // descriptor is held, however deep the walk: a layer with thousands of
  // nested directories must not run into the descriptor limit. ".." goes
  // back by walking names again from the root (no symlinks on that way:
  // each was a directory when it was entered, and O_NOFOLLOW checks it).
  fs::UniqueFd cur;
  std::vector<std::string> names;
  auto top = [&] { return cur.valid() ? cur.get() : root_fd_.get(); };
  auto reopen = [&] {
    fs::UniqueFd d;
    std::string walked;
    for (const auto& n : names) {
      walked += "/" + n;
      fs::UniqueFd next(::openat(d.valid() ? d.get() : root_fd_.get(), n.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!next.valid())
        throw SystemError("layer entry '" + std::string(entry) + "': reopen " + walked, errno);
      d = std::move(next);
    }
    cur = std::move(d);
  };
  std::deque<std::string> pending(comps.begin(), comps.end());
  int links = 0;
  bool before_create_done = false;
  Dir out;
  while (!pending.empty()) {
    std::string c = std::move(pending.front());
    pending.pop_front();
    if (c.empty() || c == ".") continue;
    if (c == "..") {  // the root is its own parent, as in the container
      if (!names.empty()) {
        names.pop_back();
        reopen();
      }
      continue;
    }
    struct stat st {};
    if (::fstatat(top(), c.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT)
        throw SystemError("layer entry '" + std::string(entry) + "': stat " + c, errno);
      names.push_back(c);
      std::string here = join_abs(names);
      if (is_ignored(here)) {
        out.ignored = true;
        out.path = here;
        return out;
      }
      if (!create) {
        out.missing = true;
        out.path = here;
        return out;
      }
      names.pop_back();
      if (before_create && !before_create_done) {
        before_create_done = true;
        before_create();
        pending.push_front(std::move(c));  // it may exist now
        continue;
      }
      if (::mkdirat(top(), c.c_str(), 0755) != 0 && errno != EEXIST)
        throw IoError("layer entry '" + std::string(entry) + "': mkdir " + join_abs(names) + "/" + c + ": " +
                      std::strerror(errno));
      st.st_mode = S_IFDIR;
    }
    if (S_ISLNK(st.st_mode)) {
      if (++links > kMaxSymlinks)
        throw Error("layer entry '" + std::string(entry) + "': too many levels of symbolic links");
      std::string target = read_link_at(top(), c, entry);
      if (!target.empty() && target[0] == '/') {
        cur = fs::UniqueFd();
        names.clear();
      }
      // Components of the target go in front of what is left, unresolved:
      // their own ".." and symlinks are handled by this same loop.
      std::vector<std::string> parts;
      std::size_t i = 0;
      while (i <= target.size()) {
        std::size_t j = target.find('/', i);
        if (j == std::string::npos) j = target.size();
        if (j > i) parts.emplace_back(target.substr(i, j - i));
        i = j + 1;
      }
      pending.insert(pending.begin(), parts.begin(), parts.end());
      continue;
    }
    names.push_back(c);
    std::string here = join_abs(names);
    if (!S_ISDIR(st.st_mode)) {
      // Looking up (whiteouts, hardlink targets): nothing can be below a
      // non-directory, so the path is simply not there.
      if (!create) {
        out.missing = true;
        out.path = here;
        return out;
      }
      throw Error("layer entry '" + std::string(entry) + "': " + here + " is not a directory");
    }
    if (is_ignored(here)) {
      out.ignored = true;
      out.path = here;
      return out;
    }
    fs::UniqueFd next(::openat(top(), c.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next.valid())
      throw SystemError("layer entry '" + std::string(entry) + "': open " + here, errno);
    cur = std::move(next);
  }
  out.path = join_abs(names);
  if (!cur.valid()) {
    out.fd = fs::UniqueFd(::openat(root_fd_.get(), ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!out.fd.valid()) throw SystemError("reopening root " + root_.string(), errno);
  } else {
    out.fd = std::move(cur);
  }
  return out;
}

}  // namespace kiln::layer
