#include "context/wake_on_cancel.h"

#include <signal.h>
#include <string.h>

#include <chrono>

namespace kiln::context {
namespace {

void ignore_wakeup(int) {}

void install_handler_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = &ignore_wakeup;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the blocked call must return EINTR
    sigaction(SIGUSR1, &sa, nullptr);
  });
}

}  // namespace

WakeOnCancel::WakeOnCancel(std::function<bool()> cancelled)
    : cancelled_(std::move(cancelled)), target_(pthread_self()) {
  if (!cancelled_) return;
  install_handler_once();
  // The target thread must be able to take the signal.
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  pthread_sigmask(SIG_UNBLOCK, &s, &old_mask_);
  poller_ = std::thread([this] { poll(); });
}

WakeOnCancel::~WakeOnCancel() {
  if (!poller_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  poller_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void WakeOnCancel::poll() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!done_) {
    cv_.wait_for(lock, std::chrono::milliseconds(100), [this] { return done_; });
    // Under the lock: the destructor cannot finish (and the target thread
    // cannot go on to other work) between this check and the signal.
    if (!done_ && cancelled_()) pthread_kill(target_, SIGUSR1);
  }
}

}  // namespace kiln::context
