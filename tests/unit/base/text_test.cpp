#include "base/text.h"

#include <gtest/gtest.h>

#include <string_view>
#include <vector>

namespace kiln {
namespace {

using Parts = std::vector<std::string_view>;

TEST(SplitList, DropsEmptyParts) {
  EXPECT_EQ(split_list("a,b"), (Parts{"a", "b"}));
  EXPECT_EQ(split_list(",a,,b,"), (Parts{"a", "b"}));
  EXPECT_EQ(split_list("a"), (Parts{"a"}));
  EXPECT_EQ(split_list(""), Parts{});
  EXPECT_EQ(split_list(",,"), Parts{});
  EXPECT_EQ(split_list("x:y", ':'), (Parts{"x", "y"}));
}

TEST(AsciiText, LowerAndTrimIgnoreTheLocale) {
  EXPECT_EQ(ascii_lower("Index.Docker.IO\xC3\x89"), "index.docker.io\xC3\x89");
  EXPECT_EQ(trim("  a b \t\n"), "a b");
  EXPECT_EQ(trim_left("--x-", "-"), "x-");
  EXPECT_EQ(trim("   "), "");
}

}  // namespace
}  // namespace kiln
