// bounded_parallel: every index once, never more than `jobs` at a time, and
// more than one at a time when allowed.
#include "base/bounded_parallel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace kiln {
namespace {

struct Peak {
  std::atomic<int> now{0}, peak{0};
  void enter() {
    int n = ++now;
    int p = peak.load();
    while (n > p && !peak.compare_exchange_weak(p, n)) {
    }
  }
  void leave() { --now; }
};

TEST(BoundedParallel, RunsEveryIndexOnce) {
  std::vector<int> seen(100, 0);
  std::mutex mu;
  bounded_parallel(seen.size(), 8, [&](std::size_t i) {
    std::lock_guard<std::mutex> lock(mu);
    ++seen[i];
  });
  for (int n : seen) EXPECT_EQ(n, 1);
}

TEST(BoundedParallel, OverlapsUpToTheBoundAndNoMore) {
  Peak p;
  bounded_parallel(12, 3, [&](std::size_t) {
    p.enter();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    p.leave();
  });
  EXPECT_LE(p.peak.load(), 3);
  EXPECT_GE(p.peak.load(), 2);  // 30 ms sleeps on three threads overlap
}

TEST(BoundedParallel, OneJobOrNothingRunsInTheCaller) {
  const auto caller = std::this_thread::get_id();
  bool same = true;
  bounded_parallel(3, 1, [&](std::size_t) { same = same && std::this_thread::get_id() == caller; });
  EXPECT_TRUE(same);
  bool called = false;
  bounded_parallel(0, 8, [&](std::size_t) { called = true; });
  EXPECT_FALSE(called);
}

}  // namespace
}  // namespace kiln
