#include "proc/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <string.h>

#include <cerrno>
#include <string>

namespace kiln::proc {
namespace {

sigset_t stop_signals() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGTERM);
  sigaddset(&s, SIGINT);
  return s;
}

}  // namespace

Interrupt::Interrupt() {
  sigset_t s = stop_signals();
  // Before the thread starts, so it and every later thread inherit the mask.
  pthread_sigmask(SIG_BLOCK, &s, &old_mask_);
  watcher_ = std::thread([this] { watch(); });
}

Interrupt::~Interrupt() {
  // Wake the watcher with a signal aimed at its thread alone; with
  // stopping_ set it is not taken for a real one.
  stopping_ = true;
  pthread_kill(watcher_.native_handle(), SIGTERM);
  watcher_.join();
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void Interrupt::watch() {
  sigset_t s = stop_signals();
  for (;;) {
    int signo = 0;
    if (sigwait(&s, &signo) != 0) continue;
    if (stopping_) return;
    int expected = 0;
    signo_.compare_exchange_strong(expected, signo);  // the first one names the interruption
    kill_groups();
  }
}

void Interrupt::kill_groups() {
  std::lock_guard<std::mutex> lock(mu_);
  for (pid_t g : child_groups_) ::kill(-g, SIGKILL);
}

void Interrupt::stop() {
  stopped_ = true;
  kill_groups();
}

std::string signal_name(int signo) {
  switch (signo) {
    case SIGTERM: return "SIGTERM";
    case SIGINT: return "SIGINT";
    default: return "signal " + std::to_string(signo);
  }
}

std::function<bool()> cancel_flag(const Interrupt* in) {
  if (!in) return {};
  return [in] { return in->signal() != 0; };
}

void Interrupt::check() const {
  int s = signo_.load();
  if (s != 0) throw Interrupted("build interrupted by " + signal_name(s), s);
  if (stopped_.load()) throw Interrupted("build stopped: a stage built beside this one failed", 0);
}

void Interrupt::set_child_group(pid_t pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  child_groups_.insert(pgid);
  if (signo_.load() != 0 || stopped_.load()) ::kill(-pgid, SIGKILL);
}

void Interrupt::clear_child_group(pid_t pgid) {
  std::lock_guard<std::mutex> lock(mu_);
  child_groups_.erase(pgid);
}

void unblock_signals_in_child() {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
}

}  // namespace kiln::proc
