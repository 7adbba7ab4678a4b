#include <gtest/gtest.h>

#include "cache/cache_image.h"
#include "cache/cache_key.h"

using namespace kiln::cache;

TEST(CacheKey, SameFieldsSameKeyAndAValidTag) {
  std::string a = CacheKey("sha256:base").add("cmd", "echo hi").add("env", std::vector<std::string>{"A=1"}).hex();
  std::string b = CacheKey("sha256:base").add("cmd", "echo hi").add("env", std::vector<std::string>{"A=1"}).hex();
  EXPECT_EQ(a, b);
  ASSERT_EQ(a.size(), 64u);
  for (char c : a) EXPECT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

TEST(CacheKey, EveryInputChangesTheKey) {
  auto k = [](std::string prev, std::string cmd, std::vector<std::string> env) {
    return CacheKey(prev).add("cmd", cmd).add("env", env).hex();
  };
  std::string base = k("p", "echo", {"A=1"});
  EXPECT_NE(base, k("q", "echo", {"A=1"}));
  EXPECT_NE(base, k("p", "echo ", {"A=1"}));
  EXPECT_NE(base, k("p", "echo", {"A=2"}));
  EXPECT_NE(base, k("p", "echo", {"A=1", "B=1"}));
  EXPECT_NE(base, k("p", "echo", {}));
}

TEST(CacheKey, FieldBoundariesCannotBeShifted) {
  EXPECT_NE(CacheKey("p").add("ab", "c").hex(), CacheKey("p").add("a", "bc").hex());
  EXPECT_NE(CacheKey("p").add("x", std::vector<std::string>{"a", "b"}).hex(),
            CacheKey("p").add("x", std::vector<std::string>{"ab"}).hex());
  EXPECT_NE(CacheKey("p").add("x", std::vector<std::string>{"a=b"}).hex(),
            CacheKey("p").add("x", "a=b").hex());
}

TEST(CacheImage, RoundTripWithLayer) {
  CachedLayer l;
  l.descriptor.media_type = "application/vnd.oci.image.layer.v1.tar+gzip";
  l.descriptor.digest = "sha256:" + std::string(64, 'a');
  l.descriptor.size = 123;
  l.diff_id = "sha256:" + std::string(64, 'b');
  auto img = make_cache_image("k1", l, {}, "2026-11-22T03:00:00Z");
  auto cfg = cache_config_of("k1", img.manifest_json, "application/vnd.oci.image.manifest.v1+json");
  ASSERT_TRUE(cfg);
  EXPECT_EQ(cfg->digest, img.config.digest);
  auto e = parse_cache_entry(img.manifest_json, img.config_json);
  ASSERT_TRUE(e);
  ASSERT_TRUE(e->layer);
  EXPECT_EQ(e->layer->descriptor.digest, l.descriptor.digest);
  EXPECT_EQ(e->layer->diff_id, l.diff_id);
  EXPECT_EQ(e->created, 1795316400);
}

TEST(CacheImage, EmptyStepHasNoLayer) {
  auto img = make_cache_image("k2", std::nullopt, {}, "2026-11-22T03:00:00Z");
  auto e = parse_cache_entry(img.manifest_json, img.config_json);
  ASSERT_TRUE(e);
  EXPECT_FALSE(e->layer);
}

TEST(CacheImage, AnEntryForAnotherKeyIsNotUsed) {
  auto img = make_cache_image("k1", std::nullopt, {}, "2026-11-22T03:00:00Z");
  EXPECT_FALSE(cache_config_of("k2", img.manifest_json, ""));
  EXPECT_FALSE(cache_config_of("k1", "{not json", ""));
  // A config claiming a different number of layers than the manifest holds.
  auto other = make_cache_image("k1", CachedLayer{{"application/vnd.oci.image.layer.v1.tar+gzip",
                                                   "sha256:" + std::string(64, 'c'), 1, {}, {}, {}},
                                                  "sha256:" + std::string(64, 'd')},
                                {}, "2026-11-22T03:00:00Z");
  EXPECT_FALSE(parse_cache_entry(img.manifest_json, other.config_json));
}

TEST(CacheImage, TtlAndTimes) {
  EXPECT_TRUE(within_ttl(1000, 1000 + 3600, 3600));
  EXPECT_FALSE(within_ttl(1000, 1000 + 3601, 3600));
  EXPECT_FALSE(within_ttl(0, 1, 0));
  EXPECT_TRUE(within_ttl(5, 5, 0));
  EXPECT_EQ(parse_rfc3339("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339("1970-01-01T01:00:00.123456789+01:00"), 0);
  EXPECT_EQ(parse_rfc3339("2026-11-22T03:00:00Z"), 1795316400);
  EXPECT_FALSE(parse_rfc3339("yesterday"));
  EXPECT_FALSE(parse_rfc3339("2026-13-22T03:00:00Z"));
  EXPECT_FALSE(parse_rfc3339("2026-11-22T03:00:00"));
}
