#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "base/error.h"
#include "fs/tree_copy.h"
#include "temp_root.h"

namespace fsys = std::filesystem;

TEST(TreeCopy, KeepsOwnersModesTimesAndLinksButNeverSharesAnInode) {
  kiln::fs::test::TempRoot t;
  fsys::path src = t.path() / "src";
  fsys::create_directories(src / "sub");
  std::ofstream(src / "sub" / "f") << "data";
  ::chown((src / "sub" / "f").c_str(), 1000, 1001);
  ::chmod((src / "sub" / "f").c_str(), 04750);
  ::chmod((src / "sub").c_str(), 0710);
  fsys::create_symlink("sub/f", src / "link");
  struct timespec old[2] = {{1000000, 0}, {1000000, 5}};
  ::utimensat(AT_FDCWD, (src / "sub").c_str(), old, 0);

  kiln::fs::copy_tree_exact(src, t.path() / "dst");
  struct stat a, b;
  ASSERT_EQ(::lstat((t.path() / "dst" / "sub" / "f").c_str(), &b), 0);
  ASSERT_EQ(::lstat((src / "sub" / "f").c_str(), &a), 0);
  EXPECT_EQ(b.st_uid, 1000u);
  EXPECT_EQ(b.st_gid, 1001u);
  EXPECT_EQ(b.st_mode & 07777, 04750u) << "setuid survives (chown before chmod)";
  EXPECT_NE(a.st_ino, b.st_ino);
  EXPECT_EQ(fsys::read_symlink(t.path() / "dst" / "link"), "sub/f");
  ASSERT_EQ(::lstat((t.path() / "dst" / "sub").c_str(), &b), 0);
  EXPECT_EQ(b.st_mode & 07777, 0710u);
  EXPECT_EQ(b.st_mtim.tv_sec, 1000000);
  std::ofstream(t.path() / "dst" / "sub" / "f") << "changed";
  std::ifstream in(src / "sub" / "f");
  std::string s;
  in >> s;
  EXPECT_EQ(s, "data") << "writing the copy leaves the source alone";
  EXPECT_THROW(kiln::fs::copy_tree_exact(t.path() / "missing", t.path() / "x"), kiln::IoError);
}
