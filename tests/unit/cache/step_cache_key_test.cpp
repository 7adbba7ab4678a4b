#include <gtest/gtest.h>

#include <fstream>

#include "cache/copy_sources_digest.h"
#include "cache/step_cache_key.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "support/temp_dir.h"

using namespace kiln;
using namespace kiln::cache;

namespace {

std::vector<dockerfile::Step> steps_of(const std::string& text, std::vector<std::pair<std::string, std::string>> args = {}) {
  dockerfile::PlanOptions o;
  for (auto& [k, v] : args) o.build_args.emplace_back(k, v);
  auto plan = dockerfile::make_plan(dockerfile::parse(text, "Dockerfile"), o);
  return dockerfile::evaluate_stage(plan, plan.target, dockerfile::BaseConfig{});
}

std::string key_of(const std::string& text, std::size_t i, std::vector<std::pair<std::string, std::string>> args = {},
                   const std::string& prev = "sha256:base") {
  auto steps = steps_of(text, std::move(args));
  return step_cache_key(prev, steps.at(i), "", "", {});
}

}  // namespace

TEST(StepCacheKey, SameStepSameKey) {
  EXPECT_EQ(key_of("FROM x\nRUN echo hi\n", 0), key_of("FROM x\nRUN echo hi\n", 0));
}

TEST(StepCacheKey, CommandBaseAndEnvironmentChangeIt) {
  std::string k = key_of("FROM x\nRUN echo hi\n", 0);
  EXPECT_NE(k, key_of("FROM x\nRUN echo ho\n", 0));
  EXPECT_NE(k, key_of("FROM x\nRUN echo hi\n", 0, {}, "sha256:other"));
  EXPECT_NE(k, key_of("FROM x\nENV A=1\nRUN echo hi\n", 1));
  EXPECT_NE(key_of("FROM x\nWORKDIR /a\nRUN echo hi\n", 1), key_of("FROM x\nWORKDIR /b\nRUN echo hi\n", 1));
  EXPECT_NE(key_of("FROM x\nSHELL [\"/bin/bash\",\"-c\"]\nRUN echo hi\n", 1), k);
}

TEST(StepCacheKey, ABuildArgInScopeChangesItButAProxyArgDoesNot) {
  const std::string df = "FROM x\nARG V\nRUN echo hi\n";
  EXPECT_NE(key_of(df, 1, {{"V", "1"}}), key_of(df, 1, {{"V", "2"}}));
  const std::string plain = "FROM x\nRUN echo hi\n";
  EXPECT_EQ(key_of(plain, 0, {{"http_proxy", "http://a:3128"}}), key_of(plain, 0, {{"http_proxy", "http://b:3128"}}));
}

TEST(StepCacheKey, UserAndReproducibleSettingsChangeIt) {
  auto steps = steps_of("FROM x\nRUN echo hi\n");
  KeySettings s;
  std::string a = step_cache_key("p", steps[0], "", "", s);
  EXPECT_NE(a, step_cache_key("p", steps[0], "app", "", s));
  s.fixed_mtime = 0;
  EXPECT_NE(a, step_cache_key("p", steps[0], "", "", s));
  KeySettings arm;
  arm.platform.architecture = "arm64";
  EXPECT_NE(a, step_cache_key("p", steps[0], "", "", arm));
}

TEST(StepCacheKey, Cacheability) {
  auto steps = steps_of(
      "FROM x\nRUN a\nRUN --mount=type=bind,target=/m b\nRUN --mount=type=cache,target=/c c\nCOPY f /f\n"
      "ADD https://example.com/f /f\nADD --checksum=sha256:0000000000000000000000000000000000000000000000000000000000000000 "
      "https://example.com/g /g\nWORKDIR /w\nENV A=1\n");
  CacheFlags def;
  EXPECT_EQ(cacheability(steps[0], def), Cacheability::Cached);
  EXPECT_EQ(cacheability(steps[1], def), Cacheability::Uncacheable);
  EXPECT_EQ(cacheability(steps[2], def), Cacheability::Cached);
  EXPECT_EQ(cacheability(steps[3], def), Cacheability::KeyedOnly);
  EXPECT_EQ(cacheability(steps[4], def), Cacheability::Uncacheable);
  EXPECT_EQ(cacheability(steps[5], def), Cacheability::KeyedOnly);
  EXPECT_EQ(cacheability(steps[6], def), Cacheability::Cached);
  EXPECT_EQ(cacheability(steps[7], def), Cacheability::Uncacheable);
  CacheFlags copy;
  copy.copy_layers = true;
  copy.run_layers = false;
  EXPECT_EQ(cacheability(steps[0], copy), Cacheability::Uncacheable);
  EXPECT_EQ(cacheability(steps[3], copy), Cacheability::Cached);
}

TEST(CopySourcesDigest, ContentAndModeCountOwnerAndMtimeDoNot) {
  kiln::testing::TempDir dir;
  auto write = [&](const std::string& name, const std::string& text) {
    std::filesystem::create_directories((dir.path() / name).parent_path());
    std::ofstream(dir.path() / name) << text;
  };
  write("app/a.txt", "one");
  write("app/sub/b.txt", "two");
  write("other.txt", "x");
  auto steps = steps_of("FROM x\nCOPY app /app\nCOPY *.txt /t/\n");
  std::string d0 = copy_sources_digest(steps[0], dir.path(), nullptr);
  EXPECT_EQ(d0, copy_sources_digest(steps[0], dir.path(), nullptr));
  // Not a source of this step: no effect.
  write("other.txt", "y");
  EXPECT_EQ(d0, copy_sources_digest(steps[0], dir.path(), nullptr));
  // mtime only: no effect.
  std::filesystem::last_write_time(dir.path() / "app/a.txt", std::filesystem::file_time_type::clock::now() -
                                                                 std::chrono::hours(5));
  EXPECT_EQ(d0, copy_sources_digest(steps[0], dir.path(), nullptr));
  write("app/sub/b.txt", "TWO");
  std::string d1 = copy_sources_digest(steps[0], dir.path(), nullptr);
  EXPECT_NE(d0, d1);
  std::filesystem::permissions(dir.path() / "app/a.txt", std::filesystem::perms::owner_exec,
                               std::filesystem::perm_options::add);
  EXPECT_NE(d1, copy_sources_digest(steps[0], dir.path(), nullptr));
  // .dockerignore'd files do not count.
  std::string d2 = copy_sources_digest(steps[0], dir.path(), nullptr);
  write("app/ignored.log", "noise");
  auto ignore_logs = [](std::string_view rel) { return rel.size() > 4 && rel.substr(rel.size() - 4) == ".log"; };
  EXPECT_EQ(d2, copy_sources_digest(steps[0], dir.path(), ignore_logs));
  EXPECT_NE(d2, copy_sources_digest(steps[0], dir.path(), nullptr));
  // Wildcards: a new matching file changes the digest.
  std::string w0 = copy_sources_digest(steps[1], dir.path(), nullptr);
  write("new.txt", "n");
  EXPECT_NE(w0, copy_sources_digest(steps[1], dir.path(), nullptr));
}
