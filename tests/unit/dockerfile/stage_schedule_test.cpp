#include "dockerfile/stage_schedule.h"

#include <gtest/gtest.h>

#include "dockerfile/parser.h"
#include "dockerfile/plan_of.h"

using namespace kiln::dockerfile;

namespace {

// Bench scenario f: three independent builders, a final stage copying from all.
const char* kFanIn =
    "FROM busybox AS one\nRUN make one\n"
    "FROM busybox AS two\nRUN make two\n"
    "FROM busybox AS three\nCOPY x /x\n"
    "FROM busybox\nCOPY --from=one /o /o\nCOPY --from=two /t /t\nCOPY --from=three /x /x\n";

}  // namespace

TEST(StagePrerequisites, FromCopyFromAndMountFromAreEdges) {
  auto p = plan(
      "FROM debian AS tools\nRUN apt-get install -y make\n"
      "FROM tools AS compile\nRUN make all\n"
      "FROM scratch AS static\nCOPY web /web\n"
      "FROM debian\nRUN --mount=type=bind,from=static,target=/s cp -r /s /srv\n"
      "COPY --from=compile /bin/app /app\n");
  auto pre = stage_prerequisites(p);
  EXPECT_TRUE(pre.at(0).empty());
  EXPECT_EQ(pre.at(1), (std::set<int>{0}));
  EXPECT_TRUE(pre.at(2).empty());
  EXPECT_EQ(pre.at(3), (std::set<int>{1, 2}));
}

TEST(StageLanes, OneJobKeepsEveryStageInTheRoot) {
  auto lanes = stage_lanes(plan(kFanIn), 1, true);
  for (auto [stage, lane] : lanes) EXPECT_EQ(lane, StageLane::Root) << stage;
}

TEST(StageLanes, TheTargetStaysInTheRootAndRunStagesNeedANamespace) {
  auto p = plan(kFanIn);
  auto with_ns = stage_lanes(p, 4, true);
  EXPECT_EQ(with_ns.at(0), StageLane::Side);
  EXPECT_EQ(with_ns.at(1), StageLane::Side);
  EXPECT_EQ(with_ns.at(2), StageLane::Side);
  EXPECT_EQ(with_ns.at(3), StageLane::Root);
  // No mount namespace: a RUN has no /proc in a second root, so stages with
  // RUN stay in line in the root; the COPY-only stage still goes aside.
  auto no_ns = stage_lanes(p, 4, false);
  EXPECT_EQ(no_ns.at(0), StageLane::Root);
  EXPECT_EQ(no_ns.at(1), StageLane::Root);
  EXPECT_EQ(no_ns.at(2), StageLane::Side);
  EXPECT_EQ(no_ns.at(3), StageLane::Root);
}

TEST(StageSchedule, IndependentStagesStartTogetherAndTheFinalWaitsForAll) {
  auto p = plan(kFanIn);
  StageSchedule s(p, stage_lanes(p, 4, true), 4);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{0, 1, 2}));
  EXPECT_TRUE(s.take_ready().empty());
  s.finish(1);
  s.finish(0);
  EXPECT_TRUE(s.take_ready().empty());  // stage 3 still waits for stage 2
  s.finish(2);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{3}));
  EXPECT_FALSE(s.all_done());
  s.finish(3);
  EXPECT_TRUE(s.all_done());
}

TEST(StageSchedule, TheJobsLimitBoundsWhatRunsAtOnce) {
  auto p = plan(kFanIn);
  StageSchedule s(p, stage_lanes(p, 2, true), 2);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{0, 1}));
  EXPECT_EQ(s.running(), 2);
  EXPECT_TRUE(s.take_ready().empty());
  s.finish(0);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{2}));
}

TEST(StageSchedule, OneJobIsBuildOrderOneAtATime) {
  auto p = plan(kFanIn);
  StageSchedule s(p, stage_lanes(p, 1, true), 1);
  for (int want : {0, 1, 2, 3}) {
    EXPECT_EQ(s.take_ready(), (std::vector<int>{want}));
    EXPECT_TRUE(s.take_ready().empty());
    s.finish(want);
  }
  EXPECT_TRUE(s.all_done());
}

TEST(StageSchedule, RootLaneStagesRunOneAtATimeInOrderBesideSideStages) {
  auto p = plan(kFanIn);
  // Without a namespace stages 0 and 1 (RUN) share the root with the target.
  StageSchedule s(p, stage_lanes(p, 4, false), 4);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{0, 2}));
  s.finish(0);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{1}));
  s.finish(1);
  EXPECT_TRUE(s.take_ready().empty());  // the target waits for stage 2
  s.finish(2);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{3}));
}

TEST(StageLanes, AChainStaysInTheRootAndAnUnusedStageGoesAside) {
  auto chain = plan("FROM alpine AS a\nRUN x\nFROM a AS b\nCOPY --from=a /x /y\nFROM b\nRUN z\n");
  for (auto [stage, lane] : stage_lanes(chain, 4, true)) EXPECT_EQ(lane, StageLane::Root) << stage;
  // kaniko builds every stage up to the target; one nothing reads can run
  // beside the others.
  auto unused = plan("FROM alpine AS docs\nRUN x\nFROM alpine AS a\nRUN y\nFROM a\nRUN z\n");
  auto lanes = stage_lanes(unused, 4, true);
  EXPECT_EQ(lanes.at(0), StageLane::Side);
  EXPECT_EQ(lanes.at(1), StageLane::Side);  // independent of docs
  EXPECT_EQ(lanes.at(2), StageLane::Root);
}

TEST(StageSchedule, AChainRunsInDependencyOrder) {
  auto p = plan("FROM alpine AS a\nRUN x\nFROM a AS b\nRUN y\nFROM b\nRUN z\n");
  StageSchedule s(p, stage_lanes(p, 8, true), 8);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{0}));
  s.finish(0);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{1}));
  s.finish(1);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{2}));
}

TEST(StageSchedule, StagesNotBuiltAreNotWaitedFor) {
  PlanOptions o;
  o.skip_unused_stages = true;
  auto p = plan("FROM alpine AS unused\nRUN x\nFROM alpine AS used\nRUN y\nFROM alpine\nCOPY --from=used /y /y\n", o);
  ASSERT_EQ(p.build_order, (std::vector<int>{1, 2}));
  StageSchedule s(p, stage_lanes(p, 4, true), 4);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{1}));
  s.finish(1);
  EXPECT_EQ(s.take_ready(), (std::vector<int>{2}));
  s.finish(2);
  EXPECT_TRUE(s.all_done());
}
