#pragma once
// git:// contexts: a repository fetched over HTTPS (or HTTP with
// GIT_PULL_METHOD=http), checked out into a directory.
#include <filesystem>
#include <string>

#include "context/build_context.h"
#include "context/git_url.h"

namespace kiln::context {

// location: what followed "git://", e.g. "host/path/repo.git#ref#commit".
void fetch_git(const std::string& location, const ResolveOptions& opts, const std::filesystem::path& dest);

// The fetch itself, for a location already parsed (also ADD <git URL>):
// checks out loc's commit, else the tip of its ref (or flags.branch), else
// the remote's default branch, into dest with its .git directory. label
// starts every message ("git context", "ADD"). Returns the commit id (hex).
std::string fetch_git_location(const GitLocation& loc, const GitFlags& flags, const std::string& label,
                               const ResolveOptions& opts, const std::filesystem::path& dest);

}  // namespace kiln::context
