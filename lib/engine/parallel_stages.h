#pragma once
// Runs a build's stages as their schedule (dockerfile/stage_schedule.h)
// allows: each stage on a thread of its own as soon as it may start. The
// first stage to fail stops the rest: `stop` is called once (it ends the
// commands the running stages run and makes them throw at their next
// check), no further stage starts, every running stage is waited for, and
// that first failure is rethrown, so the caller's cleanup runs after every
// stage has ended.
#include <functional>

#include "dockerfile/stage_schedule.h"

namespace kiln::engine {

void run_schedule(dockerfile::StageSchedule& schedule, const std::function<void(int stage)>& build,
                  const std::function<void()>& stop);

}  // namespace kiln::engine
