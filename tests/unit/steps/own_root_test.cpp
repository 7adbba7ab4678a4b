// What a RUN in a stage's own root gets mounted, and the leak check after it.
#include "steps/own_root.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "support/temp_dir.h"

using namespace kiln;
namespace fsys = std::filesystem;

namespace {

std::string mountinfo_line(int id, const std::string& point) {
  return std::to_string(id) + " 1 0:1 / " + point + " rw,relatime shared:1 - ext4 /dev/x rw\n";
}

}  // namespace

TEST(OwnRootMounts, ProcDevAndTheContainersRuntimeFilesInsideTheRoot) {
  kiln::testing::TempDir tmp{"kiln-own-root"};
  fsys::path root = tmp.path() / "root";
  fsys::create_directories(root / "etc");
  fs::IgnoreList ignore;
  ignore.add("/etc/resolv.conf");  // a runtime mount of the container
  auto ops = steps::own_root_mounts(root, &ignore);
  ASSERT_GE(ops.size(), 2u);
  EXPECT_EQ(ops[0].kind, proc::MountOp::Kind::Proc);
  EXPECT_EQ(ops[0].target, (root / "proc").string());
  EXPECT_TRUE(fsys::is_directory(root / "proc"));
  EXPECT_EQ(ops[1].kind, proc::MountOp::Kind::Bind);
  EXPECT_EQ(ops[1].source, "/dev");
  EXPECT_EQ(ops[1].target, (root / "dev").string());
  bool resolv = false, hosts = false;
  for (const auto& op : ops) {
    resolv |= op.source == "/etc/resolv.conf";
    hosts |= op.source == "/etc/hosts";
  }
  // Only what the snapshot skips is bound in: /etc/hosts is not ignored here.
  EXPECT_FALSE(hosts);
  if (fsys::is_regular_file("/etc/resolv.conf")) {
    EXPECT_TRUE(resolv);
    EXPECT_TRUE(fsys::is_regular_file(root / "etc/resolv.conf"));
  }
}

TEST(OwnRootMounts, AnImageSymlinkNeverLeadsAMountPointOutOfTheRoot) {
  kiln::testing::TempDir tmp{"kiln-own-root"};
  fsys::path root = tmp.path() / "root";
  fsys::path outside = tmp.path() / "outside";
  fsys::create_directories(root);
  fsys::create_directories(outside);
  fsys::create_directory_symlink(outside, root / "proc");
  auto ops = steps::own_root_mounts(root, nullptr);
  for (const auto& op : ops) {
    EXPECT_EQ(op.target.rfind(root.string() + "/", 0), 0u) << op.target;
  }
  EXPECT_TRUE(fsys::is_empty(outside));
}

TEST(DetachLeakedMounts, OnlyTheRootAndWhatIsBelowItInnermostFirst) {
  std::string root = "/kaniko/work/b/roots/1";
  std::string info = mountinfo_line(1, "/") + mountinfo_line(2, "/kaniko/work/b/roots") +
                     mountinfo_line(3, root + "/proc") + mountinfo_line(4, root + "/dev") +
                     mountinfo_line(5, "/kaniko/work/b/roots/10/proc") + mountinfo_line(6, "/dev");
  auto leaked = steps::detach_leaked_mounts(root, info);
  EXPECT_EQ(leaked, (std::vector<std::string>{root + "/dev", root + "/proc"}));
  EXPECT_TRUE(steps::detach_leaked_mounts(root, mountinfo_line(1, "/") + mountinfo_line(2, "/dev")).empty());
}

TEST(ContainerVolumes, TheContainersMountsButNotKernelFilesystemsNorTheKanikoDir) {
  std::string root = "/kaniko/work/b/roots/1";
  std::string info;
  int id = 1;
  for (const char* p : {"/", "/proc", "/proc/sys", "/sys", "/dev", "/dev/shm", "/etc/resolv.conf", "/etc/hosts",
                        "/kaniko", "/kaniko/.docker", "/workspace", "/cache", "/kaniko/work/b/roots/1/proc",
                        "/etc/hostname", "/devices"})
    info += mountinfo_line(id++, p);
  EXPECT_EQ(steps::container_volumes(info, root),
            (std::vector<std::string>{"/workspace", "/cache", "/etc/hostname", "/devices"}));
  // Another kaniko dir (--kaniko-dir): the same rule, from the root's place.
  EXPECT_EQ(steps::container_volumes(mountinfo_line(1, "/kaniko") + mountinfo_line(2, "/k2/.docker"),
                                     "/k2/work/b/roots/3"),
            (std::vector<std::string>{"/kaniko"}));
}
