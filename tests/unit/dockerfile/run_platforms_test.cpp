#include "dockerfile/run_platforms.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "base/error.h"
#include "plan_of.h"

namespace kiln::dockerfile {
namespace {

std::vector<std::string> names(const std::vector<image::Platform>& ps) {
  std::vector<std::string> out;
  for (const auto& p : ps) out.push_back(p.str());
  return out;
}

image::Platform arm64() {
  image::Platform p;
  p.architecture = "arm64";
  return p;
}

PlanOptions for_arm64_on_amd64() {
  PlanOptions o;
  o.target_platform = arm64();
  o.build_platform = image::Platform{};  // linux/amd64
  return o;
}

TEST(RunPlatforms, ACrossCompilingStageRunsOnTheBuildPlatform) {
  auto p = plan(
      "FROM --platform=$BUILDPLATFORM base AS build\nRUN make\n"
      "FROM build AS test\nRUN make test\n"
      "FROM base\nCOPY --from=build /out /out\nRUN /out/selftest\n",
      for_arm64_on_amd64());
  EXPECT_EQ(names(run_platforms(p, arm64())), (std::vector<std::string>{"linux/amd64", "linux/arm64"}));
}

TEST(RunPlatforms, StagesWithoutRunNeedNothing) {
  auto p = plan("FROM --platform=linux/s390x base AS a\nCOPY x /x\nFROM base\nCOPY --from=a /x /x\n",
                for_arm64_on_amd64());
  EXPECT_TRUE(run_platforms(p, arm64()).empty());
}

TEST(RunPlatforms, ADerivedStageRunsAsItsBase) {
  auto p = plan("FROM --platform=linux/ppc64le base AS a\nFROM a\nRUN true\n", for_arm64_on_amd64());
  EXPECT_EQ(names(run_platforms(p, arm64())), (std::vector<std::string>{"linux/ppc64le"}));
}

TEST(RunPlatforms, StagesTheBuildSkipsDoNotCount) {
  PlanOptions o = for_arm64_on_amd64();
  o.targets = {"b"};
  o.skip_unused_stages = true;
  auto p = plan("FROM --platform=linux/riscv64 base AS a\nRUN true\nFROM base AS b\nRUN true\n", o);
  EXPECT_EQ(names(run_platforms(p, arm64())), (std::vector<std::string>{"linux/arm64"}));
}

TEST(RunPlatforms, ABadPlatformNamesItsLine) {
  auto p = plan("FROM base\nRUN true\nFROM --platform=arm64 base\nRUN true\n", for_arm64_on_amd64());
  try {
    run_platforms(p, arm64());
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("Dockerfile:3"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace kiln::dockerfile
