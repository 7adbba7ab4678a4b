#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/error.h"
#include "digest/sha256.h"
#include "fs/root_stash.h"
#include "temp_root.h"

using namespace kiln::fs;
using kiln::fs::test::TempRoot;

namespace {

// Path -> type, mode, owner, mtime (directories) and content or link target,
// with inode numbers made into hard-link groups: all --cleanup must restore.
std::map<std::string, std::string> fingerprint(const std::filesystem::path& dir) {
  std::map<std::string, std::string> m;
  std::map<ino_t, std::string> first_of_inode;
  auto describe = [&](const std::filesystem::path& p, const std::string& rel) {
    struct stat st;
    if (lstat(p.c_str(), &st) != 0) throw std::runtime_error("lstat " + p.string());
    std::string d = std::to_string(st.st_mode & 07777) + " " + std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid);
    if (S_ISLNK(st.st_mode)) return "L " + d + " " + std::filesystem::read_symlink(p).string();
    if (S_ISDIR(st.st_mode)) return "D " + d + " mtime " + std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec);
    std::ifstream f(p, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    std::string link;
    if (st.st_nlink > 1) {
      auto [it, fresh] = first_of_inode.emplace(st.st_ino, rel);
      if (!fresh) link = " = " + it->second;
    }
    return "F " + d + " " + kiln::digest::sha256_hex(ss.str()) + link;
  };
  m[""] = describe(dir, "");
  for (auto it = std::filesystem::recursive_directory_iterator(dir); it != std::filesystem::recursive_directory_iterator(); ++it) {
    auto rel = it->path().lexically_relative(dir).string();
    m[rel] = describe(it->path(), rel);
  }
  return m;
}

void set_mtime(const std::filesystem::path& p, time_t sec) {
  struct timespec t[2] = {{sec, 0}, {sec, 123}};
  ASSERT_EQ(utimensat(AT_FDCWD, p.c_str(), t, AT_SYMLINK_NOFOLLOW), 0);
}

// What a container like kiln's debug image holds, plus the odd cases.
void populate(const TempRoot& r) {
  r.write("kaniko/executor", "ELF executor");
  r.write("busybox/sh", "ELF sh");
  r.write("var/run/sock", "socket-ish");
  r.write("var/lib/dpkg/status", "Package: x");
  r.write("etc/hosts", "127.0.0.1 localhost");  // a bind mount in a container
  r.write("etc/nsswitch.conf", "hosts: files dns");
  chmod((r / "etc/nsswitch.conf").c_str(), 0640);
  r.mkdir("workspace");
  chmod((r / "workspace").c_str(), 0750);
  chown((r / "workspace").c_str(), 1000, 1000);
  r.write("usr/bin/tool", "#!/bin/sh");
  chmod((r / "usr/bin/tool").c_str(), 04755);
  std::filesystem::create_hard_link(r / "usr/bin/tool", r / "usr/bin/tool2");
  r.symlink("usr/bin", "bin");
  chmod((r / "etc").c_str(), 0751);
  set_mtime(r / "workspace", 1000000);
  set_mtime(r / "etc", 2000000);
  set_mtime(r / "var", 3000000);
}

IgnoreList protected_paths() { return IgnoreList({"/kaniko", "/busybox", "/var/run", "/etc/hosts"}); }

// lower/upper/work/merged under a temporary directory; mount() as Docker's
// overlay2 does on most kernels (redirect_dir off); unmounted on scope exit.
struct Overlay {
  TempRoot holder;
  std::filesystem::path lower = holder / "lower", upper = holder / "upper", work = holder / "work",
                        merged = holder / "merged";
  bool mounted = false;
  Overlay() {
    for (const auto& d : {lower, upper, work, merged}) std::filesystem::create_directories(d);
  }
  bool mount() {
    std::string opts = "lowerdir=" + lower.string() + ",upperdir=" + upper.string() + ",workdir=" + work.string() +
                       ",redirect_dir=off";
    mounted = ::mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) == 0;
    return mounted;
  }
  ~Overlay() {
    if (mounted) umount2(merged.c_str(), MNT_DETACH);
  }
};

// What a build does to a root: a base image over it, files of RUN steps,
// modes changed, the container's own files deleted or replaced.
void build_over(const TempRoot& r) {
  r.write("etc/nsswitch.conf", "base image's");
  r.write("etc/passwd", "root:x:0:0");
  r.write("workspace", "now a file");
  r.write("usr/lib/libc.so", "base");
  r.write("var/lib/apt/lists/x", "run");
  chmod((r / "etc").c_str(), 0700);
  chmod(r.path().c_str(), 0700);
}

}  // namespace

