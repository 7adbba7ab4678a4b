#include "fs/resolve.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <deque>
#include <vector>

#include "base/error.h"
#include "fs/ignore_list.h"
#include "fs/path_components.h"

namespace kiln::fs {
namespace {

constexpr int kMaxLinks = 40;  // Linux's own limit (MAXSYMLINKS)

enum class Escape { Clamp, Refuse };

void split_into(std::string_view p, std::deque<std::string>& out, bool front) {
  std::vector<std::string> parts = path_components(p);
  if (front)
    out.insert(out.begin(), parts.begin(), parts.end());
  else
    out.insert(out.end(), parts.begin(), parts.end());
}

std::string join_rel(const std::vector<std::string>& parts) {
  std::string s;
  for (const auto& p : parts) {
    if (!s.empty()) s.push_back('/');
    s += p;
  }
  return s;
}

std::filesystem::path host_path(const std::filesystem::path& root, const std::vector<std::string>& parts) {
  std::filesystem::path p = root;
  for (const auto& c : parts) p /= c;
  return p;
}

// Returns the resolved components below root.
std::vector<std::string> resolve_parts(const std::filesystem::path& root, std::string_view path, bool follow_final,
                                       Escape esc) {
  auto escape = [&] {
    throw UsageError("forbidden path outside the build context: " + std::string(path));
  };
  std::deque<std::string> todo;
  split_into(path, todo, false);
  std::vector<std::string> done;
  bool missing = false;
  int links = 0;
  while (!todo.empty()) {
    std::string c = std::move(todo.front());
    todo.pop_front();
    if (c == ".") continue;
    if (c == "..") {
      if (done.empty()) {
        if (esc == Escape::Refuse) escape();
      } else {
        done.pop_back();
      }
      continue;
    }
    if (missing) {
      done.push_back(std::move(c));
      continue;
    }
    done.push_back(std::move(c));
    std::filesystem::path hp = host_path(root, done);
    struct stat st;
    if (lstat(hp.c_str(), &st) != 0) {
      if (errno == ENOENT) {
        missing = true;
        continue;
      }
      throw SystemError("resolve " + std::string(path) + ": lstat " + hp.string(), errno);
    }
    bool last = todo.empty();
    if (S_ISLNK(st.st_mode) && (!last || follow_final)) {
      if (++links > kMaxLinks)
        throw IoError("resolve " + std::string(path) + ": too many levels of symbolic links");
      std::string target(static_cast<std::size_t>(st.st_size > 0 ? st.st_size : 0) + 256, '\0');
      ssize_t n = readlink(hp.c_str(), target.data(), target.size());
      if (n < 0) throw SystemError("resolve " + std::string(path) + ": readlink " + hp.string(), errno);
      target.resize(static_cast<std::size_t>(n));
      done.pop_back();
      if (!target.empty() && target[0] == '/') {
        if (esc == Escape::Refuse) escape();
        done.clear();
      }
      split_into(target, todo, true);
      continue;
    }
    if (!last && !S_ISDIR(st.st_mode) && !S_ISLNK(st.st_mode))
      throw IoError("resolve " + std::string(path) + ": " + hp.string() + " is not a directory");
  }
  return done;
}

}  // namespace

std::filesystem::path resolve_in_root(const std::filesystem::path& root, std::string_view image_path, bool follow_final) {
  return host_path(root, resolve_parts(root, image_path, follow_final, Escape::Clamp));
}

std::string resolve_image_path(const std::filesystem::path& root, std::string_view image_path, bool follow_final) {
  std::string out("/");
  out += join_rel(resolve_parts(root, image_path, follow_final, Escape::Clamp));
  return out;
}

std::filesystem::path resolve_beneath(const std::filesystem::path& root, std::string_view rel_path, bool follow_final) {
  // A leading "/" in a source means the context's top, as Docker reads it.
  std::string_view p = rel_path;
  while (!p.empty() && p.front() == '/') p.remove_prefix(1);
  return host_path(root, resolve_parts(root, p, follow_final, Escape::Refuse));
}

void mkdir_all(const std::filesystem::path& root, std::string_view image_path, uid_t uid, gid_t gid, mode_t mode) {
  std::string clean = clean_abs(image_path);
  if (clean == "/") return;
  // Component by component, each prefix resolved afresh: an existing link on
  // the way (/var/run -> /run) is followed inside root, never out of it.
  for (std::size_t k = 1; k <= clean.size(); ++k) {
    if (k != clean.size() && clean[k] != '/') continue;
    std::string prefix = clean.substr(0, k);
    std::filesystem::path hp = resolve_in_root(root, prefix, true);
    struct stat st;
    if (lstat(hp.c_str(), &st) == 0) {
      if (!S_ISDIR(st.st_mode)) throw IoError("mkdir " + prefix + ": exists and is not a directory");
      continue;
    }
    if (errno != ENOENT) throw SystemError("mkdir " + prefix, errno);
    // A dangling link may point several missing levels deep: make the
    // target's parents first. The resolved path holds no links, so this
    // recursion ends.
    std::string resolved = resolve_image_path(root, prefix, true);
    if (resolved != prefix) {
      auto slash = resolved.rfind('/');
      mkdir_all(root, slash == 0 ? "/" : resolved.substr(0, slash), uid, gid, mode);
    }
    if (::mkdir(hp.c_str(), mode) != 0 && errno != EEXIST)
      throw SystemError("mkdir " + prefix, errno);
    if (lchown(hp.c_str(), uid, gid) != 0) throw SystemError("chown " + prefix, errno);
    if (chmod(hp.c_str(), mode) != 0) throw SystemError("chmod " + prefix, errno);
  }
}

}  // namespace kiln::fs
