#pragma once
// The platforms of a build (--custom-platform=a,b), each built from its own
// plan. One after another in the root, kaniko's way; or side by side when
// they may: the first platform in the root, every other one in a root of
// its own under its work dir (a RUN there chrooted with its own /proc, so
// only with a mount namespace, or when those platforms have no RUN), at most
// `jobs` platforms at once, their stages sharing the same `jobs`. A platform
// that fails stops the others.
#include <cstddef>
#include <vector>

#include "dockerfile/plan.h"
#include "engine/build_report.h"
#include "engine/build_stages.h"
#include "engine/index_outputs.h"

namespace kiln::engine {

struct PlatformWork {
  image::Platform platform;
  const dockerfile::Plan* plan = nullptr;
  BuildEnv env;  // its work dir, layer cache, log and early-upload hooks
};

// Pure: how many platforms are built at once (1: one after another) for
// `platforms` platforms, `jobs` threads, and whether a root of their own
// can run what they need.
std::size_t platforms_at_once(std::size_t platforms, int jobs, bool own_roots_work);

// Each platform's image, in the order given; each stage's report added to
// `report` in that order, naming its platform.
std::vector<PlatformBuild> build_platforms(std::vector<PlatformWork>& work, BuildReport& report,
                                           const StagesOptions& opts);

}  // namespace kiln::engine
