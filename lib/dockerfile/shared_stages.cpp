#include "dockerfile/shared_stages.h"

#include <algorithm>
#include <optional>
#include <string>

namespace kiln::dockerfile {
namespace {

// The platform a stage runs as when it is fixed by the Dockerfile rather
// than by the platform being built: its FROM --platform, else that of the
// stage it is built FROM. nullopt: the target platform.
std::optional<std::string> fixed_platform(const Plan& plan, int index) {
  for (;;) {
    const Stage& s = plan.stages[static_cast<std::size_t>(index)];
    if (!s.platform.empty()) return s.platform;
    if (!s.base_stage) return std::nullopt;
    index = *s.base_stage;
  }
}

std::vector<std::string> declared_args(const Stage& s) {
  std::vector<std::string> out;
  for (const auto& in : s.instructions)
    if (const auto* arg = in.as<ArgInst>())
      for (const auto& d : arg->args) out.push_back(d.key);
  return out;
}

bool built(const Plan& plan, int index) {
  return std::find(plan.build_order.begin(), plan.build_order.end(), index) != plan.build_order.end();
}

bool is_target(const Plan& plan, int index) {
  return std::find(plan.targets.begin(), plan.targets.end(), index) != plan.targets.end() || index == plan.target;
}

// The same stage, alike in `plan` and in `first`.
bool alike(const Plan& first, const Plan& plan, int index) {
  const Stage& a = first.stages[static_cast<std::size_t>(index)];
  const Stage& b = plan.stages[static_cast<std::size_t>(index)];
  if (!built(plan, index) || is_target(plan, index)) return false;
  auto pa = fixed_platform(first, index), pb = fixed_platform(plan, index);
  if (!pa || !pb || *pa != *pb) return false;
  if (a.base_image != b.base_image || !(a.dependencies == b.dependencies)) return false;
  for (const auto& key : declared_args(a))
    if (first.args.global_value(key) != plan.args.global_value(key) ||
        first.args.given_value(key) != plan.args.given_value(key))
      return false;
  return true;
}

}  // namespace

std::set<int> shared_stages(const std::vector<const Plan*>& plans) {
  std::set<int> out;
  if (plans.size() < 2) return out;
  const Plan& first = *plans.front();
  for (int i : first.build_order) {  // dependencies come first
    if (is_target(first, i)) continue;
    bool same = std::all_of(plans.begin(), plans.end(), [&](const Plan* p) {
      return p->stages.size() == first.stages.size() && alike(first, *p, i);
    });
    const Stage& s = first.stages[static_cast<std::size_t>(i)];
    bool deps_shared = std::all_of(s.dependencies.begin(), s.dependencies.end(), [&](const StageDependency& d) {
      return d.kind != StageDependency::Kind::Stage || out.count(d.stage) > 0;
    });
    if (same && deps_shared) out.insert(i);
  }
  return out;
}

}  // namespace kiln::dockerfile
