#pragma once
// Which stages of a multi-platform build are the same on every platform, so
// that one build of them serves all (BuildKit solves such a stage once): a
// cross-compiling stage `FROM --platform=$BUILDPLATFORM` that does not read
// TARGETARCH and friends. Known from the plans alone (one per platform, all
// of one Dockerfile).
#include <set>
#include <vector>

#include "dockerfile/plan.h"

namespace kiln::dockerfile {

// A stage is shared when, in every plan, it is built, is no --target, runs
// as one platform (its FROM --platform, or that of the stage it is built
// FROM) with the same base image, every ARG it declares has one value, and
// every stage it depends on (FROM, COPY --from, RUN --mount from=) is shared
// too. Empty for fewer than two plans.
std::set<int> shared_stages(const std::vector<const Plan*>& plans);

}  // namespace kiln::dockerfile
