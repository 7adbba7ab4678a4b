#pragma once
// git:// contexts: a repository fetched over HTTPS (or HTTP with
// GIT_PULL_METHOD=http), checked out into a directory.
#include <filesystem>
#include <string>

#include "context/build_context.h"
#include "context/git_url.h"

namespace kiln::context {

// Whether this build's libgit2 can fetch shallow (git_fetch_options.depth,
// libgit2 1.7 and later: the static build's 1.9 can, the host build's
// Debian bookworm 1.5 cannot).
bool shallow_fetch_supported();

// Throws UsageError naming --git depth when flags ask for a shallow fetch
// that this build's libgit2 cannot do: checked before the build starts.
void require_git_support(const GitFlags& flags);

// location: what followed "git://", e.g. "host/path/repo.git#ref#commit".
void fetch_git(const std::string& location, const ResolveOptions& opts, const std::filesystem::path& dest);

// The fetch itself, for a location already parsed (also ADD <git URL>):
// checks out loc's commit, else the tip of its ref (or flags.branch), else
// the remote's default branch, into dest with its .git directory. label
// starts every message ("git context", "ADD"). flags.depth > 0 fetches that
// many commits of each ref (dest/.git/shallow lists the cut); submodules are
// fetched whole. Returns the commit id (hex).
std::string fetch_git_location(const GitLocation& loc, const GitFlags& flags, const std::string& label,
                               const ResolveOptions& opts, const std::filesystem::path& dest);

}  // namespace kiln::context
