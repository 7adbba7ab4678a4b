#pragma once
// The part of a COPY/ADD cache key that comes from files: every source file
// the step would read, by path, type, permission bits, size, symlink target
// and content. Owners and mtimes are left out, as Docker leaves them out: a
// fresh checkout of the same files (new mtimes, another uid) still hits.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "dockerfile/evaluate.h"

namespace kiln::cache {

// src_root: the context, a stage's saved root or an unpacked image.
// excluded: .dockerignore of the context (null otherwise). A source that does
// not exist is recorded as missing (the step itself will then fail and say so).
std::string copy_sources_digest(const dockerfile::Step& step, const std::filesystem::path& src_root,
                                const std::function<bool(std::string_view rel)>& excluded);

}  // namespace kiln::cache
