#include <gtest/gtest.h>

#include "steps/copy_step.h"

using namespace kiln::steps;

TEST(CopyStep, DestinationJoinsWorkdirLikeDocker) {
  EXPECT_EQ(destination_path("/abs", "/w"), "/abs");
  EXPECT_EQ(destination_path("rel", "/w"), "/w/rel");
  EXPECT_EQ(destination_path("rel/", "/w"), "/w/rel/");
  EXPECT_EQ(destination_path(".", "/w"), "/w/");
  EXPECT_EQ(destination_path("./x", "/w/"), "/w/x");
  EXPECT_EQ(destination_path("x", ""), "/x");
}
