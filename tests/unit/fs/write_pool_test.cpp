#include "fs/write_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <stdexcept>
#include <string>

#include "base/error.h"

using kiln::fs::WritePool;

TEST(WritePool, RunsEveryJobBeforeDrainReturns) {
  std::atomic<int> done{0};
  WritePool pool(3);
  for (int i = 0; i < 10000; ++i) pool.submit([&done] { done.fetch_add(1); });
  pool.drain();
  EXPECT_EQ(done.load(), 10000);
  pool.submit([&done] { done.fetch_add(1); });  // usable again after a drain
  pool.drain();
  EXPECT_EQ(done.load(), 10001);
}

TEST(WritePool, FirstErrorReachesDrainAndStopsLaterSubmits) {
  WritePool pool(2);
  pool.submit([] { throw kiln::IoError("copy: create /dest/f: No space left on device"); });
  try {
    pool.drain();
    FAIL() << "the error was lost";
  } catch (const kiln::IoError& e) {
    EXPECT_EQ(std::string(e.what()), "copy: create /dest/f: No space left on device");
  }
  // Reported once; the pool then works again.
  EXPECT_NO_THROW(pool.drain());
  std::atomic<bool> ran{false};
  pool.submit([&ran] { ran = true; });
  pool.drain();
  EXPECT_TRUE(ran);
}

TEST(WritePool, SubmitAfterAFailureThrowsIt) {
  WritePool pool(1);
  pool.submit([] { throw std::runtime_error("boom"); });
  // Once the worker has run the failing job, every submit throws its error.
  bool threw = false;
  auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!threw && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    try {
      pool.submit([] {});
    } catch (const std::runtime_error& e) {
      threw = std::string(e.what()) == "boom";
    }
  }
  EXPECT_TRUE(threw);
}

TEST(WritePool, DestructorWaitsForQueuedJobs) {
  std::atomic<int> done{0};
  {
    WritePool pool(2);
    for (int i = 0; i < 500; ++i) pool.submit([&done] { done.fetch_add(1); });
  }
  EXPECT_EQ(done.load(), 500);
}
