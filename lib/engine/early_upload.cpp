#include "engine/early_upload.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>

#include "engine/base_image.h"
#include "engine/outputs.h"
#include "base/error.h"
#include "fs/unique_fd.h"

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

std::optional<registry::Layer> EarlyUpload::peek(const std::filesystem::path& file, std::uint64_t generation,
                                                  bool wait, bool& abandon) {
  std::unique_lock<std::mutex> lk(tail_mu_);
  auto over = [&] { return stopping_ || closing_ || generation_ != generation || written_.count(file) > 0; };
  // The file grows without telling: look again every 50 ms.
  if (wait) tail_cv_.wait_for(lk, std::chrono::milliseconds(50), over);
  if (auto it = written_.find(file); it != written_.end()) return it->second;
  abandon = stopping_ || closing_ || generation_ != generation;
  return std::nullopt;
}

// The layer's bytes as the writer puts them in its file, for one streamed
// PATCH: blocks until there are more, ends once the layer is complete,
// throws when the stream must end without it.
std::size_t EarlyUpload::read_growing(const std::filesystem::path& file, std::uint64_t generation, int fd,
                                      std::int64_t& sent, std::optional<registry::Layer>& done, char* buf,
                                      std::size_t cap) {
  for (bool wait = false;; wait = true) {
    bool abandon = false;
    done = peek(file, generation, wait, abandon);
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw IoError("reading " + file.string());
    const std::int64_t avail = done ? done->descriptor.size : static_cast<std::int64_t>(st.st_size);
    if (sent < avail) {
      ssize_t n = ::pread(fd, buf, static_cast<std::size_t>(std::min<std::int64_t>(static_cast<std::int64_t>(cap), avail - sent)), sent);
      if (n <= 0) throw IoError("reading " + file.string());
      sent += n;
      return static_cast<std::size_t>(n);
    }
    if (done) return 0;
    if (abandon) throw Error("the layer being written to " + file.filename().string() + " was not kept");
  }
}

// While a step's layer is written: one upload session on the first
// destination, fed by a single PATCH that follows the file as it grows (a
// thread per destination would multiply the work for a rare case: the
// others get the layer's ordinary upload, queued after this), closed with the
// digest once the layer is complete. A failure leaves it to that upload too.
void EarlyUpload::stream(const std::filesystem::path& file) {
  if (dests_.empty()) return;
  const registry::Reference& dest = dests_.front();
  std::uint64_t generation;
  {
    std::lock_guard<std::mutex> g(tail_mu_);
    generation = generation_;
  }
  // The writer creates the file right after writing() was called.
  int fd = -1;
  for (bool complete = false;;) {
    fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) break;
    if (complete) return;  // complete yet unreadable: its ordinary upload will say why
    bool abandon = false;
    complete = peek(file, generation, true, abandon).has_value();
    if (abandon) return;
  }
  fs::UniqueFd guard(fd);
  auto t = std::chrono::steady_clock::now();
  std::int64_t sent = 0;
  std::optional<registry::Layer> done;
  try {
    std::string location = client_->start_upload(dest);
    location = client_->stream_upload(dest, location, [&](char* buf, std::size_t cap) {
      return read_growing(file, generation, fd, sent, done, buf, cap);
    });
    if (!done) return;
    client_->finish_upload(dest, location, done->descriptor.digest);
    log_.debug("layer " + done->descriptor.digest + " streamed to " + dest.repo_str() + " as it was written (" +
               std::to_string(sent) + " bytes)");
  } catch (const std::exception& e) {
    if (!stopping_)
      log_.info("streaming " + file.filename().string() + " to " + dest.repo_str() + " stopped, left to its upload: " +
                e.what());
  }
  std::lock_guard<std::mutex> g(stats_mu_);
  stats_.seconds += seconds_since(t);
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
