#include "dockerfile/run_platforms.h"

#include <algorithm>
#include <map>

#include "base/error.h"
#include "dockerfile/stage_schedule.h"
#include "image/platform.h"

namespace kiln::dockerfile {

std::vector<image::Platform> run_platforms(const Plan& plan, const image::Platform& target) {
  std::map<int, image::Platform> runs_as;  // dependencies come first in build_order
  std::vector<image::Platform> out;
  for (int i : plan.build_order) {
    const Stage& s = plan.stages[static_cast<std::size_t>(i)];
    image::Platform p = target;
    if (!s.platform.empty()) {
      auto given = image::parse_platform(s.platform);
      if (!given)
        throw UsageError(plan.filename + ":" + std::to_string(s.line) + ": invalid --platform " + s.platform);
      p = *given;
    } else if (s.base_stage && runs_as.count(*s.base_stage)) {
      p = runs_as.at(*s.base_stage);
    }
    runs_as[i] = p;
    if (stage_has_run(s)) image::add_unique_platform(out, p);
  }
  return out;
}

}  // namespace kiln::dockerfile
