#pragma once
// Runs a build's stages as their schedule (dockerfile/stage_schedule.h)
// allows: each stage on a thread of its own as soon as it may start. The
// first stage to fail stops the rest: `stop` is called once (it ends the
// commands the running stages run and makes them throw at their next
// check), no further stage starts, every running stage is waited for, and
// that first failure is rethrown, so the caller's cleanup runs after every
// stage has ended.
#include <cstddef>
#include <functional>

#include "dockerfile/stage_schedule.h"

namespace kiln::engine {

void run_schedule(dockerfile::StageSchedule& schedule, const std::function<void(int stage)>& build,
                  const std::function<void()>& stop);

// The same for n independent pieces of work (the platforms of a build):
// build(0) … build(n-1), at most `jobs` at once, each on a thread with a
// main thread's stack; the first failure calls `stop` once, starts nothing
// more, waits for the running ones and is rethrown.
void run_side_by_side(std::size_t n, std::size_t jobs, const std::function<void(std::size_t)>& build,
                      const std::function<void()>& stop);

}  // namespace kiln::engine
