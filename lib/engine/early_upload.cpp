#include "engine/early_upload.h"

#include <chrono>

#include "engine/base_image.h"
#include "engine/outputs.h"

namespace kiln::engine {

bool UploadQueue::push(const registry::Layer& layer) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closed_ || stopped_ || !seen_.insert(layer.descriptor.digest).second) return false;
    pending_.push_back(layer);
  }
  cv_.notify_one();
  return true;
}

std::optional<registry::Layer> UploadQueue::pop() {
  std::unique_lock<std::mutex> lk(mu_);
  cv_.wait(lk, [this] { return stopped_ || closed_ || !pending_.empty(); });
  if (stopped_ || pending_.empty()) return std::nullopt;
  registry::Layer l = std::move(pending_.front());
  pending_.pop_front();
  return l;
}

void UploadQueue::close() {
  {
    std::lock_guard<std::mutex> g(mu_);
    closed_ = true;
  }
  cv_.notify_all();
}

void UploadQueue::stop() {
  {
    std::lock_guard<std::mutex> g(mu_);
    stopped_ = true;
    pending_.clear();
  }
  cv_.notify_all();
}

bool worth_sending_early(const registry::Layer& layer, bool on_disk, const registry::Reference& dest) {
  return on_disk || (layer.source && layer.source->registry == dest.registry);
}

namespace {

registry::Options without_retries(registry::Options opts, const std::atomic<bool>& stopping) {
  opts.push_retry = 0;
  opts.pull_retry = 0;
  opts.cancelled = [outer = std::move(opts.cancelled), &stopping] { return stopping.load() || (outer && outer()); };
  return opts;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

EarlyUpload::EarlyUpload(registry::Options opts, registry::Keychain keychain,
                         std::vector<registry::Reference> destinations, log::Logger& log)
    : dests_(std::move(destinations)),
      log_(log, "[early upload] "),
      client_(std::make_unique<registry::Client>(without_retries(std::move(opts), stopping_), std::move(keychain),
                                                 log_)),
      worker_([this] { work(); }) {}

EarlyUpload::~EarlyUpload() {
  stopping_ = true;
  queue_.stop();
  if (worker_.joinable()) worker_.join();
}

void EarlyUpload::offer(const registry::Layer& layer) { queue_.push(layer); }

EarlyUploadStats EarlyUpload::finish() {
  queue_.close();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> g(stats_mu_);
  return stats_;
}

void EarlyUpload::work() {
  while (auto layer = queue_.pop()) upload(*layer);
}

void EarlyUpload::upload(const registry::Layer& layer) {
  const registry::PushBlob blob = layer_push_blob(layer);
  const bool on_disk = have_file(layer);
  for (const auto& dest : dests_) {
    if (stopping_) return;
    if (!worth_sending_early(layer, on_disk, dest)) {
      log_.debug("layer " + blob.descriptor.digest + " is left to the push to " + dest.repo_str() +
                 ": only its registry has it");
      continue;
    }
    auto t = std::chrono::steady_clock::now();
    bool ok = false;
    try {
      client_->push_blob(dest, blob.descriptor, blob.open, blob.mount_from);
      ok = true;
      log_.debug("layer " + blob.descriptor.digest + " is in " + dest.repo_str() + " (" +
                 std::to_string(seconds_since(t)) + " s)");
    } catch (const std::exception& e) {
      // The final push checks this blob again and uploads it with retries.
      if (!stopping_)
        log_.info("layer " + blob.descriptor.digest + " to " + dest.repo_str() + " failed, left to the push: " +
                  e.what());
    }
    std::lock_guard<std::mutex> g(stats_mu_);
    stats_.seconds += seconds_since(t);
    (ok ? stats_.blobs : stats_.failed) += 1;
  }
}

}  // namespace kiln::engine
