#include "cache/copy_sources_digest.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <vector>

#include "base/error.h"
#include "digest/sha256.h"
#include "fs/content_hash.h"
#include "fs/glob.h"
#include "fs/resolve.h"
#include "fs/unique_fd.h"

namespace kiln::cache {
namespace fsys = std::filesystem;
using namespace kiln::dockerfile;

namespace {

bool is_url(std::string_view s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

class Hasher {
 public:
  Hasher(const fsys::path& root, const std::function<bool(std::string_view)>& excluded)
      : root_(root), excluded_(excluded) {
    root_fd_ = ::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (root_fd_ < 0) throw IoError("opening " + root.string() + " to hash COPY sources");
  }
  ~Hasher() { ::close(root_fd_); }

  void line(const std::string& s) {
    h_.update(s);
    h_.update("\n", 1);
  }

  // rel: root-relative path of a match; walked without following symlinks
  // below it (the copy itself copies links as links).
  void walk(const std::string& rel) {
    struct stat st;
    if (fstatat(root_fd_, rel.empty() ? "." : rel.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      line("missing " + rel);
      return;
    }
    bool skip = !rel.empty() && excluded_ && excluded_(rel);
    if (!skip) record(rel, st);
    if (S_ISDIR(st.st_mode)) {
      std::vector<std::string> names;
      std::error_code ec;
      for (const auto& e : fsys::directory_iterator(root_ / rel, ec)) names.push_back(e.path().filename().string());
      if (ec) throw IoError("listing " + (root_ / rel).string() + ": " + ec.message());
      std::sort(names.begin(), names.end());
      for (const auto& n : names) walk(rel.empty() ? n : rel + "/" + n);
    }
  }

  std::string finish() { return h_.hex_final(); }

 private:
  void record(const std::string& rel, const struct stat& st) {
    std::string s = rel + "\t" + std::to_string(st.st_mode) + "\t";
    if (S_ISREG(st.st_mode)) {
      s += std::to_string(st.st_size) + "\t" + fs::hash_file_below(root_fd_, rel);
    } else if (S_ISLNK(st.st_mode)) {
      std::string target(static_cast<std::size_t>(st.st_size) + 1, '\0');
      ssize_t n = readlinkat(root_fd_, rel.c_str(), target.data(), target.size());
      if (n < 0) throw IoError("reading link " + (root_ / rel).string());
      target.resize(static_cast<std::size_t>(n));
      s += "-> " + target;
    }
    line(s);
  }

  fsys::path root_;
  const std::function<bool(std::string_view)>& excluded_;
  int root_fd_ = -1;
  digest::Sha256 h_;
};

}  // namespace

std::string copy_sources_digest(const Step& step, const fsys::path& src_root,
                                const std::function<bool(std::string_view rel)>& excluded) {
  const Instruction& in = step.instruction;
  const auto* copy = in.as<CopyInst>();
  const auto* add = in.as<AddInst>();
  if (!copy && !add) return "";
  const auto& sources = copy ? copy->sources : add->sources;
  Hasher h(src_root, excluded);
  for (const auto& src : sources) {
    h.line("source " + src);
    if (add && is_url(src)) continue;  // its --checksum is in the key instead
    std::string pattern = fs::clean_source_path(src);
    std::vector<std::string> matches;
    if (fs::has_wildcards(pattern)) {
      matches = fs::glob_beneath(src_root, pattern);
    } else {
      matches.push_back(pattern);
    }
    for (const auto& m : matches) {
      // A source that is itself a symlink is copied as what it points to.
      std::string rel = m;
      try {
        fsys::path host = fs::resolve_beneath(src_root, m, true);
        rel = fsys::relative(host, src_root).generic_string();
        if (rel == ".") rel.clear();
      } catch (const std::exception&) {
        h.line("unresolvable " + m);
        continue;
      }
      h.line("match " + m);
      h.walk(rel);
    }
  }
  return h.finish();
}

}  // namespace kiln::cache
