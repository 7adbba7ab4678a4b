#pragma once
// What the build does with each stage's result, decided from the plan alone
// before anything runs: whose filesystem is kept for a later stage, and whose
// layers are needed. Pure, unit-tested without a build.
#include <set>

#include "dockerfile/plan.h"

namespace kiln::dockerfile {

struct StageUse {
  // A later stage copies files from it (COPY --from, RUN --mount from=): its
  // tree is saved after it is built.
  std::set<int> kept;
  // Its layers are used: the target, and every stage another is built FROM.
  // A stage only copied from needs no snapshots and no layers (unless the
  // layer cache stores every step, which the caller decides).
  std::set<int> layered;
  // Named by a --target after the first: built like any stage (its RUNs
  // run; with the layer cache its layers are stored there), but no image of
  // it is written out, so it needs no layers of its own unless another
  // stage is built FROM it.
  std::set<int> extra_targets;
};

// Looks only at the stages in plan.build_order (the ones that will be built).
StageUse stage_use(const Plan& plan);

}  // namespace kiln::dockerfile
