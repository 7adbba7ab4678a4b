#include <gtest/gtest.h>

#include "dockerfile/go_duration.h"

using namespace kiln::dockerfile;

TEST(GoDuration, Parses) {
  EXPECT_EQ(parse_go_duration("30s"), 30'000'000'000LL);
  EXPECT_EQ(parse_go_duration("1m30s"), 90'000'000'000LL);
  EXPECT_EQ(parse_go_duration("1.5h"), 5'400'000'000'000LL);
  EXPECT_EQ(parse_go_duration("250ms"), 250'000'000LL);
  EXPECT_EQ(parse_go_duration("10us"), 10'000LL);
  EXPECT_EQ(parse_go_duration("10\xC2\xB5s"), 10'000LL);
  EXPECT_EQ(parse_go_duration("7ns"), 7LL);
  EXPECT_EQ(parse_go_duration("0"), 0LL);
  EXPECT_EQ(parse_go_duration("-2s"), -2'000'000'000LL);
  EXPECT_EQ(parse_go_duration(".5s"), 500'000'000LL);
  EXPECT_FALSE(parse_go_duration("10"));
  EXPECT_FALSE(parse_go_duration("s"));
  EXPECT_FALSE(parse_go_duration("3d"));
  EXPECT_FALSE(parse_go_duration(""));
}

TEST(GoDuration, FormatsLikeGo) {
  EXPECT_EQ(format_go_duration(0), "0s");
  EXPECT_EQ(format_go_duration(30'000'000'000LL), "30s");
  EXPECT_EQ(format_go_duration(300'000'000'000LL), "5m0s");
  EXPECT_EQ(format_go_duration(3'600'000'000'000LL), "1h0m0s");
  EXPECT_EQ(format_go_duration(90'500'000'000LL), "1m30.5s");
  EXPECT_EQ(format_go_duration(1'500'000'000LL), "1.5s");
  EXPECT_EQ(format_go_duration(500'000'000LL), "500ms");
  EXPECT_EQ(format_go_duration(1'000LL), "1\xC2\xB5s");
  EXPECT_EQ(format_go_duration(100LL), "100ns");
  EXPECT_EQ(format_go_duration(-1'000'000'000LL), "-1s");
}
