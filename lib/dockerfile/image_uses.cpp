#include "dockerfile/image_uses.h"

#include <algorithm>

namespace kiln::dockerfile {

std::vector<ImageUse> image_uses(const Plan& plan) {
  std::vector<ImageUse> out;
  for (int i : plan.build_order) {
    const Stage& st = plan.stages[static_cast<std::size_t>(i)];
    for (const auto& d : st.dependencies) {
      if (d.kind != StageDependency::Kind::Image || d.image == "scratch") continue;
      // FROM --platform picks the base's platform; an image named by --from=
      // is read for the build's platform (engine/stage_builder.cpp).
      std::string platform = d.via == "FROM" ? st.platform : "";
      auto it = std::find_if(out.begin(), out.end(),
                             [&](const ImageUse& u) { return u.reference == d.image && u.platform == platform; });
      if (it == out.end()) it = out.insert(out.end(), ImageUse{d.image, platform, {}});
      if (it->stages.empty() || it->stages.back() != i) it->stages.push_back(i);
    }
  }
  return out;
}

}  // namespace kiln::dockerfile
