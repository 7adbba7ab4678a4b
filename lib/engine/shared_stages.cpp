#include "engine/shared_stages.h"

#include "base/error.h"

namespace kiln::engine {

void SharedStages::publish(int stage, const StageResult& result) {
  std::lock_guard<std::mutex> g(mu_);
  done_[stage] = result;
  cv_.notify_all();
}

void SharedStages::close() {
  std::lock_guard<std::mutex> g(mu_);
  closed_ = true;
  cv_.notify_all();
}

StageResult SharedStages::wait(int stage) {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [&] { return done_.count(stage) > 0 || closed_; });
  auto it = done_.find(stage);
  if (it == done_.end())
    throw Error("stage " + std::to_string(stage) + " is built once for every platform, by " + owner_ +
                ", whose build ended without it");
  return it->second;
}

}  // namespace kiln::engine
