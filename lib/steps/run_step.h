#pragma once
// RUN: the command executed in the image root with the stage's user,
// environment and working directory.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/env.h"
#include "proc/interrupt.h"
#include "steps/mount_method.h"

#include "dockerfile/evaluate.h"
#include "fs/ignore_list.h"
#include "image/config.h"
#include "log/log.h"

namespace kiln::steps {

// What a RUN needs from the build beyond the step and the config.
struct RunContext {
  std::filesystem::path root = "/";
  log::Logger* log = nullptr;
  std::filesystem::path context_dir;   // RUN --mount=type=bind without from=
  std::filesystem::path cache_dir;     // RUN --mount=type=cache lives below it (--cache-dir)
  std::filesystem::path scratch;       // per-build scratch space under the kaniko dir
  std::vector<std::string> secrets;    // --secret id=…,src=…|env=…
  GetEnv getenv;                  // for --secret env=
  // The filesystem of a stage or image named by --mount from=.
  std::function<std::filesystem::path(const std::string& from)> source_root;
  // Paths the snapshot skips: a --cache-dir outside them would be snapshotted,
  // so cache mounts then live in scratch for this build only. May be null.
  const fs::IgnoreList* ignore = nullptr;
  // .dockerignore of the context (null: none); a bind of the context hides
  // what it excludes, as BuildKit's filtered context does.
  std::function<bool(std::string_view rel)> context_excluded;
  // SIGTERM/SIGINT watcher (proc/interrupt.h); null: none.
  proc::Interrupt* interrupt = nullptr;
  // How RUN --mount is given (mount_method.h), decided once per build; null:
  // always in a mount namespace.
  MountMethodDecider* mount_method = nullptr;
  std::filesystem::path mount_journal;  // the build's journal (mount_journal.h)
};

// Throws kiln::Error naming the command and its exit code when it fails.
// RUN --mount: see run_mounts.h (planning), mount_method.h (namespace or
// file operations) and mount_setup.h (effects); either way everything a
// mount put in the root is gone before this returns, so before the snapshot.
void run_command(const dockerfile::Step& step, const image::Config& config, const RunContext& ctx);

}  // namespace kiln::steps
