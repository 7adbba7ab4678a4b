#include "dockerfile/stage_use.h"

namespace kiln::dockerfile {

StageUse stage_use(const Plan& plan) {
  StageUse u;
  u.layered.insert(plan.target);
  for (int t : plan.targets)
    if (t != plan.target) u.extra_targets.insert(t);
  for (int i : plan.build_order)
    for (const auto& d : plan.stages[static_cast<std::size_t>(i)].dependencies) {
      if (d.kind != StageDependency::Kind::Stage) continue;
      if (d.via == "FROM") u.layered.insert(d.stage);
      else u.kept.insert(d.stage);
    }
  return u;
}

}  // namespace kiln::dockerfile
