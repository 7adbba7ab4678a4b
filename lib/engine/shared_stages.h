#pragma once
// The stages one platform builds for all (dockerfile/shared_stages.h),
// handed from that platform's build to the others': the first platform
// builds them and publishes each result; another platform waits for it,
// then uses it as its own (its saved tree and layer files stay in the first
// platform's work dir until the build ends). Thread-safe.
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "engine/stage_builder.h"

namespace kiln::engine {

class SharedStages {
 public:
  SharedStages(std::set<int> stages, std::string owner_platform)
      : stages_(std::move(stages)), owner_(std::move(owner_platform)) {}

  bool covers(int stage) const { return stages_.count(stage) > 0; }
  const std::string& owner() const { return owner_; }

  void publish(int stage, const StageResult& result);
  // The owner's build ended (built or failed): a stage it did not publish
  // never will be; whoever waits for one gets an error.
  void close();
  // Blocks until the owner published `stage`; throws kiln::Error naming it
  // when the owner's build ended without it.
  StageResult wait(int stage);

 private:
  const std::set<int> stages_;
  const std::string owner_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<int, StageResult> done_;
  bool closed_ = false;
};

}  // namespace kiln::engine
