#pragma once
// One build from options to outputs: the executor's whole job, with the
// cleanup guarantees kaniko users rely on between builds in one container.
#include "cli/executor_options.h"
#include "log/log.h"
#include "proc/interrupt.h"

namespace kiln::cmd {

struct Environment {
  cli::GetEnv getenv;
  std::string root = "/";  // the image root; "/" inside a container
  // SIGTERM/SIGINT watcher (proc/interrupt.h); null: signals act the default way.
  proc::Interrupt* interrupt = nullptr;
};

// Returns normally on success; throws kiln::Error (or a subclass) naming what
// failed. With --cleanup the root is wiped whether the build succeeded or not.
void run_build(const cli::ExecutorOptions& opts, const Environment& env, log::Logger& log);

}  // namespace kiln::cmd
