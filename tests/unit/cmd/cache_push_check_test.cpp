#include "cmd/cache_push_check.h"

#include <gtest/gtest.h>

using namespace kiln::cmd;

namespace {

CachePushCheckInputs cached(std::string repo, bool pushing) {
  CachePushCheckInputs in;
  in.cache = true;
  in.cache_repo_flag = std::move(repo);
  in.pushing = pushing;
  return in;
}

}  // namespace

TEST(CachePushCheck, NoPushWithACacheRepoFailsAsKanikoDoes) {
  EXPECT_EQ(cache_push_check(cached("reg.example/team/cache", false)), CachePushCheck::FailWhenRefused);
}

TEST(CachePushCheck, PushingOrAnInferredRepoOnlyWarns) {
  // kaniko checks only the destinations when it pushes; a refused cache
  // push is a warning there too, given at the end.
  EXPECT_EQ(cache_push_check(cached("reg.example/team/cache", true)), CachePushCheck::WarnWhenRefused);
  // No --cache-repo: the destination's repository + "/cache", never checked by kaniko.
  EXPECT_EQ(cache_push_check(cached("", true)), CachePushCheck::WarnWhenRefused);
  EXPECT_EQ(cache_push_check(cached("", false)), CachePushCheck::WarnWhenRefused);
}

TEST(CachePushCheck, NothingToCheck) {
  auto off = cached("reg.example/c", false);
  off.cache = false;
  EXPECT_EQ(cache_push_check(off), CachePushCheck::None);
  auto skip = cached("reg.example/c", false);
  skip.skip_check = true;
  EXPECT_EQ(cache_push_check(skip), CachePushCheck::None);
  auto read_only = cached("reg.example/c", false);
  read_only.no_push_cache = true;
  EXPECT_EQ(cache_push_check(read_only), CachePushCheck::None);
  auto dry = cached("reg.example/c", false);
  dry.dryrun = true;
  EXPECT_EQ(cache_push_check(dry), CachePushCheck::None);
  // A local layout is checked by opening it (its lock), not here.
  EXPECT_EQ(cache_push_check(cached("oci:/cache/layers", false)), CachePushCheck::None);
}
