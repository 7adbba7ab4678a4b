#pragma once
// RUN: the command executed in the image root with the stage's user,
// environment and working directory.
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "base/env.h"
#include "dockerfile/evaluate.h"
#include "fs/ignore_list.h"
#include "image/config.h"
#include "log/log.h"
#include "proc/interrupt.h"
#include "steps/mount_setup.h"
#include "steps/run_mounts.h"

namespace kiln::steps {

// What a RUN needs from the build beyond the step and the config: what its
// mounts need (the journal set once per build), and the SIGTERM/SIGINT
// watcher (proc/interrupt.h; null: none).
struct RunContext : MountEnv {
  proc::Interrupt* interrupt = nullptr;
  // How RUN --mount is given (mount_method.h), decided once per build; null:
  // always in a mount namespace.
  MountMethodDecider* mount_method = nullptr;
  // `root` is a stage's own root, not the container's: the command chroots
  // there (own_root.h). Needs a mount namespace.
  bool own_root = false;
};

// Throws kiln::Error naming the command and its exit code when it fails.
// RUN --mount: see run_mounts.h (planning), mount_method.h (namespace or
// file operations) and mount_setup.h (effects); either way everything a
// mount put in the root is gone before this returns, so before the snapshot.
void run_command(const dockerfile::Step& step, const image::Config& config, const RunContext& ctx);

}  // namespace kiln::steps
