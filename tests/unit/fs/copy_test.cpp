#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include <cstring>
#include <unistd.h>

#include "base/error.h"
#include "fs/copy.h"
#include "stat_nanoseconds.h"
#include "temp_root.h"
#include "support/usage_error.h"

using namespace kiln::fs;
using kiln::fs::test::stat_reports_nanoseconds;
using kiln::fs::test::TempRoot;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

namespace {

struct Fixture {
  TempRoot ctx;
  TempRoot root;
  CopyOptions opts;
  Fixture() {
    // Default owner is 0:0; a non-root test run owns nothing else.
    if (geteuid() != 0) {
      opts.uid = geteuid();
      opts.gid = getegid();
    }
  }
  std::vector<std::string> copy(std::vector<std::string> srcs, std::string dest) {
    return copy_into_root(ctx.path(), srcs, dest, root.path(), opts);
  }
};

struct stat lst(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(lstat(p.c_str(), &st), 0) << p;
  return st;
}

std::string usage_error(const std::function<void()>& f) { return kiln::testing::usage_error_of(f); }

}  // namespace

TEST(Copy, FileToNewNameAndIntoDirectory) {
  Fixture f;
  f.ctx.write("a.txt", "A");
  f.root.mkdir("existing");
  EXPECT_THAT(f.copy({"a.txt"}, "/new/name"), ElementsAre("/new/name"));
  EXPECT_EQ(f.root.read("new/name"), "A");
  EXPECT_THAT(f.copy({"a.txt"}, "/dir/"), ElementsAre("/dir/a.txt"));
  EXPECT_THAT(f.copy({"a.txt"}, "/existing"), ElementsAre("/existing/a.txt"));
}

TEST(Copy, DirectoryCopiesItsContents) {
  Fixture f;
  f.ctx.write("src/x", "X");
  f.ctx.write("src/sub/y", "Y");
  auto w = f.copy({"src"}, "/app");
  EXPECT_THAT(w, ElementsAre("/app/sub", "/app/sub/y", "/app/x"));
  EXPECT_EQ(f.root.read("app/x"), "X");
  EXPECT_FALSE(std::filesystem::exists(f.root / "app/src"));
}

TEST(Copy, SeveralSourcesNeedADirectoryDest) {
  Fixture f;
  f.ctx.write("a", "1");
  f.ctx.write("b", "2");
  EXPECT_THAT(usage_error([&] { f.copy({"a", "b"}, "/file"); }), HasSubstr("must be a directory"));
  EXPECT_FALSE(std::filesystem::exists(f.root / "file"));
  f.copy({"a", "b"}, "/d/");
  EXPECT_EQ(f.root.read("d/b"), "2");
}

TEST(Copy, Wildcards) {
  Fixture f;
  f.ctx.write("x1.txt", "1");
  f.ctx.write("x2.txt", "2");
  f.ctx.write(".hidden.txt", "h");
  f.ctx.write("y.md", "m");
  f.ctx.write("dir1/in", "i");
  EXPECT_THAT(usage_error([&] { f.copy({"*.txt"}, "/out"); }), HasSubstr("must be a directory"));
  EXPECT_THAT(f.copy({"*.txt"}, "/out/"), ElementsAre("/out/.hidden.txt", "/out/x1.txt", "/out/x2.txt"));
  EXPECT_THAT(f.copy({"x[2]*"}, "/single"), ElementsAre("/single"));  // one match: a name, as Docker does
  EXPECT_THAT(f.copy({"dir?"}, "/d/"), ElementsAre("/d/in"));         // a matched dir copies its contents
  EXPECT_THAT(usage_error([&] { f.copy({"*.none"}, "/o/"); }), HasSubstr("no source files were specified"));
}

