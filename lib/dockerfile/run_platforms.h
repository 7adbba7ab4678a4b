#pragma once
// The platforms whose programs a build's RUN steps execute, known from the
// plan alone, so the host can be asked whether it runs them
// (proc/foreign_exec.h) before anything is pulled or run.
#include <vector>

#include "dockerfile/plan.h"
#include "image/descriptor.h"

namespace kiln::dockerfile {

// A stage runs as its FROM --platform says, else as the stage it is built
// FROM, else as `target` (the --custom-platform being built). Only stages the
// plan builds and that have a RUN count; each platform once, in build order.
// Throws kiln::UsageError ("<file>:<line>: ...") for a FROM --platform that
// is not os/arch[/variant].
std::vector<image::Platform> run_platforms(const Plan& plan, const image::Platform& target);

}  // namespace kiln::dockerfile
