#include "registry/www_authenticate.h"

#include <gtest/gtest.h>

using namespace kiln::registry;

TEST(WwwAuthenticate, Basic) {
  auto c = parse_www_authenticate("Basic realm=\"Registry Realm\"");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "Registry Realm");
}

TEST(WwwAuthenticate, BearerWithQuotedCommas) {
  auto c = parse_www_authenticate(
      "Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
      "scope=\"repository:library/busybox:pull,push\"");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "https://auth.docker.io/token");
  EXPECT_EQ(c[0].param("service"), "registry.docker.io");
  EXPECT_EQ(c[0].param("scope"), "repository:library/busybox:pull,push");
}

TEST(WwwAuthenticate, CaseSpacingUnquotedAndEscapes) {
  auto c = parse_www_authenticate("BEARER  Realm = \"http://a/t\" , Service=reg , error=\"insufficient_scope\", x=\"a\\\"b\"");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].scheme, "bearer");
  EXPECT_EQ(c[0].param("realm"), "http://a/t");
  EXPECT_EQ(c[0].param("service"), "reg");
  EXPECT_EQ(c[0].param("error"), "insufficient_scope");
  EXPECT_EQ(c[0].param("x"), "a\"b");
}

TEST(WwwAuthenticate, SeveralChallenges) {
  auto c = parse_www_authenticate("Basic realm=\"r1\", Bearer realm=\"https://t/x\",service=\"s,1\", Negotiate");
  ASSERT_EQ(c.size(), 3u);
  EXPECT_EQ(c[0].scheme, "basic");
  EXPECT_EQ(c[0].param("realm"), "r1");
  EXPECT_EQ(c[1].scheme, "bearer");
  EXPECT_EQ(c[1].param("service"), "s,1");
  EXPECT_EQ(c[2].scheme, "negotiate");
}

TEST(WwwAuthenticate, EmptyAndGarbage) {
  EXPECT_TRUE(parse_www_authenticate("").empty());
  EXPECT_TRUE(parse_www_authenticate("   ").empty());
  EXPECT_NO_THROW(parse_www_authenticate("\"unterminated"));
  EXPECT_NO_THROW(parse_www_authenticate("Bearer realm=\"unterminated"));
  auto c = parse_www_authenticate("Bearer realm=\"unterminated");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].param("realm"), "unterminated");
}