TEST(Copy, SourcesMayNotEscapeTheContext) {
  TempRoot outside;
  Fixture f;
  f.ctx.write("ok", "x");
  f.ctx.symlink(outside.path().string(), "abs-out");
  f.ctx.symlink("../../etc", "rel-out");
  EXPECT_THAT(usage_error([&] { f.copy({"../x"}, "/d/"); }), HasSubstr("outside the build context"));
  EXPECT_THAT(usage_error([&] { f.copy({"abs-out"}, "/d/"); }), HasSubstr("outside the build context"));
  EXPECT_THAT(usage_error([&] { f.copy({"rel-out/passwd"}, "/d/"); }), HasSubstr("outside the build context"));
  EXPECT_THAT(usage_error([&] { f.copy({"missing"}, "/d/"); }), HasSubstr("missing"));
  EXPECT_FALSE(std::filesystem::exists(f.root / "d"));
}

TEST(Copy, SymlinkArgumentIsFollowedInnerLinksAreKept) {
  Fixture f;
  f.ctx.write("real.txt", "R");
  f.ctx.symlink("real.txt", "link.txt");
  f.ctx.write("dir/file", "F");
  f.ctx.symlink("/etc/passwd", "dir/abs-link");
  f.ctx.symlink("file", "dir/rel-link");
  f.copy({"link.txt"}, "/out/");
  EXPECT_FALSE(std::filesystem::is_symlink(f.root / "out/link.txt"));
  EXPECT_EQ(f.root.read("out/link.txt"), "R");
  f.copy({"dir"}, "/d");
  EXPECT_TRUE(std::filesystem::is_symlink(f.root / "d/abs-link"));
  EXPECT_EQ(std::filesystem::read_symlink(f.root / "d/abs-link"), "/etc/passwd");
  EXPECT_EQ(std::filesystem::read_symlink(f.root / "d/rel-link"), "file");
}

TEST(Copy, DestinationLinksResolveInsideRoot) {
  Fixture f;
  f.ctx.write("a", "A");
  TempRoot victim;
  f.root.symlink(victim.path().string(), "escape");  // absolute host path: inside root it means /<that path>
  f.root.symlink("/", "up");
  f.copy({"a"}, "/escape/");
  EXPECT_FALSE(std::filesystem::exists(victim / "a"));
  EXPECT_TRUE(std::filesystem::exists(f.root.path().string() + victim.path().string() + "/a"));
  f.copy({"a"}, "/up/up/../b");
  EXPECT_EQ(f.root.read("b"), "A");
}

TEST(Copy, OverwritesFileAndReplacesLinkNotItsTarget) {
  Fixture f;
  f.ctx.write("a", "NEW");
  f.root.write("target", "KEEP");
  f.root.symlink("/target", "d/a");
  f.copy({"a"}, "/d/");
  EXPECT_FALSE(std::filesystem::is_symlink(f.root / "d/a"));
  EXPECT_EQ(f.root.read("d/a"), "NEW");
  EXPECT_EQ(f.root.read("target"), "KEEP");
}

TEST(Copy, OwnershipModesTimes) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to chown";
  Fixture f;
  f.ctx.write("bin/tool", "#!");
  ASSERT_EQ(chown((f.ctx / "bin/tool").c_str(), 777, 777), 0);
  ASSERT_EQ(chmod((f.ctx / "bin/tool").c_str(), 04755), 0);  // after chown, which clears setuid
  struct timespec ts[2] = {{1000000000, 0}, {1000000000, 123}};
  ASSERT_EQ(utimensat(AT_FDCWD, (f.ctx / "bin/tool").c_str(), ts, 0), 0);
  f.copy({"bin"}, "/usr/local/bin");
  auto st = lst(f.root / "usr/local/bin/tool");
  EXPECT_EQ(st.st_uid, 0u);  // not the context's owner
  EXPECT_EQ(st.st_gid, 0u);
  EXPECT_EQ(st.st_mode & 07777, 04755u);
  EXPECT_EQ(st.st_mtim.tv_sec, 1000000000);
  // (qemu-user's s390x target leaves the nanoseconds unreported: stat_nanoseconds.h)
  if (stat_reports_nanoseconds()) EXPECT_EQ(st.st_mtim.tv_nsec, 123);

  f.opts.uid = 1000;
  f.opts.gid = 2000;
  f.opts.chmod = ChmodSpec::parse("0640");
  f.ctx.write("tree/sub/file", "x");
  f.copy({"tree"}, "/new/parent/dest");
  for (const char* p : {"new", "new/parent", "new/parent/dest"}) {
    auto d = lst(f.root / p);
    EXPECT_EQ(d.st_uid, 1000u) << p;  // created parents take the --chown owner (BuildKit)
    EXPECT_EQ(d.st_mode & 07777, 0755u) << p;
  }
  auto sub = lst(f.root / "new/parent/dest/sub");
  EXPECT_EQ(sub.st_mode & 07777, 0640u);
  auto file = lst(f.root / "new/parent/dest/sub/file");
  EXPECT_EQ(file.st_uid, 1000u);
  EXPECT_EQ(file.st_gid, 2000u);
  EXPECT_EQ(file.st_mode & 07777, 0640u);

  CopyOptions only_uid;
  only_uid.uid = 42;
  copy_into_root(f.ctx.path(), {"bin/tool"}, "/t", f.root.path(), only_uid);
  EXPECT_EQ(lst(f.root / "t").st_gid, 42u);
}