TEST(RootStash, TheBuildSeesOnlyProtectedPathsAndTheWayToThem) {
  TempRoot r;
  populate(r);
  auto stash = RootStash::set_aside(r.path(), protected_paths());
  std::set<std::string> seen;
  for (auto it = std::filesystem::recursive_directory_iterator(r.path()); it != std::filesystem::recursive_directory_iterator(); ++it) {
    auto rel = it->path().lexically_relative(r.path()).string();
    if (rel.rfind(".kiln-stash-", 0) == 0) {
      it.disable_recursion_pending();
      continue;
    }
    seen.insert(rel);
  }
  EXPECT_EQ(seen, (std::set<std::string>{"kaniko", "kaniko/executor", "busybox", "busybox/sh", "var", "var/run",
                                         "var/run/sock", "etc", "etc/hosts"}));
  EXPECT_EQ(stash.in_image_path().rfind("/.kiln-stash-", 0), 0u);
  IgnoreList keep = protected_paths();
  keep.add(stash.in_image_path());
  stash.restore(keep);
}

TEST(RootStash, RestorePutsBackContentModesOwnersMtimesAndLinksAndDropsTheBuild) {
  TempRoot r;
  populate(r);
  auto before = fingerprint(r.path());
  auto stash = RootStash::set_aside(r.path(), protected_paths());
  // Set aside whole: one rename each for workspace, usr, bin, etc/nsswitch.conf, var/lib.
  std::vector<std::string> moved;
  for (const auto& e : stash.entries())
    if (e.kind == StashEntry::Kind::Moved) moved.push_back(e.rel);
  EXPECT_THAT(moved, testing::UnorderedElementsAre("workspace", "usr", "bin", "etc/nsswitch.conf", "var/lib"));
  build_over(r);
  IgnoreList keep = protected_paths();
  keep.add(stash.in_image_path());
  stash.restore(keep);
  EXPECT_EQ(fingerprint(r.path()), before);
}

TEST(RootStash, KeptInputsStayInPlaceAndSurviveTheRestoreAsTheBuildLeftThem) {
  TempRoot r;
  populate(r);
  r.write("workspace/ctx/Dockerfile", "FROM scratch");
  r.write("workspace/other", "moved aside");
  IgnoreList keep = protected_paths();
  keep.add("/workspace/ctx");
  auto stash = RootStash::set_aside(r.path(), keep);
  EXPECT_EQ(r.read("workspace/ctx/Dockerfile"), "FROM scratch");
  EXPECT_FALSE(std::filesystem::exists(r / "workspace/other"));
  r.write("workspace/ctx/out", "written by the build");
  keep.add(stash.in_image_path());
  stash.restore(keep);
  EXPECT_EQ(r.read("workspace/other"), "moved aside");
  EXPECT_EQ(r.read("workspace/ctx/out"), "written by the build");
  struct stat st;
  ASSERT_EQ(stat((r / "workspace").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0750u);
  EXPECT_EQ(st.st_uid, 1000u);
}

TEST(RootStash, AnEntryThatCannotMoveFailsNamingItAndPutsEverythingBack) {
  TempRoot r;
  populate(r);
  r.write("mounted", "");
  r.write("src", "bound");
  auto before = fingerprint(r.path());  // compared once the mount is gone again
  // A file bind mount the protected list does not know: renaming it is EBUSY.
  if (mount((r / "src").c_str(), (r / "mounted").c_str(), nullptr, MS_BIND, nullptr) != 0)
    GTEST_SKIP() << "cannot bind-mount here";
  try {
    RootStash::set_aside(r.path(), protected_paths());
    ADD_FAILURE() << "set_aside should have failed";
  } catch (const kiln::IoError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr("/mounted"));
  }
  umount2((r / "mounted").c_str(), MNT_DETACH);
  auto after = fingerprint(r.path());
  // Directories the undo walked through got their mtimes put back too.
  EXPECT_EQ(after, before);
}

