#include "http/url.h"

#include <gtest/gtest.h>

#include "base/error.h"

using namespace kiln::http;

TEST(Url, Parse) {
  auto u = parse_url("https://Reg.Example:5000/v2/x?y=1");
  EXPECT_EQ(u.scheme, "https");
  EXPECT_EQ(u.host, "reg.example");
  EXPECT_EQ(u.port, "5000");
  EXPECT_EQ(u.path_and_query, "/v2/x?y=1");
  EXPECT_EQ(host_port(u), "reg.example:5000");
  auto v6 = parse_url("https://[::1]:5443/v2/");
  EXPECT_EQ(v6.host, "::1");
  EXPECT_EQ(host_port(v6), "[::1]:5443");
  EXPECT_EQ(effective_port(parse_url("https://a")), "443");
  EXPECT_EQ(parse_url("http://a").path_and_query, "/");
  EXPECT_THROW(parse_url("no-scheme/x"), kiln::Error);
}

TEST(Url, IpLiterals) {
  EXPECT_TRUE(is_ip_literal("127.0.0.1"));
  EXPECT_TRUE(is_ip_literal("::1"));
  EXPECT_TRUE(is_ip_literal("[fe80::1]"));
  EXPECT_FALSE(is_ip_literal("localhost"));
  EXPECT_FALSE(is_ip_literal("127.0.0.1.nip.io"));
  EXPECT_FALSE(is_ip_literal("1.2.3"));
}

TEST(Url, ResolveLocation) {
  EXPECT_EQ(resolve_location("http://h:1/v2/a/blobs/uploads/", "/v2/a/blobs/uploads/uuid?_state=x"),
            "http://h:1/v2/a/blobs/uploads/uuid?_state=x");
  EXPECT_EQ(resolve_location("http://h:1/v2/", "https://s3.example/b?sig=1"), "https://s3.example/b?sig=1");
  EXPECT_EQ(resolve_location("https://h/v2/a/b", "c"), "https://h/v2/a/c");
  EXPECT_EQ(resolve_location("https://h/v2/", "//cdn.example/x"), "https://cdn.example/x");
}

TEST(Url, MessageFormDropsQueryAndUserinfo) {
  EXPECT_EQ(url_for_message("https://user:pw@s3.example/b/c?X-Amz-Signature=abc"), "https://s3.example/b/c");
}