TEST(Copy, ExcludedPathsAndExceptions) {
  Fixture f;
  f.ctx.write("keep.txt", "k");
  f.ctx.write("secret.env", "s");
  f.ctx.write("node_modules/pkg/index.js", "n");
  f.ctx.write("node_modules/keep-me/a", "a");
  f.opts.excluded = [](std::string_view rel) {
    if (rel == "secret.env") return true;
    if (rel.rfind("node_modules/keep-me", 0) == 0) return false;
    return rel.rfind("node_modules", 0) == 0;
  };
  f.copy({"."}, "/app");
  EXPECT_TRUE(std::filesystem::exists(f.root / "app/keep.txt"));
  EXPECT_FALSE(std::filesystem::exists(f.root / "app/secret.env"));
  EXPECT_FALSE(std::filesystem::exists(f.root / "app/node_modules/pkg"));
  EXPECT_EQ(f.root.read("app/node_modules/keep-me/a"), "a");
}

TEST(Copy, ParentsKeepsSourcePaths) {
  Fixture f;
  f.ctx.write("x/a.txt", "1");
  f.ctx.write("y/a.txt", "2");
  f.opts.parents = true;
  EXPECT_THAT(f.copy({"x/a.txt", "y/a.txt"}, "/p/"), ElementsAre("/p/x/a.txt", "/p/y/a.txt"));
  EXPECT_EQ(f.root.read("p/y/a.txt"), "2");
}

TEST(Copy, FileOverDirectoryIsAnError) {
  Fixture f;
  f.ctx.write("src/d", "file now");
  f.root.write("dst/d/child", "old");
  EXPECT_THROW(f.copy({"src"}, "/dst"), kiln::IoError);
}

TEST(Copy, IgnoredDestinationsAreSkipped) {
  Fixture f;
  f.ctx.write("kaniko/executor", "evil");
  f.ctx.write("etc/app.conf", "ok");
  f.ctx.write("x", "x");
  f.root.write("kaniko/executor", "real");
  f.root.mkdir("run");
  f.root.symlink("/run", "var/run");
  f.opts.ignore = IgnoreList({"/kaniko", "/run"});
  auto w = f.copy({"."}, "/");
  EXPECT_EQ(f.root.read("kaniko/executor"), "real");
  EXPECT_EQ(f.root.read("etc/app.conf"), "ok");
  f.copy({"x"}, "/var/run/");  // resolves to the ignored /run
  EXPECT_FALSE(std::filesystem::exists(f.root / "run/x"));
  EXPECT_THAT(w, ElementsAre("/etc", "/etc/app.conf", "/x"));
}

TEST(Copy, ReturnedPathsAreInImageWhateverTheRootSpelling) {
  Fixture f;
  f.ctx.write("a", "A");
  auto w = copy_into_root(f.ctx.path(), {"a"}, "/x/", f.root.path().string() + "/", f.opts);
  EXPECT_THAT(w, ElementsAre("/x/a"));
}

