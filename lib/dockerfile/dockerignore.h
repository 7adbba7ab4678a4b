#pragma once
// .dockerignore: which files of the build context are left out, with the
// semantics of Docker's reader (moby/patternmatcher/ignorefile) and matcher
// (moby/patternmatcher), so the same context goes into the build as with
// `docker build`.
//
// The file: one pattern a line; a line whose first character is '#' is a
// comment ("  # x" is a pattern); white space around a pattern is trimmed; a
// UTF-8 byte-order mark is skipped; each pattern is cleaned like Go's
// filepath.Clean and a leading '/' dropped; '!' makes an exception that
// re-includes what it matches.
//
// Patterns: filepath.Match syntax (* ? [class] [^class] \escape) where * and ?
// stop at '/', plus ** which matches any number of directories. The last
// pattern that matches wins, and a pattern matches a path when it matches the
// path itself or any of its parent directories: "dir" excludes everything in
// dir, and a later "!dir/keep" still brings dir/keep back.
//
// The Dockerfile and the .dockerignore file itself are always sent to the
// builder whatever the patterns say (docker CLI appends "!.dockerignore" and
// "!<Dockerfile>"): see always_included().
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kiln::dockerfile {

namespace detail {
struct IgnoreRegex;  // compiled form of a pattern that needs a regexp
}

class IgnoreMatcher {
 public:
  // Reads the text of a .dockerignore file. Throws kiln::UsageError naming the
  // pattern and its line when a pattern has bad syntax (an unterminated [...],
  // a trailing backslash, a bare "!").
  static IgnoreMatcher parse(std::string_view file_text);

  // Whether a path, slash-separated and relative to the context root, is left
  // out of the context. The root itself ("" or ".") never is.
  bool excluded(std::string_view rel_path) const;

  // For a directory that excluded() reports as excluded: whether some
  // exception ('!' pattern) could still match something below it, in which
  // case a context walker must descend into it rather than prune it. May
  // answer true when nothing below ends up included (it is conservative);
  // never answers false when something could.
  bool may_reinclude_below(std::string_view rel_dir) const;

  // The cleaned patterns in file order, exceptions with their leading '!'.
  std::vector<std::string> patterns() const;
  bool has_exceptions() const { return has_exceptions_; }

  struct Pattern {
    enum class Kind { kExact, kPrefix, kSuffix, kRegex };
    std::string text;  // cleaned, without the '!'
    bool exception = false;
    Kind kind = Kind::kExact;
    std::shared_ptr<const detail::IgnoreRegex> regex;  // for kRegex
  };

 private:
  std::vector<Pattern> patterns_;
  bool has_exceptions_ = false;
};

// Where the ignore file for a build is looked for, in order; the first that
// exists is used: "<Dockerfile path>.dockerignore" beside the Dockerfile (as
// BuildKit does), then "<context>/.dockerignore".
std::vector<std::string> ignore_file_candidates(std::string_view dockerfile_path, std::string_view context_dir);

// True for the files that are sent to the builder even when a pattern
// excludes them: ".dockerignore" and the Dockerfile (both relative to the
// context root).
bool always_included(std::string_view rel_path, std::string_view dockerfile_rel_path);

// Go's filepath.Clean for slash-separated paths: collapses "//", drops "."
// elements, resolves ".." lexically, strips a trailing '/'; "" becomes ".".
std::string clean_path(std::string_view path);

}  // namespace kiln::dockerfile
