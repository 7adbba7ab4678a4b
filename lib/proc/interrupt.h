#pragma once
// SIGTERM and SIGINT during a build (a CI job cancelled, `docker stop`).
//
// An Interrupt blocks both signals for the whole process and takes them on a
// thread of its own with sigwait, so no signal handler runs and nothing but
// this object holds state about them. When one arrives it records it and
// kills the process group of the RUN command in progress (RUN commands get a
// group of their own, so background children die too); the build then ends
// by an Interrupted exception at its next check (after the RUN, between
// steps, before the push), which unwinds through --cleanup like any failure.
//
// Blocked signals also reach a PID 1 (the executor in a container), which
// the kernel would otherwise shield from signals it has no handler for.
#include <signal.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "base/error.h"

namespace kiln::proc {

class Interrupted : public Error {
 public:
  Interrupted(const std::string& what, int signo) : Error(what), signo_(signo) {}
  int signal() const { return signo_; }

 private:
  int signo_;
};

class Interrupt {
 public:
  // Must be constructed before any other thread starts: threads inherit the
  // signal mask, and a thread with the signals unblocked would take them the
  // default way (death without cleanup).
  Interrupt();
  ~Interrupt();
  Interrupt(const Interrupt&) = delete;
  Interrupt& operator=(const Interrupt&) = delete;

  // The signal number received, 0 while none came.
  int signal() const { return signo_.load(); }
  // Throws Interrupted naming the signal when one came.
  void check() const;

  // The process group of a running RUN command (its leader's pid, not yet
  // reaped), killed with SIGKILL when a signal comes; at once when one came
  // already. Stages built side by side each have one. Cleared before the
  // leader is reaped, so a recycled pid is never hit.
  void set_child_group(pid_t pgid);
  void clear_child_group(pid_t pgid);

  // The build stops without a signal (a stage built beside others failed:
  // the others end too): check() throws Interrupted with signal 0 from now
  // on and every running command is killed; signal() stays as it was, so
  // the build's own failure is what is reported.
  void stop();
  bool stopped() const { return stopped_.load(); }

 private:
  void watch();
  void kill_groups();

  std::atomic<int> signo_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  sigset_t old_mask_;  // the constructing thread's, restored on destruction  // orders killing the group against clearing it
  std::set<pid_t> child_groups_;
  std::thread watcher_;
};

// For http::Client::Options::cancelled and the like: true once a signal
// came. Empty (never cancelled) for a null watcher.
std::function<bool()> cancel_flag(const Interrupt* in);

// "SIGTERM", "SIGINT", else "signal N".
std::string signal_name(int signo);

// The signal mask a child process should start with: nothing blocked
// (otherwise RUN commands would inherit the executor's blocked SIGTERM and
// ignore it). Async-signal-safe; for use between fork and exec.
void unblock_signals_in_child();

}  // namespace kiln::proc
