// What a stage asks the layer cache before its first step, and which layers
// it downloads ahead.
#include "cache/lookahead.h"

#include <gtest/gtest.h>

namespace kiln::cache {
namespace {

ChainLink link(const std::string& lookup, Cacheability c = Cacheability::Cached, bool independent = false) {
  ChainLink l;
  l.cacheability = c;
  l.key = l.lookup = lookup;
  l.independent = independent;
  l.reached = true;
  return l;
}

TEST(Lookahead, ProbesEveryCachedLookupOnceInStepOrder) {
  StageChain chain;
  chain.links = {link("k1"), ChainLink{}, link("k2", Cacheability::KeyedOnly), link("k3"),
                 link("", Cacheability::Uncacheable), link("L", Cacheability::Cached, true),
                 link("L", Cacheability::Cached, true)};
  auto probes = probes_of(chain);
  ASSERT_EQ(probes.size(), 3u);
  EXPECT_EQ(probes[0].key, "k1");
  EXPECT_EQ(probes[1].key, "k3");
  EXPECT_EQ(probes[2].key, "L");
  EXPECT_FALSE(probes[1].independent);
  EXPECT_TRUE(probes[2].independent);
}

TEST(Lookahead, FetchesLayersUpToTheFirstMissAndIndependentOnesAfterIt) {
  std::vector<Probe> probes = {{"k1"}, {"k2"}, {"k3"}, {"k4"}, {"L", true}, {"M", true}};
  auto worth = layers_worth_fetching(probes, {true, true, false, true, true, false});
  EXPECT_EQ(worth, (std::vector<bool>{true, true, false, false, true, false}));
  // A missing independent step is a miss too: the build runs the steps after it.
  std::vector<Probe> link_first = {{"L", true}, {"k1"}};
  EXPECT_EQ(layers_worth_fetching(link_first, {false, true}), (std::vector<bool>{false, false}));
  EXPECT_EQ(layers_worth_fetching(probes, std::vector<bool>(6, true)), std::vector<bool>(6, true));
}

}  // namespace
}  // namespace kiln::cache
