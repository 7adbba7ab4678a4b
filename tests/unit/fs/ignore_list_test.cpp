#include <gtest/gtest.h>

#include "fs/ignore_list.h"

using namespace kiln::fs;

TEST(Mountinfo, ParsesFieldFiveAndDecodesOctal) {
  const char* text =
      "22 27 0:21 / /proc rw,relatime - proc proc rw\n"
      "27 1 254:0 / / rw,relatime - ext4 /dev/vda rw\n"
      "40 27 0:40 /vol /my\\040volume rw - ext4 /dev/x rw\n"
      "41 27 0:41 /x /back\\134slash rw - ext4 /dev/x rw\n"
      "garbage\n"
      "\n"
      "42 27 0:42 /secrets /run/secrets ro - tmpfs tmpfs ro";
  auto mps = mount_points_from_mountinfo(text);
  ASSERT_EQ(mps.size(), 5u);
  EXPECT_EQ(mps[0], "/proc");
  EXPECT_EQ(mps[1], "/");
  EXPECT_EQ(mps[2], "/my volume");
  EXPECT_EQ(mps[3], "/back\\slash");
  EXPECT_EQ(mps[4], "/run/secrets");
}

TEST(CleanAbs, Normalises) {
  EXPECT_EQ(clean_abs("//a/./b/../c/"), "/a/c");
  EXPECT_EQ(clean_abs("/../../x"), "/x");
  EXPECT_EQ(clean_abs(""), "/");
  EXPECT_EQ(clean_abs("rel/p"), "/rel/p");
}

TEST(IgnoreList, ForBuildHasDefaultsAndMountsButNotRoot) {
  IgnoreList::Options o;
  o.ignore_paths = {"/opt/cache/"};
  auto l = IgnoreList::for_build(o,
                                 "27 1 254:0 / / rw - ext4 /dev/vda rw\n"
                                 "50 27 0:50 / /etc/resolv.conf rw - ext4 /dev/vda rw\n"
                                 "51 27 0:51 / /workspace rw - ext4 /dev/vda rw\n");
  for (const char* p : {"/kaniko", "/busybox", "/proc", "/sys", "/dev", "/var/run", "/etc/resolv.conf", "/workspace",
                        "/opt/cache"})
    EXPECT_TRUE(l.ignored(p)) << p;
  EXPECT_FALSE(l.ignored("/"));
  EXPECT_FALSE(l.ignored("/etc"));
  EXPECT_FALSE(l.ignored("/etc/passwd"));
  EXPECT_FALSE(l.ignored("/usr/bin/sh"));
}

TEST(IgnoreList, BusyboxOnlyWhenTheContainerHasOne) {
  IgnoreList::Options o;
  EXPECT_TRUE(IgnoreList::for_build(o, "").ignored("/busybox/sh"));
  o.ignore_busybox = false;
  auto l = IgnoreList::for_build(o, "");
  EXPECT_FALSE(l.ignored("/busybox"));
  EXPECT_FALSE(l.ignored("/busybox/sh"));
  EXPECT_TRUE(l.ignored("/kaniko"));
}

TEST(IgnoreList, VarRunOptional) {
  IgnoreList::Options o;
  o.ignore_var_run = false;
  o.kaniko_dir = "/custom-kaniko";
  auto l = IgnoreList::for_build(o, "");
  EXPECT_FALSE(l.ignored("/var/run"));
  EXPECT_FALSE(l.ignored("/kaniko"));
  EXPECT_TRUE(l.ignored("/custom-kaniko/executor"));
}

TEST(IgnoreList, MatchesAtComponentBoundariesOnly) {
  IgnoreList l({"/var/run", "/kaniko"});
  EXPECT_TRUE(l.ignored("/var/run"));
  EXPECT_TRUE(l.ignored("/var/run/"));
  EXPECT_TRUE(l.ignored("/var/run/docker.sock"));
  EXPECT_TRUE(l.ignored("/kaniko/a/b/c"));
  EXPECT_FALSE(l.ignored("/var/runner"));
  EXPECT_FALSE(l.ignored("/var/ru"));
  EXPECT_FALSE(l.ignored("/var"));
  EXPECT_FALSE(l.ignored("/kaniko2"));
  EXPECT_FALSE(l.ignored("/kanik"));
}

TEST(IgnoreList, AncestorsOfIgnored) {
  IgnoreList l({"/var/run", "/a/b/c"});
  EXPECT_TRUE(l.is_ancestor_of_ignored("/"));
  EXPECT_TRUE(l.is_ancestor_of_ignored("/var"));
  EXPECT_TRUE(l.is_ancestor_of_ignored("/a"));
  EXPECT_TRUE(l.is_ancestor_of_ignored("/a/b"));
  EXPECT_FALSE(l.is_ancestor_of_ignored("/a/b/c"));  // the entry itself is not a strict ancestor
  EXPECT_FALSE(l.is_ancestor_of_ignored("/var/run"));
  EXPECT_FALSE(l.is_ancestor_of_ignored("/usr"));
  EXPECT_FALSE(l.is_ancestor_of_ignored("/va"));
}

TEST(IgnoreList, RootEntryIsDropped) {
  IgnoreList l({"/", "/x/.."});
  EXPECT_TRUE(l.entries().empty());
  EXPECT_FALSE(l.ignored("/etc"));
}

TEST(IgnoreList, EmptyListIgnoresNothing) {
  IgnoreList l;
  EXPECT_FALSE(l.ignored("/proc"));
  EXPECT_FALSE(l.is_ancestor_of_ignored("/"));
}

TEST(IgnoreList, FromProcIncludesThisProcessMounts) {
  auto l = IgnoreList::for_build_from_proc({});
  EXPECT_TRUE(l.ignored("/proc/self"));
  EXPECT_FALSE(l.ignored("/"));
}
