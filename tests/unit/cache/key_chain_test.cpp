#include "cache/key_chain.h"

#include <gtest/gtest.h>

#include "dockerfile/parser.h"
#include "dockerfile/plan.h"

using namespace kiln;
using namespace kiln::cache;

namespace {

std::vector<dockerfile::Step> steps_of(const std::string& text) {
  auto plan = dockerfile::make_plan(dockerfile::parse(text, "Dockerfile"), {});
  return dockerfile::evaluate_stage(plan, plan.target, dockerfile::BaseConfig{});
}

auto digest(std::optional<std::string> d) {
  return [d] { return d; };
}

}  // namespace

TEST(KeyChain, EachLinkIsTheStepKeyOfThePreviousOne) {
  auto steps = steps_of("FROM x\nRUN a\nRUN b\n");
  auto l1 = next_link("sha256:base", steps[0], "", digest(std::nullopt), {}, {});
  EXPECT_EQ(l1.cacheability, Cacheability::Cached);
  EXPECT_EQ(l1.key, step_cache_key("sha256:base", steps[0], "", "", {}));
  auto l2 = next_link(l1.key, steps[1], "", digest(std::nullopt), {}, {});
  EXPECT_EQ(l2.key, step_cache_key(l1.key, steps[1], "", "", {}));
}

TEST(KeyChain, ABrokenChainStaysBroken) {
  auto steps = steps_of("FROM x\nRUN a\n");
  auto l = next_link("", steps[0], "", digest(std::nullopt), {}, {});
  EXPECT_TRUE(l.key.empty());
}

TEST(KeyChain, AnUncacheableStepBreaksIt) {
  auto steps = steps_of("FROM x\nRUN --mount=type=bind,target=/src make\n");
  auto l = next_link("sha256:base", steps[0], "", digest(std::nullopt), {}, {});
  EXPECT_EQ(l.cacheability, Cacheability::Uncacheable);
  EXPECT_TRUE(l.key.empty());
}

TEST(KeyChain, CopyKeysOnItsSourcesAndBreaksWhenTheyAreUnknown) {
  auto steps = steps_of("FROM x\nCOPY a /a\n");
  CacheFlags copy_layers;
  copy_layers.copy_layers = true;
  auto a = next_link("k", steps[0], "", digest("sha256:aaa"), copy_layers, {});
  auto b = next_link("k", steps[0], "", digest("sha256:bbb"), copy_layers, {});
  EXPECT_EQ(a.cacheability, Cacheability::Cached);
  EXPECT_NE(a.key, b.key);
  EXPECT_EQ(a.key, step_cache_key("k", steps[0], "", "sha256:aaa", {}));
  // Without --cache-copy-layers the COPY still has a key for the steps after it.
  EXPECT_EQ(next_link("k", steps[0], "", digest("sha256:aaa"), {}, {}).cacheability, Cacheability::KeyedOnly);
  auto unknown = next_link("k", steps[0], "", digest(std::nullopt), copy_layers, {});
  EXPECT_TRUE(unknown.key.empty());
}

TEST(KeyChain, SourcesAreReadOnlyForCopyAndAdd) {
  auto steps = steps_of("FROM x\nRUN a\n");
  bool asked = false;
  next_link("k", steps[0], "", [&] { asked = true; return std::optional<std::string>("d"); }, {}, {});
  EXPECT_FALSE(asked);
}
