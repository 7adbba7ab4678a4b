#include "dockerfile/stage_use.h"

#include <gtest/gtest.h>

#include "dockerfile/parser.h"
#include "dockerfile/plan_of.h"

using namespace kiln::dockerfile;

TEST(StageUse, CopiedFromIsKeptBuiltFromIsLayered) {
  auto p = plan(
      "FROM alpine AS base\nRUN true\n"
      "FROM base AS build\nRUN make\n"
      "FROM scratch AS assets\nCOPY x /x\n"
      "FROM alpine\nCOPY --from=build /out /out\n"
      "RUN --mount=type=bind,from=assets,target=/a true\n");
  ASSERT_EQ(p.target, 3);
  auto u = stage_use(p);
  EXPECT_EQ(u.kept, (std::set<int>{1, 2}));     // COPY --from, RUN --mount from=
  EXPECT_EQ(u.layered, (std::set<int>{0, 3}));  // FROM base, and the target
}

TEST(StageUse, TheTargetAloneNeedsLayersAndNothingIsKept) {
  auto u = stage_use(plan("FROM alpine\nRUN true\n"));
  EXPECT_TRUE(u.kept.empty());
  EXPECT_EQ(u.layered, (std::set<int>{0}));
}

TEST(StageUse, StagesThatAreNotBuiltDoNotCount) {
  PlanOptions o;
  o.skip_unused_stages = true;
  o.targets = {"app"};
  // Stage 1 copies from stage 0, but neither is built for --target=app.
  auto p = plan(
      "FROM alpine AS tools\nRUN true\n"
      "FROM alpine AS unused\nCOPY --from=tools /a /a\n"
      "FROM alpine AS app\nRUN true\n",
      o);
  ASSERT_EQ(p.build_order, (std::vector<int>{2}));
  auto u = stage_use(p);
  EXPECT_TRUE(u.kept.empty());
  EXPECT_EQ(u.layered, (std::set<int>{2}));
}

TEST(StageUse, AStageBothCopiedFromAndBuiltFromIsBoth) {
  auto u = stage_use(plan("FROM alpine AS base\nRUN true\nFROM base\nCOPY --from=base /etc/x /x\n"));
  EXPECT_EQ(u.kept, (std::set<int>{0}));
  EXPECT_EQ(u.layered, (std::set<int>{0, 1}));
}

TEST(StageUse, ExtraTargetsAreBuiltWithoutLayersOfTheirOwn) {
  PlanOptions o;
  o.targets = {"app", "test", "base"};
  auto p = plan(
      "FROM alpine AS base\nRUN true\n"
      "FROM base AS app\nRUN true\n"
      "FROM scratch AS unused\n"
      "FROM alpine AS test\nCOPY --from=app /bin /bin\nRUN true\n",
      o);
  ASSERT_EQ(p.build_order, (std::vector<int>{0, 1, 2, 3}));
  auto u = stage_use(p);
  EXPECT_EQ(u.extra_targets, (std::set<int>{0, 3}));
  // Only the result (app) and what is built FROM (base) need layers; test
  // is run for its steps, and app's tree is kept for test's COPY --from.
  EXPECT_EQ(u.layered, (std::set<int>{0, 1}));
  EXPECT_EQ(u.kept, (std::set<int>{1}));
}

TEST(StageUse, OneTargetHasNoExtraTargets) {
  EXPECT_TRUE(stage_use(plan("FROM alpine AS a\nFROM alpine AS b\n")).extra_targets.empty());
}
