#include "context/wake_on_cancel.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <thread>

namespace kiln::context {
namespace {

using Clock = std::chrono::steady_clock;

struct Pipe {
  int fd[2];
  Pipe() { EXPECT_EQ(pipe(fd), 0); }
  ~Pipe() {
    close(fd[0]);
    close(fd[1]);
  }
};

TEST(WakeOnCancel, ABlockedReadFailsWithEintrOnceCancelled) {
  Pipe p;  // nothing is ever written: read() blocks until a signal
  std::atomic<bool> flag{false};
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    flag = true;
  });
  auto start = Clock::now();
  ssize_t n;
  int err;
  {
    WakeOnCancel wake([&] { return flag.load(); });
    char c;
    n = read(p.fd[0], &c, 1);
    err = errno;
  }
  auto took = Clock::now() - start;
  setter.join();
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err, EINTR);
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(5));
}

TEST(WakeOnCancel, NotCancelledLeavesCallsAlone) {
  Pipe p;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(350));
    EXPECT_EQ(write(p.fd[1], "x", 1), 1);
  });
  char c = 0;
  ssize_t n;
  {
    WakeOnCancel wake([] { return false; });
    n = read(p.fd[0], &c, 1);  // spans several of the poller's 100 ms checks
  }
  writer.join();
  EXPECT_EQ(n, 1);
  EXPECT_EQ(c, 'x');
}

TEST(WakeOnCancel, NoSignalAfterItIsGone) {
  // Cancelled all along; once the object is destroyed the thread's later
  // blocking calls are not interrupted any more.
  {
    WakeOnCancel wake([] { return true; });
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // interrupted, resumed by sleep_for
  }
  Pipe p;
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(write(p.fd[1], "y", 1), 1);
  });
  char c = 0;
  EXPECT_EQ(read(p.fd[0], &c, 1), 1);
  writer.join();
  EXPECT_EQ(c, 'y');
}

}  // namespace
}  // namespace kiln::context
