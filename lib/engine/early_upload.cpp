#include "engine/early_upload.h"

#include <chrono>
#include <fstream>

#include "engine/base_image.h"
#include "engine/outputs.h"

namespace kiln::engine {

bool UploadQueue::push(const registry::Layer& layer) {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (closed_ || stopped_) return false;
    if (!layer.descriptor.digest.empty() && !seen_.insert(layer.descriptor.digest).second) return false;
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
  {
    std::lock_guard<std::mutex> g(tail_mu_);
    stopping_ = true;
  }
  tail_cv_.notify_all();
  queue_.stop();
  if (worker_.joinable()) worker_.join();
}

void EarlyUpload::offer(const registry::Layer& layer) {
  if (!layer.file.empty()) {
    std::lock_guard<std::mutex> g(tail_mu_);
    written_[layer.file] = layer;
  }
  tail_cv_.notify_all();
  queue_.push(layer);
}

void EarlyUpload::writing(const std::filesystem::path& file) {
  {
    std::lock_guard<std::mutex> g(tail_mu_);
    ++generation_;
  }
  tail_cv_.notify_all();
  registry::Layer growing;
  growing.file = file;  // no digest: being written
  queue_.push(growing);
}

EarlyUploadStats EarlyUpload::finish() {
  {
    std::lock_guard<std::mutex> g(tail_mu_);
    closing_ = true;
  }
  tail_cv_.notify_all();
  queue_.close();
  if (worker_.joinable()) worker_.join();
  std::lock_guard<std::mutex> g(stats_mu_);
  return stats_;
}

void EarlyUpload::work() {
  while (auto layer = queue_.pop()) {
    if (layer->descriptor.digest.empty())
      stream(layer->file);
    else
      upload(*layer);
  }
}

std::optional<registry::Layer> EarlyUpload::wait_for(const std::filesystem::path& file, std::uint64_t generation,
                                                     bool& abandon) {
  std::unique_lock<std::mutex> lk(tail_mu_);
  auto over = [&] { return stopping_ || closing_ || generation_ != generation || written_.count(file) > 0; };
  // The file grows without telling: look again every 50 ms.
  tail_cv_.wait_for(lk, std::chrono::milliseconds(50), over);
  if (auto it = written_.find(file); it != written_.end()) return it->second;
  abandon = stopping_ || closing_ || generation_ != generation;
  return std::nullopt;
}

// One upload session per destination, fed from the file as it grows, closed
// with the digest once the layer is offered. Whatever fails is left to the
// layer's ordinary upload, queued after this.
struct EarlyUpload::Stream {
  const registry::Reference* dest;
  std::string location;
};

void EarlyUpload::stream(const std::filesystem::path& file) {
  auto t = std::chrono::steady_clock::now();
  double busy = 0;  // on the network, not waiting for the writer
  std::uint64_t generation;
  {
    std::lock_guard<std::mutex> g(tail_mu_);
    generation = generation_;
  }
  std::vector<Stream> open;
  for (const auto& dest : dests_) {
    try {
      open.push_back({&dest, client_->start_upload(dest)});
    } catch (const std::exception& e) {
      if (!stopping_) log_.info("streaming " + file.filename().string() + " to " + dest.repo_str() + " failed: " + e.what());
    }
  }
  busy += seconds_since(t);
  std::ifstream in;
  std::int64_t sent = 0;
  std::string chunk;
  while (!open.empty()) {
    bool abandon = false;
    std::optional<registry::Layer> done = wait_for(file, generation, abandon);
    if (abandon) break;
    if (!in.is_open()) in.open(file, std::ios::binary);
    std::error_code ec;
    const auto on_disk = static_cast<std::int64_t>(std::filesystem::file_size(file, ec));
    if (!in || ec) {
      if (done) break;
      continue;  // not created yet
    }
    const std::int64_t avail = done ? done->descriptor.size : on_disk;
    auto tc = std::chrono::steady_clock::now();
    while (!open.empty() && (avail - sent >= kStreamChunk || (done && sent < avail))) {
      chunk.resize(static_cast<std::size_t>(std::min(kStreamChunk, avail - sent)));
      in.clear();
      in.seekg(sent);
      if (!in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()))) {
        open.clear();
        break;
      }
      for (auto it = open.begin(); it != open.end();) {
        try {
          it->location = client_->append_upload(*it->dest, it->location, sent, chunk);
          ++it;
        } catch (const std::exception& e) {
          if (!stopping_) log_.info("streaming " + file.filename().string() + " to " + it->dest->repo_str() + " failed: " + e.what());
          it = open.erase(it);
        }
      }
      sent += static_cast<std::int64_t>(chunk.size());
    }
    busy += seconds_since(tc);
    if (!done) continue;
    tc = std::chrono::steady_clock::now();
    for (const auto& s : open) {
      try {
        client_->finish_upload(*s.dest, s.location, done->descriptor.digest);
        log_.debug("layer " + done->descriptor.digest + " streamed to " + s.dest->repo_str() + " as it was written");
      } catch (const std::exception& e) {
        if (!stopping_) log_.info("streaming " + done->descriptor.digest + " to " + s.dest->repo_str() + " failed: " + e.what());
      }
    }
    busy += seconds_since(tc);
    break;
  }
  std::lock_guard<std::mutex> g(stats_mu_);
  stats_.seconds += busy;
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
