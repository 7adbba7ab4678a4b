// The cost of --cleanup's set-aside and restore on a root of 100,000 files.
// Disabled by default (it writes 100,000 files twice); run with
//   unit_fs --gtest_also_run_disabled_tests --gtest_filter='*RootStashBench*'
// On an ordinary filesystem the whole tree moves with a few renames. On
// overlayfs without redirect_dir (Docker's overlay2 on most kernels) a lower
// directory would have to be rebuilt file by file, each copied up and fsynced:
// 827 s for these 100,000 files on the test VM, so a directory that large
// stays in place (RootStash::left_in_place).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "fs/root_stash.h"
#include "temp_root.h"

using namespace kiln::fs;
using kiln::fs::test::TempRoot;

namespace {

// 100 directories of 1,000 small files under usr/share/many, plus what a
// container root has around it.
void make_root(const std::filesystem::path& root) {
  for (int d = 0; d < 100; ++d) {
    std::string dir = (root / "usr/share/many" / ("d" + std::to_string(d))).string();
    std::filesystem::create_directories(dir);
    for (int f = 0; f < 1000; ++f) {
      std::string p = dir + "/f" + std::to_string(f);
      int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(write(fd, p.data(), p.size()), static_cast<ssize_t>(p.size()));
      close(fd);
    }
  }
  std::filesystem::create_directories(root / "kaniko");
  std::filesystem::create_directories(root / "workspace");
  std::filesystem::create_directories(root / "etc");
  FILE* f = std::fopen((root / "etc/nsswitch.conf").c_str(), "w");
  std::fputs("hosts: files dns\n", f);
  std::fclose(f);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

void measure(const std::filesystem::path& root, const char* what) {
  IgnoreList keep({"/kaniko"});
  auto t0 = std::chrono::steady_clock::now();
  auto stash = RootStash::set_aside(root, keep);
  double aside = seconds_since(t0);
  // Set aside, or (a large lower overlayfs directory) left where it was.
  EXPECT_NE(std::filesystem::exists(root / "usr/share/many/d7/f7"), stash.left_in_place().empty());
  keep.add(stash.in_image_path());
  auto t1 = std::chrono::steady_clock::now();
  stash.restore(keep);
  double back = seconds_since(t1);
  std::printf("%s: set aside %.3f s (%zu entries, %zu left in place), restored %.3f s\n", what, aside,
              stash.entries().size(), stash.left_in_place().size(), back);
}

}  // namespace

TEST(RootStashBench, DISABLED_HundredThousandFilesOnThisFilesystem) {
  TempRoot r;
  make_root(r.path());
  measure(r.path(), "100,000 files, plain filesystem");
}

TEST(RootStashBench, DISABLED_HundredThousandFilesInALowerOverlayLayer) {
  TempRoot holder;
  auto lower = holder / "lower", upper = holder / "upper", work = holder / "work", merged = holder / "merged";
  for (const auto& d : {lower, upper, work, merged}) std::filesystem::create_directories(d);
  make_root(lower);
  std::string opts = "lowerdir=" + lower.string() + ",upperdir=" + upper.string() + ",workdir=" + work.string() +
                     ",redirect_dir=off";
  if (mount("overlay", merged.c_str(), "overlay", 0, opts.c_str()) != 0) GTEST_SKIP() << "cannot mount overlayfs here";
  measure(merged, "100,000 files, lower overlayfs layer (redirect_dir=off)");
  umount2(merged.c_str(), MNT_DETACH);
}
