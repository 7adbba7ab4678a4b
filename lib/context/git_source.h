#pragma once
// git:// contexts: a repository fetched over HTTPS (or HTTP with
// GIT_PULL_METHOD=http), checked out into a directory.
#include <filesystem>
#include <string>

#include "context/build_context.h"

namespace kiln::context {

// location: what followed "git://", e.g. "host/path/repo.git#ref#commit".
void fetch_git(const std::string& location, const ResolveOptions& opts, const std::filesystem::path& dest);

}  // namespace kiln::context
