#pragma once
// A build's stages, from its plan: every external image fetched at once at
// the start (base_prefetch.h), then the stages built as their schedule
// allows (dockerfile/stage_schedule.h, parallel_stages.h): the target and
// the stages that must share the container's root one after another in it,
// the others each in a root of its own under the work dir, beside them, at
// most `jobs` at once. With jobs 1 this is kaniko's order: every stage in
// the root, one after another.
#include "dockerfile/plan.h"
#include "engine/build_report.h"
#include "engine/shared_stages.h"
#include "engine/stage_builder.h"
#include "registry/image_state.h"

namespace kiln::engine {

struct StagesOptions {
  int jobs = 1;                    // --jobs, resolved (>= 1)
  bool target_keeps_layers = false;  // --tar-path / --oci-layout-path need the target's base layers
  bool materialize = false;        // --materialize
  // Stages built once for every platform (engine/shared_stages.h): this
  // plan's build publishes them when `owns_shared`, else takes them from
  // there. Null: none.
  SharedStages* shared = nullptr;
  bool owns_shared = false;
};

// --jobs when not given: the cores, but at least 4. A stage's RUN mostly
// waits (downloads, sleeps, a single-threaded compiler), so more stages than
// cores still overlap their waits; BuildKit starts every ready stage at
// once. On 2 cores, three independent 3 s stages took 8.9 s with 2 jobs and
// 5.6-6.0 s with 3 (bench scenario f).
int default_jobs(unsigned cores);

// Whether a RUN can have a root of its own (a chroot with its own /proc and
// /dev needs a mount namespace); decides RUN --mount's method on first use.
bool own_roots_can_run(const BuildEnv& be);

// Returns the target's image; every stage's report is added in build order.
registry::ImageState build_all_stages(const dockerfile::Plan& plan, const BuildEnv& be, BuildReport& report,
                                      const StagesOptions& opts);

}  // namespace kiln::engine
