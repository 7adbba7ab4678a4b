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

namespace {
CacheFlags copy_layers_on() {
  CacheFlags f;
  f.copy_layers = true;
  return f;
}
}  // namespace

TEST(KeyChain, LinkLookupIgnoresTheChainBeforeIt) {
  auto steps = steps_of("FROM x\nCOPY --link a /app/\n");
  auto on_base1 = next_link("sha256:base1", steps[0], "", digest("sha256:aaa"), copy_layers_on(), {});
  auto on_base2 = next_link("sha256:base2", steps[0], "", digest("sha256:aaa"), copy_layers_on(), {});
  EXPECT_TRUE(on_base1.independent);
  EXPECT_EQ(on_base1.cacheability, Cacheability::Cached);
  EXPECT_EQ(on_base1.lookup, on_base2.lookup);
  EXPECT_EQ(on_base1.lookup, link_cache_key(steps[0], "sha256:aaa", {}));
  // The steps after it still depend on the base.
  EXPECT_NE(on_base1.key, on_base2.key);
  EXPECT_NE(on_base1.key, on_base1.lookup);
}

TEST(KeyChain, LinkLookupCoversItsOwnInputs) {
  auto steps = steps_of(
      "FROM x\nCOPY --link a /app/\nCOPY --link a /other/\nCOPY --link --chown=1000:1000 a /app/\n"
      "COPY --link --chmod=600 a /app/\n");
  auto lookup = [&](std::size_t i, const std::string& files, KeySettings ks = {}) {
    return next_link("k", steps[i], "", digest(files), copy_layers_on(), ks).lookup;
  };
  const std::string base = lookup(0, "sha256:aaa");
  EXPECT_NE(base, lookup(0, "sha256:bbb"));  // the sources' content
  EXPECT_NE(base, lookup(1, "sha256:aaa"));  // destination
  EXPECT_NE(base, lookup(2, "sha256:aaa"));  // --chown
  EXPECT_NE(base, lookup(3, "sha256:aaa"));  // --chmod
  auto rel = steps_of("FROM x\nWORKDIR /w\nCOPY --link a app/\nWORKDIR /v\nCOPY --link a app/\n");
  EXPECT_NE(next_link("k", rel[1], "", digest("sha256:aaa"), copy_layers_on(), {}).lookup,
            next_link("k", rel[3], "", digest("sha256:aaa"), copy_layers_on(), {}).lookup);  // WORKDIR
  KeySettings arm;
  arm.platform.architecture = "arm64";
  EXPECT_NE(base, lookup(0, "sha256:aaa", arm));
  KeySettings reproducible;
  reproducible.fixed_mtime = 0;
  EXPECT_NE(base, lookup(0, "sha256:aaa", reproducible));
  // USER and ENV before it do not change the files it writes.
  EXPECT_EQ(base, next_link("k", steps[0], "app", digest("sha256:aaa"), copy_layers_on(), {}).lookup);
}

TEST(KeyChain, LinkWithAChownNameChainsLikeAPlainCopy) {
  auto steps = steps_of("FROM x\nCOPY --link --chown=app a /app/\nCOPY --link --chown=1000:staff a /app/\n");
  for (const auto& step : steps) {
    EXPECT_FALSE(is_link_step(step)) << step.instruction.original;
    auto a = next_link("sha256:base1", step, "", digest("sha256:aaa"), copy_layers_on(), {});
    auto b = next_link("sha256:base2", step, "", digest("sha256:aaa"), copy_layers_on(), {});
    EXPECT_NE(a.lookup, b.lookup);
    EXPECT_EQ(a.lookup, a.key);
  }
}

