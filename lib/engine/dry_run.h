#pragma once
// --dryrun: the resolved plan without building anything. Base images are
// resolved to their manifest digests (manifest and config only, no layer is
// downloaded), each stage's instructions are printed after expansion, and
// with the layer cache each cacheable step's key is computed and looked up;
// a RUN with mounts says how they would be given (mount_method.h).
#include "dockerfile/plan.h"
#include "engine/stage_builder.h"

namespace kiln::engine {

// Uses env's client, work dir, log, platform, context, layer cache and
// mount-method decider; nothing is run, unpacked or written to the root.
void dry_run(const dockerfile::Plan& plan, const BuildEnv& env);

}  // namespace kiln::engine