TEST(Copy, ExcludedSourcesAndAllOrNothingSourceChecks) {
  Fixture f;
  f.ctx.write("a.txt", "a");
  f.ctx.write("b.txt", "b");
  f.ctx.symlink("/etc/passwd", "out");
  f.opts.excluded = [](std::string_view rel) { return rel == "b.txt"; };
  EXPECT_THAT(usage_error([&] { f.copy({"b.txt"}, "/d/"); }), HasSubstr("b.txt"));
  EXPECT_THAT(f.copy({"*.txt"}, "/d/"), ElementsAre("/d/a.txt"));
  // The escaping second source is refused before the first is written.
  EXPECT_THAT(usage_error([&] { f.copy({"a.txt", "out"}, "/e/"); }), HasSubstr("outside the build context"));
  EXPECT_FALSE(std::filesystem::exists(f.root / "e"));
}

// Files are written by a pool of threads: a tree large enough to keep them
// all busy comes out whole, with every file's content, mode and mtime, and
// directory mtimes that the files written into them did not disturb.
TEST(Copy, LargeTreeThroughTheWritePool) {
  Fixture f;
  for (int d = 0; d < 40; ++d)
    for (int i = 0; i < 50; ++i)
      f.ctx.write("tree/d" + std::to_string(d) + "/f" + std::to_string(i), "content " + std::to_string(d * 100 + i));
  chmod((f.ctx.path() / "tree/d7/f3").c_str(), 04751);
  struct timespec old_times[2] = {{1000000, 0}, {1000000, 0}};
  for (int d = 0; d < 40; ++d)
    ASSERT_EQ(utimensat(AT_FDCWD, (f.ctx.path() / ("tree/d" + std::to_string(d))).c_str(), old_times, 0), 0);
  auto written = f.copy({"tree"}, "/out");
  EXPECT_EQ(written.size(), 40u * 51u);
  for (int d = 0; d < 40; ++d) {
    std::string dir = "out/d" + std::to_string(d);
    EXPECT_EQ(lst(f.root.path() / dir).st_mtim.tv_sec, 1000000) << dir;
    for (int i = 0; i < 50; ++i)
      ASSERT_EQ(f.root.read(dir + "/f" + std::to_string(i)), "content " + std::to_string(d * 100 + i));
  }
  EXPECT_EQ(lst(f.root.path() / "out/d7/f3").st_mode & 07777, 04751u);
}

// Two sources with one base name: the later one wins, never a race between
// two writers of the same path.
TEST(Copy, SameNameFromTwoSourcesLastWins) {
  Fixture f;
  for (int round = 0; round < 20; ++round) {
    f.ctx.write("a/same", "first " + std::to_string(round));
    f.ctx.write("b/same", "second " + std::to_string(round));
    f.copy({"a/", "b/"}, "/dest/");
    ASSERT_EQ(f.root.read("dest/same"), "second " + std::to_string(round));
  }
}

// A write that fails on a pool thread fails the COPY with its own message.
TEST(Copy, AFailedPoolWriteFailsTheCopy) {
  Fixture f;
  f.ctx.write("src/x", "X");
  f.ctx.write("src/y", "Y");
  f.root.mkdir("dest/y");  // a directory where the file y must go
  f.root.write("dest/y/keep", "k");
  try {
    f.copy({"src"}, "/dest");
    FAIL() << "copy over a directory succeeded";
  } catch (const kiln::IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr("dest/y"));
  }
  EXPECT_EQ(f.root.read("dest/y/keep"), "k");
}

