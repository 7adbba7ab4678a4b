#pragma once
// Pure parsing of `ADD <git URL>` sources, in Docker's git URL syntax (not
// kaniko's git:// context syntax, git_url.h):
//
//   http[s]://[user[:password]@]host[:port]/path/repo.git[#[ref][:subdir]]
//
// ref is a branch, a tag, a full ref (refs/...) or a full 40-digit commit id;
// subdir is the directory of the repository whose contents are added. The git
// protocol (git://) and SSH (git@host:path) are recognised and refused.
#include <string>
#include <string_view>

#include "context/git_url.h"

namespace kiln::context {

struct AddGitSource {
  GitLocation loc;     // url without userinfo; ref or commit from the fragment
  std::string subdir;  // "" = the repository's root; relative, without "." / ".." parts
};

// Whether an ADD source names a git repository rather than a file to
// download: git://, git@…, or an http(s) URL whose path ends in ".git".
bool is_add_git_source(std::string_view src);

// Throws kiln::UsageError naming the source (without its userinfo) for a
// transport other than http(s), an empty host or path, or a subdir that
// leaves the repository.
AddGitSource parse_add_git_source(std::string_view src);

}  // namespace kiln::context
