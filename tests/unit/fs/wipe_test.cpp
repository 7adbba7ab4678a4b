#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/mount.h>

#include <map>

#include "base/error.h"
#include "digest/sha256.h"
#include "fs/wipe.h"
#include "temp_root.h"

using namespace kiln::fs;
using kiln::fs::test::TempRoot;

namespace {

// Path -> type + contents (or link target) of everything under dir.
std::map<std::string, std::string> fingerprint(const std::filesystem::path& dir) {
  std::map<std::string, std::string> m;
  for (auto it = std::filesystem::recursive_directory_iterator(dir); it != std::filesystem::recursive_directory_iterator();
       ++it) {
    auto rel = std::filesystem::relative(it->path(), dir).string();
    auto st = it->symlink_status();
    if (std::filesystem::is_symlink(st))
      m[rel] = "L" + std::filesystem::read_symlink(it->path()).string();
    else if (std::filesystem::is_directory(st))
      m[rel] = "D";
    else {
      std::ifstream f(it->path(), std::ios::binary);
      std::stringstream ss;
      ss << f.rdbuf();
      m[rel] = "F" + kiln::digest::sha256_hex(ss.str());
    }
  }
  return m;
}

}  // namespace

TEST(Wipe, KeepsOnlyIgnoredContentAndTheWayToIt) {
  TempRoot r;
  r.write("kaniko/executor", "ELF executor");
  r.write("kaniko/.docker/config.json", "{}");
  r.write("busybox/sh", "ELF sh");
  r.write("var/run/x", "socket-ish");
  r.write("var/lib/y", "gone");
  r.write("var/z", "gone");
  r.write("etc/passwd", "root");
  r.write("usr/bin/deep/er/file", "gone");
  r.symlink("/kaniko", "evil");
  r.symlink("/", "etc2");
  r.symlink("../../..", "usr/up");
  r.symlink("/kaniko/executor", "var/lib/exe");
  auto before = fingerprint(r.path());
  IgnoreList ignore({"/kaniko", "/busybox", "/var/run"});
  wipe_root(r.path(), ignore);
  auto after = fingerprint(r.path());
  std::map<std::string, std::string> expected;
  for (auto& [k, v] : before)
    if (k == "var" || k.rfind("kaniko", 0) == 0 || k.rfind("busybox", 0) == 0 || k.rfind("var/run", 0) == 0)
      expected[k] = v;
  EXPECT_EQ(after, expected);
  EXPECT_TRUE(std::filesystem::exists(r / "kaniko/executor"));
  EXPECT_EQ(r.read("kaniko/executor"), "ELF executor");
}

TEST(Wipe, SymlinkOnTheWayToAnIgnoredPathStays) {
  TempRoot r;
  r.write("run/x", "target");
  r.symlink("../run", "var/run");
  r.write("var/other", "gone");
  wipe_root(r.path(), IgnoreList({"/var/run"}));
  EXPECT_TRUE(std::filesystem::is_symlink(r / "var/run"));
  EXPECT_FALSE(std::filesystem::exists(r / "var/other"));
  EXPECT_FALSE(std::filesystem::exists(r / "run"));  // not ignored itself
}

TEST(Wipe, EmptyIgnoreListEmptiesTheRoot) {
  TempRoot r;
  r.write("a/b/c", "x");
  r.symlink("/etc", "l");
  wipe_root(r.path(), IgnoreList{});
  EXPECT_TRUE(std::filesystem::is_empty(r.path()));
  EXPECT_TRUE(std::filesystem::exists(r.path()));
}

TEST(Wipe, MissingRootThrowsNamingIt) {
  EXPECT_THROW(wipe_root("/nonexistent/kiln-wipe", IgnoreList{}), kiln::IoError);
}

TEST(Wipe, DoesNotEnterAMountTheListMissed) {
  TempRoot r;
  r.mkdir("mnt/m");
  r.write("mnt/other", "gone");
  if (mount("tmpfs", (r / "mnt/m").c_str(), "tmpfs", 0, "size=1m") != 0) GTEST_SKIP() << "cannot mount tmpfs here";
  r.write("mnt/m/data", "keep");
  try {
    wipe_root(r.path(), IgnoreList{});
  } catch (const kiln::IoError&) {
    // The mount point itself cannot be removed: reported, not hidden.
  }
  EXPECT_EQ(r.read("mnt/m/data"), "keep");
  EXPECT_FALSE(std::filesystem::exists(r / "mnt/other"));
  umount2((r / "mnt/m").c_str(), MNT_DETACH);
}
