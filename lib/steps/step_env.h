#pragma once
// What every step that changes files takes from the build, whatever its
// instruction: the image root and the paths its snapshot skips, the context,
// the build's scratch directory, the log. RUN's MountEnv (and RunContext) and
// COPY's CopyEnv extend it, and the engine's BuildEnv is one, so a step's
// environment starts as a copy of the build's instead of being filled field
// by field.
#include <filesystem>
#include <functional>
#include <string_view>

#include "base/env.h"
#include "fs/ignore_list.h"
#include "log/log.h"

namespace kiln::steps {

struct StepEnv {
  std::filesystem::path root = "/";  // the image root being built
  // Paths the snapshot skips (/kaniko, mounts, --ignore-path): nothing is
  // written into them. May be null.
  const fs::IgnoreList* ignore = nullptr;
  std::filesystem::path context_dir;  // the build context on disk
  // .dockerignore of the context (null: none); a COPY from it or a RUN bind
  // of it does not see what it excludes, as BuildKit's filtered context.
  std::function<bool(std::string_view rel)> context_excluded;
  // Per-build scratch under the kaniko dir: heredocs and downloads staged,
  // private copies for read-write binds, secrets staged.
  std::filesystem::path scratch;
  log::Logger* log = nullptr;
  // The executor's environment: --secret env=, and the GIT_* credentials of
  // ADD <git URL> (read as for a git context).
  GetEnv getenv;
};

}  // namespace kiln::steps
