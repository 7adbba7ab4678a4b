// The stage builder on a temporary root, without a sandbox: FROM scratch,
// ENV, COPY and WORKDIR give the layers, diff_ids and history a build
// would, and the root holds the files.
#include "engine/stage_builder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>

#include "base/file.h"
#include "digest/sha256.h"
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

}  // namespace

TEST(StageBuilder, ScratchCopyWorkdirEnvGiveLayersDiffIdsAndHistory) {
  Fixture f;
  auto plan = plan_of("FROM scratch\nENV GREETING=hi\nCOPY hello.txt /app/hello.txt\nWORKDIR /work\n");
  engine::StageBuilder builder(f.env, plan);
  engine::StageReport report;
  const auto& r = builder.build(plan.target, engine::StageRole::Layered, &report);
  const auto& img = r.image;

  // COPY and WORKDIR (it creates /work) change files; ENV does not.
  ASSERT_EQ(img.layers.size(), 2u);
  std::vector<std::string> diff_ids;
  for (const auto& l : img.layers) {
    diff_ids.push_back(l.diff_id);
    ASSERT_TRUE(fsys::is_regular_file(l.file));
    std::string blob = read_file(l.file);
    EXPECT_EQ(blob.size(), static_cast<std::size_t>(l.descriptor.size));
    EXPECT_EQ(l.descriptor.digest, "sha256:" + digest::sha256_hex(blob));
    EXPECT_NE(l.diff_id, l.descriptor.digest);  // the diff_id is of the uncompressed tar
  }
  EXPECT_EQ(img.config.diff_ids(), diff_ids);

  auto history = img.config.history();
  ASSERT_EQ(history.size(), 3u);
  EXPECT_TRUE(history[0].empty_layer);   // ENV
  EXPECT_FALSE(history[1].empty_layer);  // COPY
  EXPECT_FALSE(history[2].empty_layer);  // WORKDIR
  for (const auto& h : history) EXPECT_EQ(h.created, "2026-01-02T03:04:05Z");
  EXPECT_NE(history[1].created_by.find("COPY hello.txt /app/hello.txt"), std::string::npos) << history[1].created_by;

  auto env = img.config.env();
  EXPECT_NE(std::find(env.begin(), env.end(), "GREETING=hi"), env.end());
  EXPECT_EQ(img.config.working_dir(), "/work");
  EXPECT_EQ(read_file(f.env.root / "app/hello.txt"), "hello\n");
  EXPECT_TRUE(fsys::is_directory(f.env.root / "work"));

  ASSERT_EQ(report.steps.size(), 3u);
  EXPECT_TRUE(report.unpacked);
}

TEST(StageBuilder, AStageOnlyCopiedFromGetsNoLayersButKeepsItsTree) {
  Fixture f;
  auto plan = plan_of("FROM scratch AS files\nCOPY hello.txt /hello.txt\nFROM scratch\nCOPY --from=files /hello.txt /x\n");
  engine::StageBuilder builder(f.env, plan);
  const auto& files = builder.build(0, engine::StageRole::CopiedFrom);
  EXPECT_TRUE(files.image.layers.empty());
  ASSERT_FALSE(files.saved_root.empty());
  EXPECT_EQ(read_file(files.saved_root / "hello.txt"), "hello\n");

  // The next stage starts from a wiped root and copies from the kept tree.
  const auto& target = builder.build(1, engine::StageRole::Layered);
  ASSERT_EQ(target.image.layers.size(), 1u);
  EXPECT_EQ(read_file(f.env.root / "x"), "hello\n");
  EXPECT_FALSE(fsys::exists(f.env.root / "hello.txt"));
  EXPECT_EQ(&builder.result(1), &target);
}