TEST(KeyChain, LinkKeepsItsLookupWhenTheChainIsBroken) {
  auto steps = steps_of("FROM x\nCOPY --link a /app/\nRUN b\n");
  auto l = next_link("", steps[0], "", digest("sha256:aaa"), copy_layers_on(), {});
  EXPECT_EQ(l.lookup, link_cache_key(steps[0], "sha256:aaa", {}));
  EXPECT_TRUE(l.key.empty());
  EXPECT_TRUE(next_link(l.key, steps[1], "", digest(std::nullopt), {}, {}).key.empty());
  // A plain COPY is not: the key and the lookup both go.
  auto plain = steps_of("FROM x\nCOPY a /app/\n");
  EXPECT_TRUE(next_link("", plain[0], "", digest("sha256:aaa"), copy_layers_on(), {}).lookup.empty());
}

TEST(KeyChain, AddLinkIsIndependentToo) {
  auto steps = steps_of("FROM x\nADD --link a.tar /app/\n");
  auto a = next_link("sha256:base1", steps[0], "", digest("sha256:aaa"), copy_layers_on(), {});
  auto b = next_link("sha256:base2", steps[0], "", digest("sha256:aaa"), copy_layers_on(), {});
  EXPECT_TRUE(a.independent);
  EXPECT_EQ(a.lookup, b.lookup);
}

TEST(StageChain, IsTheLinksOfEachFileStepInTurn) {
  auto steps = steps_of("FROM x\nENV A=1\nRUN a\nUSER app\nRUN b\nCOPY f /f\nCMD [\"x\"]\n");
  auto sources = [](const dockerfile::Step&) { return std::optional<std::string>("sha256:fff"); };
  auto chain = stage_chain("sha256:base", steps, "root", sources, copy_layers_on(), {});
  ASSERT_EQ(chain.links.size(), steps.size());
  // ENV and CMD have no link and leave the chain as it is.
  EXPECT_FALSE(chain.links[0].reached);
  EXPECT_TRUE(chain.links[0].key.empty());
  auto run_a = next_link("sha256:base", steps[1], "root", digest(std::nullopt), copy_layers_on(), {});
  EXPECT_EQ(chain.links[1].key, run_a.key);
  // The USER step changes the user the later keys are computed with.
  auto run_b = next_link(run_a.key, steps[3], "app", digest(std::nullopt), copy_layers_on(), {});
  EXPECT_EQ(chain.links[3].key, run_b.key);
  EXPECT_NE(chain.links[3].key, next_link(run_a.key, steps[3], "root", digest(std::nullopt), copy_layers_on(), {}).key);
  auto copy = next_link(run_b.key, steps[4], "app", digest("sha256:fff"), copy_layers_on(), {});
  EXPECT_EQ(chain.links[4].key, copy.key);
  EXPECT_EQ(chain.end, copy.key);
  EXPECT_FALSE(chain.links[5].reached);
}

TEST(StageChain, KeysAfterAnUncacheableStepAreGoneButIndependentLinksRemain) {
  auto steps = steps_of("FROM x\nRUN a\nRUN --mount=type=bind,target=/src make\nRUN c\nCOPY --link f /f\n");
  auto sources = [](const dockerfile::Step&) { return std::optional<std::string>("sha256:fff"); };
  auto chain = stage_chain("sha256:base", steps, "", sources, copy_layers_on(), {});
  EXPECT_FALSE(chain.links[0].key.empty());
  EXPECT_TRUE(chain.links[1].reached);
  EXPECT_EQ(chain.links[1].cacheability, Cacheability::Uncacheable);
  EXPECT_FALSE(chain.links[2].reached);
  EXPECT_TRUE(chain.links[2].lookup.empty());
  EXPECT_TRUE(chain.links[3].independent);
  EXPECT_EQ(chain.links[3].lookup, link_cache_key(steps[3], "sha256:fff", {}));
  EXPECT_TRUE(chain.end.empty());
}

TEST(StageChain, AnEmptyStartHasNoKeys) {
  auto steps = steps_of("FROM x\nRUN a\n");
  auto chain = stage_chain("", steps, "", [](const dockerfile::Step&) { return std::optional<std::string>(); }, {}, {});
  EXPECT_TRUE(chain.links[0].lookup.empty());
  EXPECT_TRUE(chain.end.empty());
}
