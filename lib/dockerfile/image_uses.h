#pragma once
// The external images a build reads, found in the plan before anything runs,
// so all of them can be fetched at once at the start (engine/base_prefetch.h).
// Pure, unit-tested without a registry.
#include <string>
#include <vector>

#include "dockerfile/plan.h"

namespace kiln::dockerfile {

struct ImageUse {
  std::string reference;  // as the plan has it (FROM expanded, --from= as written)
  std::string platform;   // FROM --platform text; empty: the build's platform
  std::vector<int> stages;  // the stages of plan.build_order that read it, in build order
  friend bool operator==(const ImageUse&, const ImageUse&) = default;
};

// One entry per (reference, platform), in the order of first use; `scratch`
// is no image. Only the stages in plan.build_order count.
std::vector<ImageUse> image_uses(const Plan& plan);

}  // namespace kiln::dockerfile
