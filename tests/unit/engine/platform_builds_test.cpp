// How many platforms a build puts side by side: pure, from the platform
// count, --jobs and whether a root of their own can run their RUN steps.
#include "engine/platform_builds.h"

#include <gtest/gtest.h>

using kiln::engine::platforms_at_once;

TEST(PlatformsAtOnce, OnePlatformOrOneJobIsOneAfterAnother) {
  EXPECT_EQ(platforms_at_once(1, 8, true), 1u);
  EXPECT_EQ(platforms_at_once(3, 1, true), 1u);
  EXPECT_EQ(platforms_at_once(0, 4, true), 1u);
}

TEST(PlatformsAtOnce, WithoutOwnRootsTheyStayInLine) {
  // Docker's default capabilities: no mount namespace for a second /proc.
  EXPECT_EQ(platforms_at_once(2, 4, false), 1u);
}

TEST(PlatformsAtOnce, BoundedByJobsAndByThePlatforms) {
  EXPECT_EQ(platforms_at_once(2, 2, true), 2u);
  EXPECT_EQ(platforms_at_once(2, 8, true), 2u);
  EXPECT_EQ(platforms_at_once(5, 3, true), 3u);
}
