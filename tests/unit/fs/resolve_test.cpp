#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "base/error.h"
#include "fs/resolve.h"
#include "temp_root.h"

using namespace kiln::fs;
using kiln::fs::test::TempRoot;

TEST(Resolve, AbsoluteLinkTargetsStayInRoot) {
  TempRoot r;
  r.mkdir("run");
  r.symlink("/run", "var/run");
  r.symlink("/", "etc2");
  EXPECT_EQ(resolve_image_path(r.path(), "/var/run/x", true), "/run/x");
  EXPECT_EQ(resolve_in_root(r.path(), "/var/run/x", false), r.path() / "run/x");
  EXPECT_EQ(resolve_image_path(r.path(), "/etc2/etc2/etc2/passwd", true), "/passwd");
}

TEST(Resolve, DotDotClampsAtRoot) {
  TempRoot r;
  r.symlink("../../../../outside", "up");
  r.mkdir("a/b");
  EXPECT_EQ(resolve_image_path(r.path(), "/../../etc/passwd", true), "/etc/passwd");
  EXPECT_EQ(resolve_image_path(r.path(), "/up/x", true), "/outside/x");
  EXPECT_EQ(resolve_image_path(r.path(), "/a/b/../../..", true), "/");
}

TEST(Resolve, FinalLinkFollowedOnlyWhenAsked) {
  TempRoot r;
  r.write("real", "x");
  r.symlink("real", "l");
  EXPECT_EQ(resolve_image_path(r.path(), "/l", false), "/l");
  EXPECT_EQ(resolve_image_path(r.path(), "/l", true), "/real");
}

TEST(Resolve, DotDotAfterLinkGoesToTheTargetsParent) {
  TempRoot r;
  r.mkdir("x/y");
  r.symlink("/x/y", "l");
  EXPECT_EQ(resolve_image_path(r.path(), "/l/../z", true), "/x/z");
}

TEST(Resolve, LoopIsAnError) {
  TempRoot r;
  r.symlink("b", "a");
  r.symlink("a", "b");
  EXPECT_THROW(resolve_in_root(r.path(), "/a/x", true), kiln::IoError);
}

TEST(Resolve, FileUsedAsDirectoryIsAnError) {
  TempRoot r;
  r.write("f", "x");
  EXPECT_THROW(resolve_in_root(r.path(), "/f/x/y", true), kiln::IoError);
}

TEST(ResolveBeneath, RefusesEscapes) {
  TempRoot r;
  r.write("ctx/file", "x");
  r.symlink("../..", "ctx/up");
  r.symlink("/etc/passwd", "ctx/abs");
  r.symlink("file", "ctx/ok");
  auto ctx = r.path() / "ctx";
  EXPECT_EQ(resolve_beneath(ctx, "ok", true), ctx / "file");
  EXPECT_EQ(resolve_beneath(ctx, "/ok", true), ctx / "file");
  EXPECT_THROW(resolve_beneath(ctx, "../x", true), kiln::UsageError);
  EXPECT_THROW(resolve_beneath(ctx, "up/x", true), kiln::UsageError);
  EXPECT_THROW(resolve_beneath(ctx, "abs", true), kiln::UsageError);
  EXPECT_EQ(resolve_beneath(ctx, "abs", false), ctx / "abs");  // not followed: fine
}

TEST(MkdirAll, CreatesMissingWithOwnerAndModeLeavesExisting) {
  TempRoot r;
  r.mkdir("exists");
  ASSERT_EQ(chmod((r / "exists").c_str(), 0700), 0);
  r.symlink("/real", "link");
  uid_t u = geteuid() == 0 ? 1234 : geteuid();
  gid_t g = geteuid() == 0 ? 4321 : getegid();
  mkdir_all(r.path(), "/exists/new/deeper", u, g, 0750);
  struct stat st;
  ASSERT_EQ(stat((r / "exists").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  ASSERT_EQ(stat((r / "exists/new/deeper").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, u);
  EXPECT_EQ(st.st_gid, g);
  // Through a dangling absolute link: created inside root, at the target.
  mkdir_all(r.path(), "/link/sub", u, g, 0755);
  EXPECT_TRUE(std::filesystem::is_directory(r / "real/sub"));
  EXPECT_TRUE(std::filesystem::is_symlink(r / "link"));
}

TEST(MkdirAll, ExistingFileOnTheWayIsAnError) {
  TempRoot r;
  r.write("f", "x");
  try {
    mkdir_all(r.path(), "/f/sub", 0, 0);
    FAIL();
  } catch (const kiln::IoError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("/f"));
  }
}
