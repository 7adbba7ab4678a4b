#include "dockerfile/stage_schedule.h"

#include <algorithm>
#include <iterator>

namespace kiln::dockerfile {

std::map<int, std::set<int>> stage_prerequisites(const Plan& plan) {
  std::map<int, std::set<int>> out;
  for (int i : plan.build_order) {
    auto& deps = out[i];
    for (const auto& d : plan.stages[static_cast<std::size_t>(i)].dependencies)
      if (d.kind == StageDependency::Kind::Stage) deps.insert(d.stage);
  }
  return out;
}

bool stage_has_run(const Stage& stage) {
  return std::any_of(stage.instructions.begin(), stage.instructions.end(),
                     [](const Instruction& in) { return in.as<RunInst>() != nullptr; });
}

namespace {

// Every stage each stage waits for, directly or through others.
std::map<int, std::set<int>> ancestors(const Plan& plan) {
  auto pre = stage_prerequisites(plan);
  std::map<int, std::set<int>> out;
  // build_order lists dependencies first.
  for (int i : plan.build_order)
    for (int d : pre[i]) {
      out[i].insert(d);
      out[i].insert(out[d].begin(), out[d].end());
    }
  return out;
}

// Whether some other stage may run at the same time as `i`: neither waits
// for the other. A stage of a plain chain never may, and stays in the root.
bool has_independent(const Plan& plan, int i, std::map<int, std::set<int>>& anc) {
  return std::any_of(plan.build_order.begin(), plan.build_order.end(),
                     [&](int j) { return j != i && !anc[i].count(j) && !anc[j].count(i); });
}

}  // namespace

std::map<int, StageLane> stage_lanes(const Plan& plan, int jobs, bool side_roots_can_run) {
  std::map<int, StageLane> lanes;
  auto anc = ancestors(plan);
  for (int i : plan.build_order) {
    bool side = jobs > 1 && i != plan.target && has_independent(plan, i, anc) &&
                (side_roots_can_run || !stage_has_run(plan.stages[static_cast<std::size_t>(i)]));
    lanes[i] = side ? StageLane::Side : StageLane::Root;
  }
  return lanes;
}

StageSchedule::StageSchedule(const Plan& plan, const std::map<int, StageLane>& lanes, int jobs)
    : order_(plan.build_order), prereq_(stage_prerequisites(plan)), lanes_(lanes), jobs_(std::max(jobs, 1)) {
  // A dependency outside the build order (not built) cannot be waited for;
  // the stage builder reports it when the stage asks for it.
  for (auto& [stage, deps] : prereq_)
    for (auto it = deps.begin(); it != deps.end();)
      it = std::find(order_.begin(), order_.end(), *it) == order_.end() ? deps.erase(it) : std::next(it);
}

bool StageSchedule::may_start(int stage) const {
  if (running_.count(stage) || done_.count(stage)) return false;
  for (int d : prereq_.at(stage))
    if (!done_.count(d)) return false;
  auto lane = [this](int s) { auto it = lanes_.find(s); return it == lanes_.end() ? StageLane::Root : it->second; };
  if (lane(stage) == StageLane::Side) return true;
  // The root lane: one at a time, in build order.
  for (int r : running_)
    if (lane(r) == StageLane::Root) return false;
  for (int s : order_) {
    if (s == stage) break;
    if (lane(s) == StageLane::Root && !done_.count(s)) return false;
  }
  return true;
}

std::vector<int> StageSchedule::take_ready() {
  std::vector<int> ready;
  for (int s : order_) {
    if (running() >= jobs_) break;
    if (!may_start(s)) continue;
    running_.insert(s);
    ready.push_back(s);
  }
  return ready;
}

void StageSchedule::finish(int stage) {
  running_.erase(stage);
  done_.insert(stage);
}

}  // namespace kiln::dockerfile
