// Timings for the two snapshot targets. Disabled by default (they write
// 130,000 files); run with
//   unit_fs --gtest_also_run_disabled_tests --gtest_filter='*SnapshotBench*'
// Each asserts its target so a regression fails loudly when run.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "fs/snapshot.h"
#include "temp_root.h"

using namespace kiln::fs;
using kiln::fs::test::TempRoot;

namespace {

void make_files(const std::filesystem::path& base, const std::string& tag, int dirs, int per_dir) {
  for (int d = 0; d < dirs; ++d) {
    std::string dir = (base / (tag + std::to_string(d / 20)) / ("d" + std::to_string(d))).string();
    std::filesystem::create_directories(dir);
    for (int f = 0; f < per_dir; ++f) {
      std::string p = dir + "/file" + std::to_string(f) + ".txt";
      int fd = open(p.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      ASSERT_GE(fd, 0);
      ASSERT_EQ(write(fd, p.data(), p.size()), static_cast<ssize_t>(p.size()));
      close(fd);
    }
  }
}

// Process CPU seconds: on a shared machine the wall clock also measures the
// neighbours, so both are printed.
double cpu_seconds() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

}  // namespace

TEST(SnapshotBench, DISABLED_Timings) {
  TempRoot r;
  make_files(r / "usr", "base", 1000, 100);  // 100,000 files: the base image
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  Snapshotter s(r.path(), IgnoreList({"/kaniko"}), SnapshotMode::Full);
  s.baseline();
  std::printf("baseline:            walked %lld hashed %lld in %.3f s\n", (long long)s.stats().walked,
              (long long)s.stats().hashed, s.stats().seconds);

  double c0 = cpu_seconds();
  auto c = s.take();
  std::printf("unchanged 100k tree: walked %lld hashed %lld in %.3f s wall, %.3f s cpu (target 0.3 s)\n",
              (long long)s.stats().walked, (long long)s.stats().hashed, s.stats().seconds, cpu_seconds() - c0);
  EXPECT_TRUE(c.empty());
  EXPECT_LE(s.stats().seconds, 0.3);

  make_files(r / "opt", "run", 300, 100);  // a RUN that wrote 30,000 files in 300 dirs
  c0 = cpu_seconds();
  c = s.take();
  std::printf("after RUN +30k files: walked %lld hashed %lld in %.3f s wall, %.3f s cpu (target 0.5 s), %zu changed\n",
              (long long)s.stats().walked, (long long)s.stats().hashed, s.stats().seconds, cpu_seconds() - c0,
              c.added_or_modified.size());
  EXPECT_EQ(c.added_or_modified.size(), 30000u + 300u + 15u + 1u);
  EXPECT_LE(s.stats().seconds, 0.5);

  c = s.take();
  std::printf("unchanged 130k tree: walked %lld hashed %lld in %.3f s\n", (long long)s.stats().walked,
              (long long)s.stats().hashed, s.stats().seconds);
  EXPECT_TRUE(c.empty());
}
