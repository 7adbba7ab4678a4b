#pragma once
// Every external image of a build (FROM bases, COPY --from=<image>, RUN
// --mount from=<image>) fetched at once when the build starts, on threads of
// their own, so a stage never waits for its pull after the stages before it:
// manifest and config always; the layer blobs too (into the work dir, or
// used from --cache-dir in place) for images whose first stage does not
// start at once, since a stage that starts at once streams its layers
// straight into its root (base_image.h) faster than download-then-unpack.
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/base_image.h"
#include "log/log.h"
#include "registry/client.h"

namespace kiln::engine {

struct PrefetchImage {
  std::string reference;  // as the stage builder will ask for it
  std::string platform;   // FROM --platform text; empty: the build's platform
  bool layers = false;    // download the layer blobs too
};

class BasePrefetch {
 public:
  // Starts at most `jobs` (at least 1) fetches at once.
  BasePrefetch(registry::Client& client, const image::Platform& build_platform, std::filesystem::path blob_dir,
               BaseImageCache cache, log::Logger& log, std::vector<PrefetchImage> images, int jobs);
  // Waits for the fetches still running.
  ~BasePrefetch();
  BasePrefetch(const BasePrefetch&) = delete;
  BasePrefetch& operator=(const BasePrefetch&) = delete;

  // The image as fetched at the start, waiting for its fetch if need be;
  // rethrows the fetch's error (the stage that needs it fails with it, as
  // its own pull would have). nullopt: not prefetched (the caller pulls).
  std::optional<PullResult> get(const std::string& reference, const std::string& platform);

 private:
  struct Slot {
    PrefetchImage want;
    bool done = false;
    std::optional<PullResult> result;
    std::exception_ptr error;
  };
  void work();
  void fetch(Slot& slot);

  registry::Client& client_;
  image::Platform build_platform_;
  std::filesystem::path blob_dir_;
  BaseImageCache cache_;
  log::Logger& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, Slot> slots_;  // key: reference + '\n' + platform
  std::vector<std::string> queue_;     // keys not yet started, in order
  std::vector<std::thread> workers_;
};

}  // namespace kiln::engine