TEST(Copy, HardLinkGroupsStayOneInodeWithinASource) {
  Fixture f;
  f.ctx.write("s/a", "data");
  f.ctx.mkdir("s/d");
  ASSERT_EQ(link((f.ctx / "s/a").c_str(), (f.ctx / "s/b").c_str()), 0);
  ASSERT_EQ(link((f.ctx / "s/a").c_str(), (f.ctx / "s/d/c").c_str()), 0);
  f.copy({"s"}, "/dst/");
  auto a = lst(f.root / "dst/a");
  EXPECT_EQ(a.st_nlink, 3u);
  EXPECT_EQ(lst(f.root / "dst/b").st_ino, a.st_ino);
  EXPECT_EQ(lst(f.root / "dst/d/c").st_ino, a.st_ino);
  EXPECT_EQ(f.root.read("dst/d/c"), "data");
  // Two sources naming one inode: separate files, as BuildKit copies each source on its own.
  f.copy({"s/a", "s/b"}, "/two/");
  EXPECT_NE(lst(f.root / "two/a").st_ino, lst(f.root / "two/b").st_ino);
  EXPECT_EQ(lst(f.root / "two/a").st_nlink, 1u);
}

TEST(Copy, KeepOwnerTakesEachSourceOwnerUnlessChowned) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to own files as others";
  Fixture f;
  f.ctx.write("s/suid", "x");
  f.ctx.mkdir("s/d");
  ASSERT_EQ(lchown((f.ctx / "s/suid").c_str(), 123, 456), 0);
  ASSERT_EQ(chmod((f.ctx / "s/suid").c_str(), 04755), 0);
  ASSERT_EQ(lchown((f.ctx / "s/d").c_str(), 7, 8), 0);
  f.opts.keep_owner = true;
  f.copy({"s"}, "/new/dst/");
  auto st = lst(f.root / "new/dst/suid");
  EXPECT_EQ(st.st_uid, 123u);
  EXPECT_EQ(st.st_gid, 456u);
  EXPECT_EQ(st.st_mode & 07777, 04755u);  // chown before chmod: setuid survives
  EXPECT_EQ(lst(f.root / "new/dst/d").st_uid, 7u);
  EXPECT_EQ(lst(f.root / "new").st_uid, 0u);  // created parents: 0:0
  f.opts.uid = 1000;  // --chown wins over keep_owner
  f.copy({"s/suid"}, "/chowned");
  EXPECT_EQ(lst(f.root / "chowned").st_uid, 1000u);
}

TEST(Copy, ExtendedAttributesGoWithTheFile) {
  Fixture f;
  f.ctx.write("f", "x");
  if (setxattr((f.ctx / "f").c_str(), "user.note", "hello", 5, 0) != 0) GTEST_SKIP() << "no user xattrs here";
  bool cap = geteuid() == 0;
  const unsigned char cap_raw[20] = {1, 0, 0, 2, 0, 0x20, 0, 0};
  if (cap) {
    ASSERT_EQ(setxattr((f.ctx / "f").c_str(), "security.capability", cap_raw, sizeof cap_raw, 0), 0);
  }
  f.opts.uid = 1000;  // a chown clears a capability: it must be set after
  f.copy({"f"}, "/g");
  char buf[32] = {};
  EXPECT_EQ(getxattr((f.root / "g").c_str(), "user.note", buf, sizeof buf), 5);
  EXPECT_EQ(std::string(buf, 5), "hello");
  if (cap) {
    unsigned char got[20] = {};
    EXPECT_EQ(getxattr((f.root / "g").c_str(), "security.capability", got, sizeof got), 20);
    EXPECT_EQ(std::memcmp(got, cap_raw, 20), 0);
  }
}

TEST(Copy, ParentsPivotKeepsThePathAfterIt) {
  Fixture f;
  f.ctx.write("src/app/main.go", "m");
  f.ctx.write("src/app/util.go", "u");
  f.ctx.write("src/app/README", "r");
  f.ctx.write("a/b/1.txt", "1");
  f.opts.parents = true;
  EXPECT_THAT(f.copy({"./src/./app/*.go"}, "/dst/"), ElementsAre("/dst/app/main.go", "/dst/app/util.go"));
  EXPECT_THAT(f.copy({"src/./app"}, "/dir/"), ElementsAre("/dir/app/README", "/dir/app/main.go", "/dir/app/util.go"));
  EXPECT_THAT(f.copy({"a/*/1.txt"}, "/w/"), ElementsAre("/w/a/b/1.txt"));
  EXPECT_THAT(f.copy({"a/b/./1.txt"}, "/p/"), ElementsAre("/p/1.txt"));
}
