// Stages built side by side on temporary roots, without a sandbox or a
// registry: FROM scratch stages with COPY (no RUN, so no chroot is needed).
#include "engine/build_stages.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "base/file.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "engine/work_dir.h"
#include "fs/ignore_list.h"
#include "support/temp_dir.h"
#include "build_env_fixture.h"

using namespace kiln;
namespace fsys = std::filesystem;

namespace {

using Fixture = kiln::testing::BuildEnvFixture;
using kiln::testing::plan_of;

const char* kFanIn =
    "FROM scratch AS a\nCOPY a.txt /a.txt\n"
    "FROM scratch AS b\nCOPY b.txt /b.txt\n"
    "FROM scratch\nCOPY --from=a /a.txt /x/a.txt\nCOPY --from=b /b.txt /x/b.txt\n";

std::vector<std::string> diff_ids(const registry::ImageState& img) {
  std::vector<std::string> out;
  for (const auto& l : img.layers) out.push_back(l.diff_id);
  return out;
}

}  // namespace

TEST(BuildStages, SideStagesBuildInTheirOwnRootsAndLeaveTheRootToTheTarget) {
  Fixture f;
  auto plan = plan_of(kFanIn);
  engine::BuildReport report;
  engine::StagesOptions so;
  so.jobs = 4;
  auto img = engine::build_all_stages(plan, f.env, report, so);
  ASSERT_EQ(img.layers.size(), 2u);
  EXPECT_EQ(read_file(f.env.root / "x/a.txt"), "a\n");
  EXPECT_EQ(read_file(f.env.root / "x/b.txt"), "b\n");
  // Stages a and b never touched the build's root, and their roots are gone.
  EXPECT_FALSE(fsys::exists(f.env.root / "a.txt"));
  EXPECT_FALSE(fsys::exists(f.env.root / "b.txt"));
  EXPECT_TRUE(fsys::is_empty(f.work.path() / "roots"));
  // One report per stage, in build order.
  ASSERT_EQ(report.stages.size(), 3u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(report.stages[static_cast<std::size_t>(i)].index, i);
}

TEST(BuildStages, SideBySideGivesTheSameLayersAsOneAfterAnother) {
  Fixture par, seq;
  auto plan = plan_of(kFanIn);
  engine::BuildReport r1, r2;
  engine::StagesOptions four, one;
  four.jobs = 4;
  one.jobs = 1;
  // As --reproducible: a directory's mtime is the wall clock's, and the two
  // builds may straddle a second.
  par.env.layer.fixed_mtime = 0;
  seq.env.layer.fixed_mtime = 0;
  auto a = engine::build_all_stages(plan, par.env, r1, four);
  auto b = engine::build_all_stages(plan, seq.env, r2, one);
  EXPECT_EQ(diff_ids(a), diff_ids(b));
  // One after another, no side root is made.
  EXPECT_FALSE(fsys::exists(seq.work.path() / "roots"));
}

TEST(BuildStages, AFailingStageFailsTheBuildWithItsOwnError) {
  Fixture f;
  auto plan = plan_of(
      "FROM scratch AS a\nCOPY a.txt /a.txt\n"
      "FROM scratch AS b\nCOPY missing.txt /b.txt\n"
      "FROM scratch\nCOPY --from=a /a.txt /x/a.txt\nCOPY --from=b /b.txt /x/b.txt\n");
  engine::BuildReport report;
  engine::StagesOptions so;
  so.jobs = 4;
  try {
    engine::build_all_stages(plan, f.env, report, so);
    ADD_FAILURE() << "the build succeeded";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("missing.txt"), std::string::npos) << e.what();
  }
  // The target never started.
  EXPECT_FALSE(fsys::exists(f.env.root / "x"));
}

// The early upload is told of the target's layers only, each once its blob
// is on disk, in the image's order: the stages built beside it make layers
// that are never pushed.
TEST(BuildStages, OnlyTheTargetsLayersAreReadyForTheEarlyUpload) {
  Fixture f;
  auto plan = plan_of(kFanIn);
  std::mutex mu;
  std::vector<registry::Layer> ready;
  f.env.layer_ready = [&](const registry::Layer& l) {
    std::lock_guard<std::mutex> g(mu);
    EXPECT_TRUE(fsys::exists(l.file)) << l.file;
    ready.push_back(l);
  };
  engine::BuildReport report;
  engine::StagesOptions so;
  so.jobs = 4;
  auto img = engine::build_all_stages(plan, f.env, report, so);
  ASSERT_EQ(ready.size(), img.layers.size());
  for (std::size_t i = 0; i < ready.size(); ++i) EXPECT_EQ(ready[i].descriptor.digest, img.layers[i].descriptor.digest);
}

// A target built FROM an earlier stage pushes that stage's layers too: they
// are ready as soon as the target starts, before its own.
TEST(BuildStages, ATargetFromAStageOffersThatStagesLayersFirst) {
  Fixture f;
  auto plan = plan_of("FROM scratch AS base\nCOPY a.txt /a.txt\nCOPY b.txt /b.txt\n"
                      "FROM base\nCOPY hello.txt /hello.txt\n");
  std::vector<std::string> ready;
  f.env.layer_ready = [&](const registry::Layer& l) { ready.push_back(l.descriptor.digest); };
  engine::BuildReport report;
  engine::StagesOptions so;
  auto img = engine::build_all_stages(plan, f.env, report, so);
  ASSERT_EQ(img.layers.size(), 3u);
  std::vector<std::string> want;
  for (const auto& l : img.layers) want.push_back(l.descriptor.digest);
  EXPECT_EQ(ready, want);
}

TEST(DefaultJobs, TheCoresButAtLeastFour) {
  EXPECT_EQ(kiln::engine::default_jobs(0), 4);  // unknown
  EXPECT_EQ(kiln::engine::default_jobs(2), 4);
  EXPECT_EQ(kiln::engine::default_jobs(4), 4);
  EXPECT_EQ(kiln::engine::default_jobs(16), 16);
}
