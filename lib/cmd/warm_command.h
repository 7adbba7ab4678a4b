#pragma once
// The warmer's one job: every image named by --image and every FROM of
// --dockerfile, fetched once per platform into --cache-dir, where
// `executor --cache=true --cache-dir=…` finds them.
#include "base/env.h"
#include "cli/warmer_options.h"
#include "log/log.h"

namespace kiln::cmd {

// Returns the process exit code: 0 when every image was cached, 1 when any
// could not be (each reported by name, the others still warmed).
int run_warm(const cli::WarmerOptions& opts, const GetEnv& getenv, log::Logger& log);

}  // namespace kiln::cmd
