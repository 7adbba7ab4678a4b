// The SIGTERM/SIGINT watcher: a signal to the process is recorded, kills the
// registered RUN process group (background children included) and turns
// into an Interrupted exception at the next check.
#include "proc/interrupt.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

namespace kiln::proc {
namespace {

// A process group like a RUN's: a leader and a background child, both
// sleeping far longer than the test.
pid_t spawn_group(pid_t* grandchild_out) {
  int p[2];
  EXPECT_EQ(pipe(p), 0);
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    unblock_signals_in_child();
    pid_t bg = fork();
    if (bg == 0) {
      execl("/bin/sleep", "sleep", "1000", nullptr);
      _exit(127);
    }
    (void)!write(p[1], &bg, sizeof bg);
    execl("/bin/sleep", "sleep", "1000", nullptr);
    _exit(127);
  }
  setpgid(pid, pid);
  close(p[1]);
  EXPECT_EQ(read(p[0], grandchild_out, sizeof *grandchild_out), static_cast<ssize_t>(sizeof *grandchild_out));
  close(p[0]);
  return pid;
}

bool gone_within(pid_t leader, std::chrono::seconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    int status = 0;
    if (waitpid(leader, &status, WNOHANG) == leader) return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

bool process_gone(pid_t pid, std::chrono::seconds limit) {
  auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    // The orphan is reparented away from us; kill(0) fails once it is reaped
    // by init, or shows a zombie. Either way it no longer runs.
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE* f = fopen(path, "r");
    if (!f) return true;
    char state = '?';
    int r = fscanf(f, "%*d %*s %c", &state);
    fclose(f);
    if (r == 1 && (state == 'Z' || state == 'X')) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(Interrupt, NoSignalNoThrow) {
  Interrupt in;
  EXPECT_EQ(in.signal(), 0);
  EXPECT_NO_THROW(in.check());
}

TEST(Interrupt, SigtermKillsTheRunGroupAndThrowsAtTheCheck) {
  Interrupt in;
  pid_t bg = 0;
  pid_t leader = spawn_group(&bg);
  in.set_child_group(leader);
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  EXPECT_TRUE(gone_within(leader, std::chrono::seconds(10)));
  EXPECT_TRUE(process_gone(bg, std::chrono::seconds(10))) << "the background child survived";
  in.clear_child_group(leader);
  EXPECT_EQ(in.signal(), SIGTERM);
  try {
    in.check();
    ADD_FAILURE() << "no Interrupted";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal(), SIGTERM);
    EXPECT_NE(std::string(e.what()).find("SIGTERM"), std::string::npos) << e.what();
  }
}

TEST(Interrupt, SignalBeforeTheGroupExistsKillsItOnRegistration) {
  Interrupt in;
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  for (int i = 0; i < 500 && in.signal() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(in.signal(), SIGINT);
  pid_t bg = 0;
  pid_t leader = spawn_group(&bg);
  in.set_child_group(leader);
  EXPECT_TRUE(gone_within(leader, std::chrono::seconds(10)));
  EXPECT_TRUE(process_gone(bg, std::chrono::seconds(10)));
  in.clear_child_group(leader);
  EXPECT_THROW(in.check(), Interrupted);
}

TEST(Interrupt, StopKillsEveryRegisteredGroupWithoutASignal) {
  Interrupt in;
  pid_t bg1 = 0, bg2 = 0;
  pid_t one = spawn_group(&bg1);
  pid_t two = spawn_group(&bg2);
  in.set_child_group(one);
  in.set_child_group(two);
  // A stage built beside these failed: both commands end.
  in.stop();
  EXPECT_TRUE(gone_within(one, std::chrono::seconds(10)));
  EXPECT_TRUE(gone_within(two, std::chrono::seconds(10)));
  EXPECT_TRUE(process_gone(bg1, std::chrono::seconds(10)));
  EXPECT_TRUE(process_gone(bg2, std::chrono::seconds(10)));
  in.clear_child_group(one);
  in.clear_child_group(two);
  EXPECT_TRUE(in.stopped());
  EXPECT_EQ(in.signal(), 0);  // the failed stage's error is what the build reports
  try {
    in.check();
    ADD_FAILURE() << "no Interrupted";
  } catch (const Interrupted& e) {
    EXPECT_EQ(e.signal(), 0);
  }
}

}  // namespace
}  // namespace kiln::proc
