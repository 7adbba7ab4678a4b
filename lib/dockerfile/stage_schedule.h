#pragma once
// Which stages of a plan may be built at the same time, and in what order:
// pure, decided from the plan's dependency graph (FROM another stage, COPY
// --from, RUN --mount from=) alone, unit-tested without a build.
//
// Every stage runs in one of two lanes. The root lane is the build's own
// root (`/`): its stages run one at a time in build order, each wiping what
// the one before left, as kiln always built; the target is always in it. A
// side stage gets a root of its own under the work directory and runs as
// soon as the stages it needs are built. Together no more than `jobs` stages
// run at once.
#include <map>
#include <set>
#include <vector>

#include "dockerfile/plan.h"

namespace kiln::dockerfile {

enum class StageLane { Root, Side };

// The built stages each stage of plan.build_order waits for.
std::map<int, std::set<int>> stage_prerequisites(const Plan& plan);

// Whether any instruction of the stage is a RUN (its own; ONBUILD triggers
// of a base image are known only once it is pulled).
bool stage_has_run(const Stage& stage);

// The lane of each stage in plan.build_order. jobs <= 1: every stage in the
// root lane (one after another, as kaniko). A stage goes to the side only
// when some other stage neither waits for it nor is waited for by it (so a
// plain chain of stages is built in the root exactly as before).
// side_roots_can_run: a RUN can get a root of its own (a mount namespace for
// its /proc and /dev); without it only stages without RUN go to the side.
std::map<int, StageLane> stage_lanes(const Plan& plan, int jobs, bool side_roots_can_run);

class StageSchedule {
 public:
  // jobs < 1 counts as 1.
  StageSchedule(const Plan& plan, const std::map<int, StageLane>& lanes, int jobs);

  // The stages that may start now, in build order, marked running: their
  // prerequisites are done, a slot is free, and for the root lane, every
  // earlier root-lane stage is done and none is running.
  std::vector<int> take_ready();
  // A running stage is built: the stages waiting for it may start.
  void finish(int stage);
  bool all_done() const { return done_.size() == order_.size(); }
  int running() const { return static_cast<int>(running_.size()); }

 private:
  bool may_start(int stage) const;

  std::vector<int> order_;
  std::map<int, std::set<int>> prereq_;
  std::map<int, StageLane> lanes_;
  int jobs_;
  std::set<int> running_, done_;
};

}  // namespace kiln::dockerfile
