#include "steps/copy_step.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <system_error>

#include "base/error.h"
#include "context/add_git_url.h"
#include "context/git_source.h"
#include "digest/sha256.h"
#include "dockerfile/dockerignore.h"
#include "fs/chmod_spec.h"
#include "fs/copy.h"
#include "fs/glob.h"
#include "fs/passwd.h"
#include "fs/resolve.h"
#include "http/client.h"
#include "layer/extractor.h"

namespace kiln::steps {
namespace fsys = std::filesystem;
using namespace kiln::dockerfile;

namespace {

bool is_url(std::string_view s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

bool has_wildcard(std::string_view s) { return s.find_first_of("*?[") != std::string_view::npos; }

// Tar, possibly gzip/bzip2/xz/zstd-compressed, by magic bytes, as Docker's ADD
// decides whether to unpack a local file.
bool looks_like_archive(const fsys::path& p) {
  std::ifstream in(p, std::ios::binary);
  char b[512] = {};
  in.read(b, sizeof b);
  auto n = in.gcount();
  auto u = [&](int i) { return static_cast<unsigned char>(b[i]); };
  if (n >= 2 && u(0) == 0x1f && u(1) == 0x8b) return true;                             // gzip
  if (n >= 3 && b[0] == 'B' && b[1] == 'Z' && b[2] == 'h') return true;                 // bzip2
  if (n >= 6 && u(0) == 0xfd && b[1] == '7' && b[2] == 'z' && b[3] == 'X' && b[4] == 'Z') return true;  // xz
  if (n >= 4 && u(0) == 0x28 && u(1) == 0xb5 && u(2) == 0x2f && u(3) == 0xfd) return true;              // zstd
  if (n >= 262 && std::string_view(b + 257, 5) == "ustar") return true;                 // tar
  return false;
}

std::string url_basename(std::string_view url) {
  auto q = url.find_first_of("?#");
  std::string_view path = url.substr(0, q);
  auto scheme = path.find("://");
  path = path.substr(scheme == std::string_view::npos ? 0 : scheme + 3);
  auto slash = path.find('/');
  if (slash == std::string_view::npos) return "";
  path = path.substr(slash);
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  auto last = path.rfind('/');
  return std::string(path.substr(last + 1));
}

// Fetches an ADD URL into dir/<name>, with the mtime from Last-Modified as
// Docker sets it, verifying --checksum when given.
fsys::path download(const std::string& url, const fsys::path& dir, const std::string& checksum, const CopyEnv& env) {
  std::string name = url_basename(url);
  if (name.empty()) name = "download";
  fsys::create_directories(dir);
  fsys::path out = dir / name;
  http::Client::Options ho;
  ho.tls.ca_file = env.ca_file;
  ho.cancelled = env.cancelled;
  http::Client client(ho, *env.log);
  std::FILE* f = std::fopen(out.c_str(), "wb");
  if (!f) throw IoError("ADD " + url + ": cannot write " + out.string());
  digest::Sha256 h;
  http::Request req;
  req.url = url;
  http::Response resp;
  try {
    resp = client.perform(req, [&](const char* p, std::size_t n) {
      h.update(p, n);
      if (std::fwrite(p, 1, n, f) != n) throw IoError("ADD " + url + ": writing " + out.string());
    });
  } catch (...) {
    std::fclose(f);
    throw;
  }
  std::fclose(f);
  if (resp.status < 200 || resp.status >= 300)
    throw IoError("ADD " + url + ": the server answered " + std::to_string(resp.status));
  std::string got = "sha256:" + h.hex_final();
  if (!checksum.empty() && checksum != got)
    throw UsageError("ADD " + url + ": checksum mismatch: expected " + checksum + ", got " + got);
  chmod(out.c_str(), 0600);
  if (auto lm = resp.header("last-modified")) {
    struct tm tm {};
    if (strptime(lm->c_str(), "%a, %d %b %Y %H:%M:%S", &tm)) {
      struct timespec ts[2];
      ts[0].tv_sec = ts[1].tv_sec = timegm(&tm);
      ts[0].tv_nsec = ts[1].tv_nsec = 0;
      utimensat(AT_FDCWD, out.c_str(), ts, 0);
    }
  }
  return out;
}

void unpack_archive(const fsys::path& archive, const std::string& dest_image_dir, const CopyEnv& env,
                    const fs::Owner* owner) {
  fs::mkdir_all(env.root, dest_image_dir, owner ? owner->uid : 0, owner ? owner->gid : 0);
  fsys::path host_dir = fs::resolve_in_root(env.root, dest_image_dir, true);
  std::string image_dir = fs::resolve_image_path(env.root, dest_image_dir, true);
  if (image_dir == "/") image_dir.clear();
  layer::ExtractOptions eo;
  // The extractor sees paths relative to the directory it unpacks into;
  // map them back to image paths for the ignore list.
  eo.ignored = [&env, image_dir](std::string_view p) { return env.ignore->ignored(image_dir + std::string(p)); };
  eo.chown = geteuid() == 0;
  eo.logger = env.log;
  std::FILE* f = std::fopen(archive.c_str(), "rb");
  if (!f) throw IoError("ADD: cannot open " + archive.string());
  try {
    layer::extract([f](char* b, std::size_t n) { return std::fread(b, 1, n, f); }, host_dir, eo);
  } catch (const std::exception& e) {
    std::fclose(f);
    throw Error("ADD: unpacking " + archive.filename().string() + ": " + e.what());
  }
  std::fclose(f);
}

// ADD <git URL>: the repository (or its subdir) checked out and its files
// added like a directory of the context; .git only with --keep-git-dir, and
// only when the whole repository is added. --checksum pins the commit.
void add_git(const std::string& src, const AddInst& add, const std::string& dest, const fs::CopyOptions& co,
             const CopyEnv& env, int line) {
  context::AddGitSource g = context::parse_add_git_source(src);
  const std::string shown = context::redact_url(src);
  fsys::path checkout = env.scratch / ("git-" + std::to_string(line));
  fsys::remove_all(checkout);
  context::ResolveOptions ro;
  ro.scratch = env.scratch;
  ro.log = env.log;
  ro.ca_file = env.ca_file;
  ro.cancelled = env.cancelled;
  ro.getenv = env.getenv;  // GIT_USERNAME/GIT_PASSWORD/GIT_TOKEN, as for a git context
  context::GitFlags flags;
  flags.single_branch = g.loc.commit.empty();  // a named ref: only its history comes down
  // and, as BuildKit fetches it, only its last commit (a pinned commit needs
  // the history to find it). A libgit2 that cannot fetch shallow (the host
  // build's) fetches the history: the files added are the same.
  if (g.loc.commit.empty() && context::shallow_fetch_supported()) flags.depth = 1;
  flags.recurse_submodules = true;  // as BuildKit's git source (http(s) submodules only)
  std::string commit = context::fetch_git_location(g.loc, flags, "ADD", ro, checkout);
  std::string want = add.checksum;
  for (char& c : want) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!want.empty() && want != commit)
    throw UsageError("ADD " + shown + ": --checksum=" + add.checksum + " does not match the commit checked out (" +
                     commit + ")");
  fsys::path from = checkout;
  if (!g.subdir.empty()) {
    from = fs::resolve_beneath(checkout, g.subdir, true);
    if (!fsys::is_directory(from))
      throw UsageError("ADD " + shown + ": no directory " + g.subdir + " in the repository at " + commit);
  }
  if (!add.keep_git_dir || !g.subdir.empty()) fsys::remove_all(checkout / ".git");
  fs::CopyOptions gco = co;
  gco.excluded = nullptr;
  fs::copy_into_root(from, {"/"}, dest, env.root, gco);
  fsys::remove_all(checkout);
}

}  // namespace

std::string destination_path(std::string_view dest, std::string_view working_dir) {
  if (!dest.empty() && dest[0] == '/') return std::string(dest);
  std::string wd = working_dir.empty() ? "/" : std::string(working_dir);
  if (wd.back() != '/') wd += '/';
  if (dest == ".") return wd;
  if (dest.rfind("./", 0) == 0) dest.remove_prefix(2);
  return wd + std::string(dest);
}

void run_copy(const Step& step, const CopyEnv& env) {
  const Instruction& in = step.instruction;
  const CopyInst* copy = in.as<CopyInst>();
  const AddInst* add = in.as<AddInst>();
  const auto& sources = copy ? copy->sources : add->sources;
  const auto& inline_sources = copy ? copy->inline_sources : add->inline_sources;
  const std::string& chown = copy ? copy->chown : add->chown;
  const std::string& chmod_text = copy ? copy->chmod : add->chmod;
  const auto& excludes = copy ? copy->excludes : add->excludes;
  std::string dest = destination_path(copy ? copy->dest : add->dest, step.working_dir);

  fs::CopyOptions co;
  co.ignore = *env.ignore;  // a COPY never writes into /kaniko or a mount
  std::optional<fs::Owner> owner;
  if (!chown.empty()) {
    owner = fs::load_chown(env.users_root.empty() ? env.root : env.users_root, chown);
    co.uid = owner->uid;
    co.gid = owner->gid;
  }
  if (!chmod_text.empty()) co.chmod = fs::ChmodSpec::parse(chmod_text);
  // COPY --from a stage or an image keeps each file's owner (BuildKit);
  // context files become 0:0.
  co.keep_owner = copy && !copy->from.empty();
  co.parents = copy && copy->parents;
  std::optional<IgnoreMatcher> exclude_matcher;
  if (!excludes.empty()) {
    std::string text;
    for (const auto& e : excludes) text += e + "\n";
    exclude_matcher = IgnoreMatcher::parse(text);
  }
  auto ctx_excluded = env.context_excluded;
  co.excluded = [ctx_excluded, &exclude_matcher](std::string_view rel) {
    if (ctx_excluded && ctx_excluded(rel)) return true;
    return exclude_matcher && exclude_matcher->excluded(rel);
  };

  // Heredoc sources: staged as files, then copied like context files.
  if (!inline_sources.empty()) {
    fsys::path staged = env.scratch / ("heredoc-" + std::to_string(step.line));
    fsys::remove_all(staged);
    fsys::create_directories(staged);
    std::vector<std::string> names;
    for (const auto& doc : inline_sources) {
      std::ofstream(staged / doc.name, std::ios::binary) << doc.content;
      ::chmod((staged / doc.name).c_str(), 0644);
      names.push_back(doc.name);
    }
    fs::CopyOptions hco = co;
    hco.excluded = nullptr;
    fs::copy_into_root(staged, names, dest, env.root, hco);
  }

  std::vector<std::string> plain;
  for (const auto& src : sources) {
    if (add && context::is_add_git_source(src)) {
      add_git(src, *add, dest, co, env, step.line);
      continue;
    }
    if (add && is_url(src)) {
      fsys::path dir = env.scratch / ("url-" + std::to_string(step.line));
      fsys::path file = download(src, dir, add->checksum, env);
      fs::CopyOptions uco = co;
      uco.excluded = nullptr;
      // A URL's file lands under its own name when dest is a directory.
      fs::copy_into_root(dir, {file.filename().string()}, dest, env.root, uco);
      continue;
    }
    if (add) {
      // A local archive is unpacked, also when a wildcard matched it (Docker).
      auto is_archive = [&](const std::string& rel) {
        fsys::path host = fs::resolve_beneath(env.src_root, rel, true);
        struct stat st;
        return stat(host.c_str(), &st) == 0 && S_ISREG(st.st_mode) && looks_like_archive(host);
      };
      std::vector<std::string> matches;
      if (has_wildcard(src)) {
        for (auto& rel : fs::glob_beneath(env.src_root, src))
          if (!(env.context_excluded && env.context_excluded(rel))) matches.push_back(std::move(rel));
      } else {
        matches.push_back(src);
      }
      bool any_archive = false;
      for (const auto& rel : matches) any_archive = any_archive || is_archive(rel);
      if (any_archive) {
        for (const auto& rel : matches) {
          if (is_archive(rel))
            unpack_archive(fs::resolve_beneath(env.src_root, rel, true), dest, env, owner ? &*owner : nullptr);
          else
            plain.push_back(rel);
        }
        continue;
      }
    }
    plain.push_back(src);
  }
  if (!plain.empty()) fs::copy_into_root(env.src_root, plain, dest, env.root, co);
}

void run_link_copy(const Step& step, const CopyEnv& env) {
  const Instruction& in = step.instruction;
  const CopyInst* copy = in.as<CopyInst>();
  std::string dest = destination_path(copy ? copy->dest : in.as<AddInst>()->dest, step.working_dir);
  while (dest.size() > 1 && dest.back() == '/') dest.pop_back();
  fsys::path dir = env.root;
  for (const auto& part : fsys::path(dest).parent_path().relative_path()) {
    dir /= part;
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
      throw SystemError("COPY --link: mkdir " + dir.string(), errno);
    ::chmod(dir.c_str(), 0755);  // whatever the umask
    if (geteuid() == 0 && ::lchown(dir.c_str(), 0, 0) != 0) throw SystemError("COPY --link: chown " + dir.string(), errno);
  }
  run_copy(step, env);
}

}  // namespace kiln::steps
