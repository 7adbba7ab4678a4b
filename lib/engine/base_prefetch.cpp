#include "engine/base_prefetch.h"

#include <algorithm>

#include "base/error.h"
#include "image/platform.h"

namespace kiln::engine {
namespace {

std::string key_of(const std::string& reference, const std::string& platform) { return reference + '\n' + platform; }

}  // namespace

BasePrefetch::BasePrefetch(registry::Client& client, const image::Platform& build_platform, std::filesystem::path blob_dir,
                           BaseImageCache cache, log::Logger& log, std::vector<PrefetchImage> images, int jobs)
    : client_(client), build_platform_(build_platform), blob_dir_(std::move(blob_dir)), cache_(std::move(cache)), log_(log) {
  for (auto& im : images) {
    std::string key = key_of(im.reference, im.platform);
    if (slots_.count(key)) continue;
    queue_.push_back(key);
    slots_[key].want = std::move(im);
  }
  std::reverse(queue_.begin(), queue_.end());  // taken from the back: first use first
  std::size_t n = std::min<std::size_t>(queue_.size(), static_cast<std::size_t>(std::max(jobs, 1)));
  for (std::size_t i = 0; i < n; ++i) workers_.emplace_back([this] { work(); });
}

BasePrefetch::~BasePrefetch() {
  {
    std::lock_guard<std::mutex> g(mu_);
    queue_.clear();  // nobody will ask any more: start nothing new
  }
  for (auto& t : workers_) t.join();
}

void BasePrefetch::work() {
  for (;;) {
    Slot* slot;
    {
      std::lock_guard<std::mutex> g(mu_);
      if (queue_.empty()) return;
      slot = &slots_.at(queue_.back());
      queue_.pop_back();
    }
    fetch(*slot);
  }
}

void BasePrefetch::fetch(Slot& slot) {
  std::optional<PullResult> result;
  std::exception_ptr error;
  try {
    image::Platform platform = build_platform_;
    if (!slot.want.platform.empty()) {
      auto p = image::parse_platform(slot.want.platform);
      // The stage reports a bad --platform itself, naming its line.
      if (!p) throw UsageError("invalid --platform " + slot.want.platform);
      platform = *p;
    }
    result = pull_image(client_, registry::parse_reference(slot.want.reference), platform, blob_dir_, log_, cache_);
    if (slot.want.layers)
      for (const auto& l : result->image.layers) ensure_local(l);
    log_.debug("Fetched " + slot.want.reference + (slot.want.layers ? " and its layers" : "") + " ahead of its stage");
  } catch (...) {
    error = std::current_exception();
  }
  std::lock_guard<std::mutex> g(mu_);
  slot.result = std::move(result);
  slot.error = error;
  slot.done = true;
  cv_.notify_all();
}

std::optional<PullResult> BasePrefetch::get(const std::string& reference, const std::string& platform) {
  std::unique_lock<std::mutex> lk(mu_);
  auto it = slots_.find(key_of(reference, platform));
  if (it == slots_.end()) return std::nullopt;
  Slot& slot = it->second;
  // Not started yet (every worker busy): the caller pulls it itself rather than wait.
  auto queued = std::find(queue_.begin(), queue_.end(), it->first);
  if (queued != queue_.end()) {
    queue_.erase(queued);
    slots_.erase(it);
    return std::nullopt;
  }
  cv_.wait(lk, [&] { return slot.done; });
  if (slot.error) std::rethrow_exception(slot.error);
  return slot.result;
}

}  // namespace kiln::engine
