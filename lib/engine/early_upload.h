#pragma once
// Pipelined layer uploads (issue 20): each layer of the image being pushed is
// uploaded to every destination on a thread of its own as soon as its blob is
// complete on disk, while the next steps run, so the push after the last step
// finds it there. The upload streams from the layer's file (or, for a base
// layer, mounts it across repositories or downloads it to disk first), as the
// final push would: memory stays bounded. A layer being written is followed
// as its file grows, in one streamed PATCH to the first destination, and its
// upload closed with the digest once it is complete, so even the last step's
// layer is mostly up when the step ends.
//
// Best effort: a failed early upload is logged and forgotten. The final push
// (registry/push_image.h) still checks every blob in every destination,
// uploads what is missing with its retries, and alone can fail the build or
// write a tag, so the order of visible effects is unchanged.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "log/log.h"
#include "registry/client.h"
#include "registry/credentials.h"
#include "registry/image_state.h"
#include "registry/reference.h"

namespace kiln::engine {

// The layers waiting for the uploader, in the order offered, each digest
// once (a layer still being written has no digest yet: it is never taken for
// another). pop() blocks until there is one, or returns nullopt once the
// queue is closed and empty, or stopped.
class UploadQueue {
 public:
  // False when the digest was offered before, or the queue no longer takes layers.
  bool push(const registry::Layer& layer);
  std::optional<registry::Layer> pop();
  // No more layers: the ones queued are still handed out.
  void close();
  // Stop now: the ones queued are dropped.
  void stop();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<registry::Layer> pending_;
  std::set<std::string> seen_;
  bool closed_ = false;
  bool stopped_ = false;
};

// Whether the uploader sends `layer` to `dest` during the build: when its
// blob is on disk, or when `dest`'s registry can mount it from the layer's
// source. A base layer that only another registry has is left to the final
// push, which downloads it then: fetching it now would compete with the
// stage's own unpack of it, or fetch it twice while a copy is being kept.
bool worth_sending_early(const registry::Layer& layer, bool on_disk, const registry::Reference& dest);

struct EarlyUploadStats {
  double seconds = 0;  // the uploader's busy time, almost all of it during the build
  int blobs = 0;       // (blob, destination) pairs found, mounted or uploaded
  int failed = 0;      // pairs left to the final push
};

class EarlyUpload {
 public:
  // Uploads to `destinations` with a client of its own, built from `opts`
  // and `keychain`: without retries (the final push has them) and cancelled
  // when `opts.cancelled` says so or the uploader stops.
  EarlyUpload(registry::Options opts, registry::Keychain keychain, std::vector<registry::Reference> destinations,
              log::Logger& log);
  // Stops at once: the layer being sent is abandoned mid-transfer, the
  // queued ones dropped. The build's layer files may go afterwards.
  ~EarlyUpload();
  EarlyUpload(const EarlyUpload&) = delete;
  EarlyUpload& operator=(const EarlyUpload&) = delete;

  // A layer of the image to push whose blob is complete (a file written by
  // a step, a cached layer, or a base layer its registry still has).
  // Thread-safe; never blocks on the network.
  void offer(const registry::Layer& layer);
  // A layer of the image to push starts being written to `file`: its bytes
  // are sent as they come; offer() with the same file completes it. Another
  // writing(), or finish(), before that abandons it (the layer was not kept).
  void writing(const std::filesystem::path& file);
  // Takes no more layers and waits until the queued ones are uploaded (or
  // failed). Call before the final push.
  EarlyUploadStats finish();

 private:
  void work();
  void upload(const registry::Layer& layer);
  void stream(const std::filesystem::path& file);
  // `file`'s layer once complete; else nullopt, with `abandon` set when the
  // stream must end without it. `wait`: first wait up to 50 ms for news.
  std::optional<registry::Layer> peek(const std::filesystem::path& file, std::uint64_t generation, bool wait,
                                      bool& abandon);
  std::size_t read_growing(const std::filesystem::path& file, std::uint64_t generation, int fd, std::int64_t& sent,
                           std::optional<registry::Layer>& done, char* buf, std::size_t cap);

  std::vector<registry::Reference> dests_;
  log::Logger log_;  // "early upload: " before every line
  std::atomic<bool> stopping_{false};
  std::unique_ptr<registry::Client> client_;
  UploadQueue queue_;
  std::mutex tail_mu_;  // guards written_, generation_, closing_
  std::condition_variable tail_cv_;
  std::map<std::filesystem::path, registry::Layer> written_;  // layers offered, by file
  std::uint64_t generation_ = 0;  // writing() calls so far
  bool closing_ = false;
  std::mutex stats_mu_;
  EarlyUploadStats stats_;
  std::thread worker_;  // last: starts once everything above exists
};

}  // namespace kiln::engine
