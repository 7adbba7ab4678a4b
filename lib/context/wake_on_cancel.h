#pragma once
// Lets a cancelled build interrupt a library call that blocks in a system
// call and offers no cancellation hook of its own: libgit2 (1.5 and 1.9) reads from
// its socket with no timeout, and its progress callbacks only run when a
// whole 64 KiB packet has arrived, so a slow or silent git server would keep
// the executor waiting long after SIGTERM.
//
// While a WakeOnCancel lives, a helper thread asks `cancelled` every 100 ms;
// once it says true, the thread that made the WakeOnCancel gets SIGUSR1
// every 100 ms. Its handler does nothing and is installed without
// SA_RESTART, so the blocked recv/connect/poll fails with EINTR and the
// library returns an error, which the caller reports as the cancellation.
// The handler stays installed for the life of the process (a late SIGUSR1
// must never find the default action, which kills).
#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace kiln::context {

class WakeOnCancel {
 public:
  // An empty `cancelled` does nothing (no thread). Destroy it on the thread
  // that made it (it restores that thread's signal mask).
  explicit WakeOnCancel(std::function<bool()> cancelled);
  ~WakeOnCancel();
  WakeOnCancel(const WakeOnCancel&) = delete;
  WakeOnCancel& operator=(const WakeOnCancel&) = delete;

 private:
  void poll();

  std::function<bool()> cancelled_;
  pthread_t target_;
  sigset_t old_mask_;  // the target thread's, restored on destruction
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread poller_;
};

}  // namespace kiln::context