// overlayfs without redirect_dir (Docker's overlay2 on most kernels) refuses
// to rename a directory of a lower layer: it is rebuilt in the stash instead.
TEST(RootStash, LowerOverlayDirectoriesAreRebuiltAndComeBackTheSame) {
  Overlay ov;
  const auto& lower = ov.lower;
  const auto& merged = ov.merged;
  {
    TempRoot tmp;
    populate(tmp);
    std::filesystem::copy(tmp.path(), lower, std::filesystem::copy_options::recursive | std::filesystem::copy_options::copy_symlinks);
  }
  // copy() does not keep modes, owners or mtimes: set what populate() set.
  chmod((lower / "workspace").c_str(), 0750);
  chown((lower / "workspace").c_str(), 1000, 1000);
  chmod((lower / "etc").c_str(), 0751);
  set_mtime(lower / "workspace", 1000000);
  if (!ov.mount()) GTEST_SKIP() << "cannot mount overlayfs here";
  auto before = fingerprint(merged);
  auto stash = RootStash::set_aside(merged, protected_paths());
  EXPECT_FALSE(std::filesystem::exists(merged / "workspace"));
  EXPECT_FALSE(std::filesystem::exists(merged / "usr/bin/tool"));
  const std::filesystem::path& m = merged;  // what a build writes
  std::ofstream(m / "etc/nsswitch.conf") << "base image's";
  std::filesystem::create_directories(m / "usr/lib");
  std::ofstream(m / "usr/lib/libc.so") << "base";
  IgnoreList keep = protected_paths();
  keep.add(stash.in_image_path());
  stash.restore(keep);
  EXPECT_EQ(fingerprint(merged), before);
}

// A large lower directory is not copied up file by file: it stays, the build
// sees it, and the restore wipes it (kaniko's behaviour), reporting it.
TEST(RootStash, LargeLowerOverlayDirectoriesStayAndAreReported) {
  Overlay ov;
  const auto& lower = ov.lower;
  const auto& merged = ov.merged;
  std::filesystem::create_directories(lower / "big");
  for (int i = 0; i < 150; ++i) std::ofstream(lower / "big" / ("f" + std::to_string(i))) << i;
  std::filesystem::create_directories(lower / "small");
  std::ofstream(lower / "small/f") << "small";
  std::filesystem::create_directories(lower / "kaniko");
  if (!ov.mount()) GTEST_SKIP() << "cannot mount overlayfs here";
  IgnoreList keep({"/kaniko"});
  auto stash = RootStash::set_aside(merged, keep);
  EXPECT_THAT(stash.left_in_place(), testing::ElementsAre("/big"));
  EXPECT_TRUE(std::filesystem::exists(merged / "big/f7"));
  EXPECT_FALSE(std::filesystem::exists(merged / "small"));
  keep.add(stash.in_image_path());
  stash.restore(keep);
  EXPECT_FALSE(std::filesystem::exists(merged / "big"));
  EXPECT_TRUE(std::filesystem::exists(merged / "small/f"));
}

TEST(RootStash, AncestorsMadeByTheBuildAreTheMissingOnesDeepestFirst) {
  IgnoreList keep({"/kaniko", "/var/run", "/a/b/c/d", "/x/y"});
  keep.add("/x");  // kept itself: never removed, even if new
  std::vector<std::string> existed = {"", "kaniko", "a"};
  EXPECT_EQ(ancestors_made_by_build(keep.entries(), existed, keep),
            (std::vector<std::string>{"a/b/c", "a/b", "var"}));
  EXPECT_TRUE(ancestors_made_by_build({"/top"}, {""}, IgnoreList({"/top"})).empty());
}

TEST(RootStash, AnEmptyParentOfAKeptPathThatTheBuildMadeGoesAway) {
  // kiln's debug image has no /var; the base image brings one, and the wipe
  // must keep it while the build runs (/var/run is protected). After the
  // restore it is gone, as is an empty /opt/x the build made for /opt/x/keep
  // — but not one that holds a kept path, nor one that was there before.
  TempRoot r;
  r.write("kaniko/executor", "ELF executor");
  r.mkdir("etc");
  set_mtime(r / "etc", 2000000);
  IgnoreList keep({"/kaniko", "/var/run", "/opt/x/keep", "/etc/hosts", "/srv/data"});
  auto before = fingerprint(r.path());
  auto stash = RootStash::set_aside(r.path(), keep);
  r.write("var/lib/apt/x", "base");
  r.mkdir("opt/x");
  r.write("srv/data", "a kept file the build wrote");
  r.write("etc/passwd", "root:x:0:0");
  keep.add(stash.in_image_path());
  stash.restore(keep);
  auto after = fingerprint(r.path());
  EXPECT_EQ(after.count("var"), 0u);
  EXPECT_EQ(after.count("opt"), 0u);
  EXPECT_EQ(r.read("srv/data"), "a kept file the build wrote");
  after.erase("srv");
  after.erase("srv/data");
  EXPECT_EQ(after, before);
}
