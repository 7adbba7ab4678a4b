#include "context/build_context.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "base/error.h"
#include "context/git_source.h"
#include "context/object_source.h"
#include "context/tar_unpack.h"

namespace kiln::context {
namespace fs = std::filesystem;

namespace {

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

}  // namespace

Spec parse_spec(std::string_view c) {
  if (starts_with(c, "dir://")) return {Kind::Dir, std::string(c.substr(6))};
  if (c == "tar://stdin") return {Kind::TarStdin, ""};
  if (starts_with(c, "tar://")) return {Kind::Tar, std::string(c.substr(6))};
  if (starts_with(c, "git://")) return {Kind::Git, std::string(c.substr(6))};
  if (starts_with(c, "s3://")) return {Kind::S3, std::string(c.substr(5))};
  if (starts_with(c, "gs://")) return {Kind::Gcs, std::string(c.substr(5))};
  if (starts_with(c, "https://") && c.find(".blob.core.windows.net/") != std::string_view::npos)
    return {Kind::Azure, std::string(c)};
  if (starts_with(c, "https://") || starts_with(c, "http://")) return {Kind::Https, std::string(c)};
  return {Kind::Dir, std::string(c)};
}

Resolved resolve(const Spec& spec, const ResolveOptions& opts) {
  log::Logger& log = *opts.log;
  const fs::path& scratch = opts.scratch;
  const std::string& sub_path = opts.sub_path;
  Resolved r;
  switch (spec.kind) {
    case Kind::Dir:
      r.dir = spec.location.empty() ? fs::path(".") : fs::path(spec.location);
      break;
    case Kind::Tar: {
      std::FILE* f = std::fopen(spec.location.c_str(), "rb");
      if (!f) throw Error("context tar://" + spec.location + ": " + std::strerror(errno));
      r.dir = scratch / "context";
      r.owned = true;
      try {
        unpack_tar([f](char* b, std::size_t n) { return std::fread(b, 1, n, f); }, r.dir, "tar://" + spec.location,
                   log);
      } catch (...) {
        std::fclose(f);
        throw;
      }
      std::fclose(f);
      break;
    }
    case Kind::TarStdin: {
      // An empty stdin must be an error, not a wait forever: kaniko users pipe
      // `tar cz . |` and a broken pipe upstream leaves nothing to read.
      if (isatty(STDIN_FILENO)) throw Error("context tar://stdin: stdin is a terminal, pipe a tar.gz into it");
      r.dir = scratch / "context";
      r.owned = true;
      std::size_t total = 0;
      try {
        unpack_tar(
            [&total](char* b, std::size_t n) {
              ssize_t got;
              do got = ::read(STDIN_FILENO, b, n);
              while (got < 0 && errno == EINTR);
              if (got < 0) throw Error(std::string("reading stdin: ") + std::strerror(errno));
              total += static_cast<std::size_t>(got);
              return static_cast<std::size_t>(got);
            },
            r.dir, "tar://stdin", log);
      } catch (const Error&) {
        // Nothing at all arrived: say that, not what the unpacker made of it.
        if (total != 0) throw;
      }
      if (total == 0) throw Error("context tar://stdin: stdin was empty; pipe a tar.gz of the context into the executor");
      break;
    }
    case Kind::Git:
      r.dir = scratch / "context";
      r.owned = true;
      fetch_git(spec.location, opts, r.dir);
      break;
    case Kind::S3:
    case Kind::Gcs:
    case Kind::Azure:
    case Kind::Https:
      r.dir = scratch / "context";
      r.owned = true;
      fetch_object_context(spec, opts, r.dir);
      break;
  }
  if (!sub_path.empty()) r.dir /= fs::path(std::string(sub_path)).relative_path();
  std::error_code ec;
  if (!fs::is_directory(r.dir, ec))
    throw Error("context directory " + r.dir.string() + " does not exist or is not a directory");
  r.dir = fs::absolute(r.dir);
  return r;
}

}  // namespace kiln::context
