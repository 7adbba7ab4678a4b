#include "fs/write_pool.h"

#include <algorithm>

namespace kiln::fs {
WritePool::WritePool(unsigned threads, std::size_t max_queued) : max_queued_(std::max<std::size_t>(max_queued, 1)) {
  if (threads == 0) threads = std::clamp(std::thread::hardware_concurrency(), 2u, 4u);
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

WritePool::~WritePool() {
  {
    std::unique_lock lk(mu_);
    idle_.wait(lk, [&] { return jobs_.empty() && running_ == 0; });
    stopping_ = true;
  }
  has_job_.notify_all();
  for (auto& t : threads_) t.join();
}

void WritePool::submit(std::function<void()> job) {
  std::unique_lock lk(mu_);
  has_room_.wait(lk, [&] { return jobs_.size() < max_queued_ || error_; });
  if (error_) std::rethrow_exception(error_);
  jobs_.push_back(std::move(job));
  lk.unlock();
  has_job_.notify_one();
}

void WritePool::drain() {
  std::unique_lock lk(mu_);
  idle_.wait(lk, [&] { return jobs_.empty() && running_ == 0; });
  if (error_) {
    auto e = error_;
    error_ = nullptr;
    std::rethrow_exception(e);
  }
}

void WritePool::work() {
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lk(mu_);
      has_job_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping, nothing left
      job = std::move(jobs_.front());
      jobs_.pop_front();
      ++running_;
    }
    has_room_.notify_one();
    std::exception_ptr failed;
    try {
      job();
    } catch (...) {
      failed = std::current_exception();
    }
    {
      std::lock_guard lk(mu_);
      --running_;
      if (failed) {
        if (!error_) error_ = failed;
        jobs_.clear();  // the rest would only add to a failed copy
        has_room_.notify_all();
      }
      if (jobs_.empty() && running_ == 0) idle_.notify_all();
    }
  }
}

}  // namespace kiln::fs
