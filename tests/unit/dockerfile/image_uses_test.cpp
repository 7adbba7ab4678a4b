#include "dockerfile/image_uses.h"

#include <gtest/gtest.h>

#include "dockerfile/parser.h"
#include "dockerfile/plan_of.h"

using namespace kiln::dockerfile;

TEST(ImageUses, EachImageOnceWithTheStagesThatReadIt) {
  auto p = plan(
      "FROM busybox AS one\nRUN a\n"
      "FROM busybox AS two\nCOPY --from=alpine:3 /etc/os-release /x\n"
      "FROM base-stage-less AS three\n"
      "FROM scratch\nCOPY --from=one /a /a\nCOPY --from=two /x /x\n");
  auto u = image_uses(p);
  ASSERT_EQ(u.size(), 3u);
  EXPECT_EQ(u[0], (ImageUse{"busybox", "", {0, 1}}));
  EXPECT_EQ(u[1], (ImageUse{"alpine:3", "", {1}}));
  EXPECT_EQ(u[2], (ImageUse{"base-stage-less", "", {2}}));
}

TEST(ImageUses, FromPlatformMakesADistinctImageAndStagesAreNotImages) {
  auto p = plan(
      "FROM --platform=linux/arm64 busybox AS arm\nRUN a\n"
      "FROM busybox AS amd\nRUN b\n"
      "FROM amd\nRUN --mount=type=bind,from=busybox,target=/b true\n");
  auto u = image_uses(p);
  ASSERT_EQ(u.size(), 2u);
  EXPECT_EQ(u[0], (ImageUse{"busybox", "linux/arm64", {0}}));
  // The mount from= image is read for the build's platform, as stage 1's base.
  EXPECT_EQ(u[1], (ImageUse{"busybox", "", {1, 2}}));
}

TEST(ImageUses, OnlyStagesThatAreBuiltCount) {
  PlanOptions o;
  o.skip_unused_stages = true;
  auto p = plan("FROM alpine AS unused\nRUN x\nFROM debian\nRUN y\n", o);
  auto u = image_uses(p);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_EQ(u[0].reference, "debian");
}
