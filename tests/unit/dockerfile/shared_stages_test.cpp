// Which stages of a two-platform build (amd64 and arm64, built on amd64)
// are built once for both.
#include "dockerfile/shared_stages.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "plan_of.h"

namespace kiln::dockerfile {
namespace {

std::vector<Plan> both(const std::string& text, std::vector<std::pair<std::string, std::optional<std::string>>> args = {}) {
  std::vector<Plan> out;
  for (const char* arch : {"amd64", "arm64"}) {
    PlanOptions o;
    o.build_args = args;
    o.target_platform.architecture = arch;
    o.build_platform = image::Platform{};  // linux/amd64
    out.push_back(plan(text, o));
  }
  return out;
}

std::vector<const Plan*> pointers(const std::vector<Plan>& plans) {
  std::vector<const Plan*> out;
  for (const Plan& p : plans) out.push_back(&p);
  return out;
}

TEST(SharedStages, ACrossCompilingStageThatDoesNotReadTheTargetIsShared) {
  auto plans = both(
      "FROM --platform=$BUILDPLATFORM base AS tools\nRUN make tools\n"
      "FROM base\nCOPY --from=tools /out /out\nRUN /out/selftest\n");
  EXPECT_EQ(shared_stages(pointers(plans)), (std::set<int>{0}));
}

TEST(SharedStages, AStageThatDeclaresATargetArgIsBuiltPerPlatform) {
  auto plans = both(
      "FROM --platform=$BUILDPLATFORM base AS build\nARG TARGETARCH\nRUN GOARCH=$TARGETARCH make\n"
      "FROM base\nCOPY --from=build /out /out\n");
  EXPECT_TRUE(shared_stages(pointers(plans)).empty());
}

TEST(SharedStages, AGlobalArgDerivedFromTheTargetCounts) {
  auto plans = both(
      "ARG TARGETARCH\nARG FLAVOUR=for-$TARGETARCH\n"
      "FROM --platform=$BUILDPLATFORM base AS build\nARG FLAVOUR\nRUN make $FLAVOUR\n"
      "FROM --platform=$BUILDPLATFORM base AS plain\nARG BUILDARCH\nRUN make $BUILDARCH\n"
      "FROM base\nCOPY --from=build /out /out\nCOPY --from=plain /p /p\n");
  EXPECT_EQ(shared_stages(pointers(plans)), (std::set<int>{1}));
}

TEST(SharedStages, StagesWithoutAFixedPlatformAreNotShared) {
  auto plans = both("FROM base AS a\nRUN make\nFROM base\nCOPY --from=a /x /x\n");
  EXPECT_TRUE(shared_stages(pointers(plans)).empty());
}

TEST(SharedStages, AStageFromASharedStageInheritsItsPlatform) {
  auto plans = both(
      "FROM --platform=$BUILDPLATFORM base AS tools\nRUN make\n"
      "FROM tools AS more\nRUN make more\n"
      "FROM base\nCOPY --from=more /x /x\n");
  EXPECT_EQ(shared_stages(pointers(plans)), (std::set<int>{0, 1}));
}

TEST(SharedStages, DependingOnAPerPlatformStageIsPerPlatform) {
  auto plans = both(
      "FROM base AS native\nRUN make\n"
      "FROM --platform=$BUILDPLATFORM base AS tools\nCOPY --from=native /x /x\nRUN make\n"
      "FROM base\nCOPY --from=tools /x /x\n");
  EXPECT_TRUE(shared_stages(pointers(plans)).empty());
}

TEST(SharedStages, TheTargetAndOnePlanAreNeverShared) {
  auto plans = both("FROM --platform=$BUILDPLATFORM base AS only\nRUN make\n");
  EXPECT_TRUE(shared_stages(pointers(plans)).empty());
  std::vector<Plan> one{plans.front()};
  EXPECT_TRUE(shared_stages(pointers(one)).empty());
}

TEST(SharedStages, ABaseImageNamedByTheTargetIsPerPlatform) {
  auto plans = both(
      "ARG TARGETARCH\nFROM --platform=$BUILDPLATFORM tools-$TARGETARCH AS t\nRUN make\n"
      "FROM base\nCOPY --from=t /x /x\n");
  EXPECT_TRUE(shared_stages(pointers(plans)).empty());
}

}  // namespace
}  // namespace kiln::dockerfile
