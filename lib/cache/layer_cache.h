#pragma once
// The layer cache (--cache with --cache-repo): each cacheable step's layer
// stored as a small image tagged with the step's key, in a registry
// repository or a local OCI layout (entry_store.h). Lookups are verified
// (blob digest and diff_id) before a hit is trusted; stores run in the
// background so the build does not wait for them; an unreachable cache turns
// the cache off with a warning, never fails the build. A stage's lookups can
// all be sent at once before its first step (prefetch, lookahead.h).
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "cache/entry_store.h"
#include "cache/lookahead.h"
#include "log/log.h"
#include "registry/image_state.h"

namespace kiln::cache {

struct LayerCacheOptions {
  std::int64_t ttl_seconds = 0;     // --cache-ttl
  bool push = true;                 // false with --no-push-cache
  std::filesystem::path blob_dir;   // where hit layers are downloaded
  image::Platform platform;
  std::string created;              // RFC 3339, written into stored entries
  std::int64_t now = 0;             // seconds since the epoch, for the TTL
};

struct CacheHit {
  std::optional<registry::Layer> layer;  // nullopt: the step changed no files
};

class LayerCache {
 public:
  LayerCache(std::unique_ptr<EntryStore> store, LayerCacheOptions opts, log::Logger& log);
  ~LayerCache();  // waits for stores still running
  LayerCache(const LayerCache&) = delete;
  LayerCache& operator=(const LayerCache&) = delete;

  bool enabled() const { return enabled_; }
  // nullopt on a miss, on an expired or damaged entry, and once the cache
  // has been turned off. A prefetched key waits for its answer.
  std::optional<CacheHit> lookup(const std::string& key);
  // Starts the lookups of probes in the background, kLookaheadJobs at a time:
  // every entry's manifest and config first, then the layers the build will
  // use (layers_worth_fetching). lookup() of these keys then takes the answers.
  void prefetch(const std::vector<Probe>& probes);
  // Whether an entry exists under key, without fetching or checking it
  // (--dryrun); nullopt when the cache is off or unreachable.
  std::optional<bool> probe(const std::string& key);
  // Stores the step's layer (nullopt: no files changed) under key, in the
  // background. The layer's file must stay until wait() returns.
  void store(const std::string& key, const std::optional<registry::Layer>& layer);
  // Waits for every store; failures are warnings.
  void wait();

  // Lookups in flight at once: they wait on the server, not the CPU.
  static constexpr std::size_t kLookaheadJobs = 8;

 private:
  // An answer and the line that says so, logged when the step takes it
  // so the log keeps the steps' order.
  struct Answer {
    std::optional<CacheHit> hit;
    std::string note;
    bool later = false;  // not prefetched: lookup() asks itself
  };
  void disable(const std::string& why);
  void store_now(const std::string& key, const std::optional<registry::Layer>& layer);
  // The entry under key, read and checked but with its layer not fetched;
  // nullopt (and a note) on a miss.
  std::optional<CacheEntry> find(const std::string& key, std::string& note);
  Answer fetch(const std::string& key, const CacheEntry& entry);
  Answer look(const std::string& key);
  void run_prefetch(const std::vector<Probe>& probes, std::vector<std::promise<Answer>>& answers);

  std::unique_ptr<EntryStore> store_;
  LayerCacheOptions opts_;
  log::Logger& log_;
  std::atomic<bool> enabled_{true};
  std::mutex mu_;
  std::vector<std::future<void>> stores_;  // stores and prefetches still running
  std::map<std::string, std::shared_future<Answer>> ahead_;  // prefetched answers, by key
};

// --cache-repo (a registry repository or oci:/path), or kaniko's default:
// the first destination's repository followed by "/cache". Empty when
// neither is given.
std::string cache_repository(const std::string& cache_repo_flag, const std::vector<std::string>& destinations);

}  // namespace kiln::cache
