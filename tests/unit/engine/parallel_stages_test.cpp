// The stage runner with stand-in builds: what runs together, what waits,
// and how a failure stops the rest.
#include "engine/parallel_stages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "dockerfile/parser.h"
#include "proc/interrupt.h"

using namespace kiln;
using namespace std::chrono_literals;

namespace {

dockerfile::Plan fan_in() {
  return dockerfile::make_plan(dockerfile::parse("FROM busybox AS one\nRUN a\nFROM busybox AS two\nRUN b\n"
                                                 "FROM busybox AS three\nRUN c\n"
                                                 "FROM busybox\nCOPY --from=one / /1\nCOPY --from=two / /2\n"
                                                 "COPY --from=three / /3\n",
                                                 "Dockerfile"),
                               {});
}

struct Recorder {
  std::mutex mu;
  std::vector<int> started, ended;
  std::atomic<int> now{0}, peak{0};

  void run(int s, std::chrono::milliseconds d) {
    {
      std::lock_guard<std::mutex> g(mu);
      started.push_back(s);
    }
    int n = ++now;
    for (int p = peak.load(); n > p && !peak.compare_exchange_weak(p, n);) {
    }
    std::this_thread::sleep_for(d);
    --now;
    std::lock_guard<std::mutex> g(mu);
    ended.push_back(s);
  }
};

}  // namespace

TEST(RunSchedule, IndependentStagesRunAtTheSameTimeAndTheFinalOneAfterThem) {
  auto p = fan_in();
  dockerfile::StageSchedule s(p, dockerfile::stage_lanes(p, 4, true), 4);
  Recorder r;
  int stops = 0;
  engine::run_schedule(s, [&](int i) { r.run(i, 200ms); }, [&] { ++stops; });
  EXPECT_EQ(r.peak.load(), 3);
  ASSERT_EQ(r.ended.size(), 4u);
  EXPECT_EQ(r.started.back(), 3);
  EXPECT_EQ(r.ended.back(), 3);
  EXPECT_EQ(stops, 0);
  EXPECT_TRUE(s.all_done());
}

TEST(RunSchedule, TheJobsLimitHolds) {
  auto p = fan_in();
  dockerfile::StageSchedule s(p, dockerfile::stage_lanes(p, 2, true), 2);
  Recorder r;
  engine::run_schedule(s, [&](int i) { r.run(i, 100ms); }, [] {});
  EXPECT_EQ(r.peak.load(), 2);
  EXPECT_EQ(r.ended.size(), 4u);
}

TEST(RunSchedule, AFailureStopsTheOthersOnceAndIsRethrown) {
  auto p = fan_in();
  dockerfile::StageSchedule s(p, dockerfile::stage_lanes(p, 4, true), 4);
  std::atomic<bool> stop_seen{false};
  int stops = 0;
  std::vector<int> built;
  std::mutex mu;
  auto build = [&](int i) {
    if (i == 1) {
      std::this_thread::sleep_for(50ms);
      throw std::runtime_error("stage two broke");
    }
    // The others run until told to stop, as a RUN killed by the stop would.
    for (int n = 0; n < 500 && !stop_seen; ++n) std::this_thread::sleep_for(10ms);
    if (stop_seen) throw std::runtime_error("stopped");
    std::lock_guard<std::mutex> g(mu);
    built.push_back(i);
  };
  try {
    engine::run_schedule(s, build, [&] {
      ++stops;
      stop_seen = true;
    });
    ADD_FAILURE() << "no failure";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "stage two broke");
  }
  EXPECT_EQ(stops, 1);
  EXPECT_TRUE(built.empty());  // neither the others nor the final stage finished
}

TEST(RunSideBySide, AtMostJobsAtOnceEveryOneRun) {
  Recorder r;
  int stops = 0;
  engine::run_side_by_side(5, 2, [&](std::size_t i) { r.run(static_cast<int>(i), 100ms); }, [&] { ++stops; });
  EXPECT_EQ(r.peak.load(), 2);
  std::vector<int> ended = r.ended;
  std::sort(ended.begin(), ended.end());
  EXPECT_EQ(ended, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(stops, 0);
}

TEST(RunSideBySide, OneJobRunsThemInOrder) {
  Recorder r;
  engine::run_side_by_side(3, 1, [&](std::size_t i) { r.run(static_cast<int>(i), 10ms); }, [] {});
  EXPECT_EQ(r.peak.load(), 1);
  EXPECT_EQ(r.started, (std::vector<int>{0, 1, 2}));
}

TEST(RunSideBySide, AFailureStopsTheOthersOnceStartsNoMoreAndIsRethrown) {
  std::atomic<bool> stop_seen{false};
  std::atomic<int> started{0};
  int stops = 0;
  auto build = [&](std::size_t i) {
    ++started;
    if (i == 1) {
      std::this_thread::sleep_for(50ms);
      throw std::runtime_error("platform two broke");
    }
    for (int n = 0; n < 500 && !stop_seen; ++n) std::this_thread::sleep_for(10ms);
    if (stop_seen) throw std::runtime_error("stopped");
  };
  try {
    engine::run_side_by_side(4, 2, build, [&] {
      ++stops;
      stop_seen = true;
    });
    ADD_FAILURE() << "no failure";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "platform two broke");
  }
  EXPECT_EQ(stops, 1);
  EXPECT_EQ(started.load(), 2);  // the third and fourth never started
}

// A platform's own stage runner stops the build (every RUN killed) before
// its error gets out; the platform stopped by that can report first. The
// error rethrown must be the cause, not the stop.
TEST(RunSideBySide, TheCauseWinsOverAPieceThatWasOnlyStopped) {
  std::atomic<bool> build_stopped{false};
  auto build = [&](std::size_t i) {
    if (i == 1) {
      std::this_thread::sleep_for(20ms);
      build_stopped = true;  // what its stage runner does on the failure
      std::this_thread::sleep_for(100ms);
      throw std::runtime_error("RUN failed: exit code 3");
    }
    for (int n = 0; n < 500 && !build_stopped; ++n) std::this_thread::sleep_for(5ms);
    throw proc::Interrupted("build stopped: a stage built beside this one failed", 0);
  };
  try {
    engine::run_side_by_side(2, 2, build, [&] { build_stopped = true; });
    ADD_FAILURE() << "no failure";
  } catch (const proc::Interrupted&) {
    ADD_FAILURE() << "the stopped piece's error was rethrown";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "RUN failed: exit code 3");
  }
}
