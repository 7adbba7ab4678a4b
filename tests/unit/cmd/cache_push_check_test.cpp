#include "cmd/cache_push_check.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

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
  // Each flag alone turns the check off for a case that would fail.
  const std::vector<std::pair<const char*, bool CachePushCheckInputs::*>> offs{
      {"--skip-push-permission-check", &CachePushCheckInputs::skip_check},
      {"--no-push-cache", &CachePushCheckInputs::no_push_cache},
      {"--dryrun", &CachePushCheckInputs::dryrun}};
  for (const auto& [flag, field] : offs) {
    auto in = cached("reg.example/c", false);
    in.*field = true;
    EXPECT_EQ(cache_push_check(in), CachePushCheck::None) << flag;
  }
  auto off = cached("reg.example/c", false);
  off.cache = false;
  EXPECT_EQ(cache_push_check(off), CachePushCheck::None);
  // A local layout is checked by opening it (its lock), not here.
  EXPECT_EQ(cache_push_check(cached("oci:/cache/layers", false)), CachePushCheck::None);
}
