#include <gtest/gtest.h>

#include "base/error.h"
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

TEST(CopyStep, ChmodIsOctal) {
  EXPECT_EQ(parse_chmod("755"), 0755u);
  EXPECT_EQ(parse_chmod("0644"), 0644u);
  EXPECT_EQ(parse_chmod("4755"), 04755u);
  EXPECT_THROW(parse_chmod("u+x"), kiln::UsageError);
  EXPECT_THROW(parse_chmod("888"), kiln::UsageError);
  EXPECT_THROW(parse_chmod(""), kiln::UsageError);
}
