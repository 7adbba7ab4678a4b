#include "engine/parallel_stages.h"

#include <pthread.h>

#include <algorithm>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <vector>

#include "base/error.h"
#include "proc/interrupt.h"

namespace kiln::engine {
namespace {

// A stage runs the whole build machinery (extraction, snapshots, layer
// compression): it gets a main thread's stack, not musl's 128 KiB default.
constexpr std::size_t kStageStack = 8u << 20;

class StageThread {
 public:
  explicit StageThread(std::function<void()> body) : body_(std::make_unique<std::function<void()>>(std::move(body))) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, kStageStack);
    int rc = pthread_create(&tid_, &attr, &StageThread::entry, body_.get());
    pthread_attr_destroy(&attr);
    if (rc != 0) throw Error(std::string("starting a stage's thread: ") + std::strerror(rc));
  }
  void join() { pthread_join(tid_, nullptr); }

 private:
  static void* entry(void* arg) {
    (*static_cast<std::function<void()>*>(arg))();
    return nullptr;
  }
  std::unique_ptr<std::function<void()>> body_;
  pthread_t tid_{};
};

}  // namespace

void run_schedule(dockerfile::StageSchedule& schedule, const std::function<void(int)>& build,
                  const std::function<void()>& stop) {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<int> finished;  // built, not yet told to the schedule
  std::exception_ptr failure;
  int running = 0;
  bool stopped = false;
  std::vector<StageThread> threads;
  std::unique_lock<std::mutex> lk(mu);
  for (;;) {
    for (int s : finished) schedule.finish(s);
    finished.clear();
    if (failure && !stopped) {
      stopped = true;
      lk.unlock();
      stop();
      lk.lock();
    }
    if (!failure) {
      for (int s : schedule.take_ready()) {
        ++running;
        try {
          threads.emplace_back([&, s] {
            std::exception_ptr err;
            try {
              build(s);
            } catch (...) {
              err = std::current_exception();
            }
            std::lock_guard<std::mutex> g(mu);
            if (err && !failure) failure = err;
            if (!err) finished.push_back(s);
            --running;
            cv.notify_all();
          });
        } catch (...) {
          --running;
          if (!failure) failure = std::current_exception();
          break;
        }
      }
    }
    if (running == 0 && finished.empty()) {
      if (failure || schedule.all_done()) break;
      failure = std::make_exception_ptr(Error("stage schedule: no stage can start, none is running"));
      continue;
    }
    cv.wait(lk, [&] { return !finished.empty() || running == 0 || (failure && !stopped); });
  }
  lk.unlock();
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
}

void run_side_by_side(std::size_t n, std::size_t jobs, const std::function<void(std::size_t)>& build,
                      const std::function<void()>& stop) {
  std::mutex mu;
  std::exception_ptr failure;  // the first failure of its own
  // A piece that ended only because the build was stopped. Its failure is
  // not the cause: a piece's own stage runner may stop the build (every
  // stage's RUN killed) before its error reaches here, and the stopped one
  // can get here first.
  std::exception_ptr stopped;
  std::size_t next = 0;
  auto work = [&] {
    for (;;) {
      std::size_t i;
      {
        std::lock_guard<std::mutex> g(mu);
        if (failure || stopped || next >= n) return;
        i = next++;
      }
      bool first = false;
      try {
        build(i);
      } catch (const proc::Interrupted& e) {
        std::lock_guard<std::mutex> g(mu);
        if (e.signal() == 0) {
          if (!stopped) stopped = std::current_exception();
        } else if (!failure) {
          failure = std::current_exception(), first = true;
        }
      } catch (...) {
        std::lock_guard<std::mutex> g(mu);
        if (!failure) failure = std::current_exception(), first = true;
      }
      if (first) stop();
    }
  };
  std::vector<StageThread> threads;
  const std::size_t wanted = std::min(n, std::max<std::size_t>(jobs, 1));
  for (std::size_t t = 1; t < wanted; ++t) {
    try {
      threads.emplace_back(work);
    } catch (...) {
      break;  // fewer threads: the work is shared by those there are
    }
  }
  work();  // the calling thread takes its share
  for (auto& t : threads) t.join();
  if (failure) std::rethrow_exception(failure);
  if (stopped) std::rethrow_exception(stopped);
}

}  // namespace kiln::engine
