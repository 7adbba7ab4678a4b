#include "cache/layer_cache.h"

#include <cstdio>

#include "base/bounded_parallel.h"
#include "base/error.h"
#include "cache/cache_image.h"
#include "digest/digest.h"
#include "layer/blob_diff_id.h"
#include "registry/reference.h"

namespace kiln::cache {
namespace fsys = std::filesystem;

LayerCache::LayerCache(std::unique_ptr<EntryStore> store, LayerCacheOptions opts, log::Logger& log)
    : store_(std::move(store)), opts_(std::move(opts)), log_(log) {}

LayerCache::~LayerCache() {
  try {
    wait();
  } catch (...) {
  }
}

void LayerCache::disable(const std::string& why) {
  if (!enabled_.exchange(false)) return;
  log_.warn("Layer cache " + store_->name() + " is not usable (" + why +
            "); building without it");
}

std::optional<CacheHit> LayerCache::lookup(const std::string& key) {
  if (!enabled_) return std::nullopt;
  std::shared_future<Answer> ahead;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = ahead_.find(key); it != ahead_.end()) ahead = it->second;
  }
  Answer a = ahead.valid() ? ahead.get() : look(key);
  if (a.later) a = look(key);
  if (!a.note.empty()) log_.info(a.note);
  return a.hit;
}

LayerCache::Answer LayerCache::look(const std::string& key) {
  Answer a;
  auto entry = find(key, a.note);
  return entry ? fetch(key, *entry) : a;
}

std::optional<CacheEntry> LayerCache::find(const std::string& key, std::string& note) {
  if (!enabled_) return std::nullopt;
  const std::string where = store_->name() + ":" + key;
  std::optional<StoredManifest> m;
  std::string config_bytes;
  try {
    m = store_->manifest(key);
    if (!m) {
      note = "No cached layer found for cmd, key " + key;
      return std::nullopt;
    }
    auto cfg = cache::cache_config_of(key, m->bytes, m->media_type);
    if (!cfg) {
      log_.warn("Ignoring " + where + ": not a kiln layer-cache entry for this key");
      return std::nullopt;
    }
    config_bytes = store_->blob_bytes(key, *cfg);
  } catch (const std::exception& e) {
    disable(e.what());
    return std::nullopt;
  }
  auto entry = cache::parse_cache_entry(m->bytes, config_bytes);
  if (!entry) {
    log_.warn("Ignoring damaged layer-cache entry " + where);
    return std::nullopt;
  }
  if (!cache::within_ttl(entry->created, opts_.now, opts_.ttl_seconds)) {
    note = "Cached layer for key " + key + " has expired (--cache-ttl)";
    return std::nullopt;
  }
  return entry;
}

LayerCache::Answer LayerCache::fetch(const std::string& key, const CacheEntry& entry) {
  Answer a;
  CacheHit hit;
  if (entry.layer) {
    registry::Layer l;
    l.descriptor = entry.layer->descriptor;
    l.diff_id = entry.layer->diff_id;
    l.source = store_->mount_source();
    try {
      l.file = opts_.blob_dir / digest::parse(l.descriptor.digest).hex;
      std::error_code ec;
      // The digest is checked on download; the diff_id is what the image
      // config will claim for it, so it must be the layer's real one too
      // (computed in the same pass when the layer is downloaded here).
      std::string got = fsys::exists(l.file, ec) ? layer::blob_diff_id(l.file) : store_->layer_to_file(l.descriptor, l.file);
      if (got != l.diff_id) {
        fsys::remove(l.file, ec);
        throw IoError("layer " + l.descriptor.digest + " has diff_id " + got + ", the cache entry says " + l.diff_id);
      }
    } catch (const std::exception& e) {
      log_.warn("Refusing cached layer for key " + key + ": " + e.what() + "; running the step instead");
      return a;
    }
    hit.layer = std::move(l);
  }
  a.hit = std::move(hit);
  a.note = "Using caching version of cmd, key " + key;
  return a;
}

void LayerCache::prefetch(const std::vector<Probe>& probes) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Probe> todo;
  for (const auto& p : probes)
    if (!ahead_.count(p.key)) todo.push_back(p);
  if (todo.empty()) return;
  std::vector<std::promise<Answer>> answers(todo.size());
  for (std::size_t i = 0; i < todo.size(); ++i) ahead_[todo[i].key] = answers[i].get_future().share();
  log_.debug("Looking up " + std::to_string(todo.size()) + " layer-cache keys at once");
  stores_.push_back(std::async(std::launch::async, [this, todo = std::move(todo), answers = std::move(answers)]() mutable {
    run_prefetch(todo, answers);
  }));
}

// Two rounds: every entry at once, then the layers the build will use, so a
// miss early in the stage does not wait for, or cause, downloads it makes useless.
void LayerCache::run_prefetch(const std::vector<Probe>& probes, std::vector<std::promise<Answer>>& answers) {
  const std::size_t n = probes.size();
  std::vector<std::optional<CacheEntry>> entries(n);
  std::vector<std::string> notes(n);
  bounded_parallel(n, kLookaheadJobs, [&](std::size_t i) {
    try {
      entries[i] = find(probes[i].key, notes[i]);
    } catch (const std::exception& e) {
      log_.warn("Layer-cache lookup of " + probes[i].key + " failed: " + e.what());
    }
  });
  std::vector<bool> found(n);
  for (std::size_t i = 0; i < n; ++i) found[i] = entries[i].has_value();
  const std::vector<bool> worth = layers_worth_fetching(probes, found);
  std::vector<std::size_t> downloads;
  for (std::size_t i = 0; i < n; ++i) {
    if (worth[i]) {
      downloads.push_back(i);
    } else {
      Answer a;
      a.note = notes[i];
      a.later = found[i];  // found but not fetched: the build should not ask; if it does, it looks itself
      answers[i].set_value(std::move(a));
    }
  }
  bounded_parallel(downloads.size(), kLookaheadJobs, [&](std::size_t j) {
    const std::size_t i = downloads[j];
    Answer a;
    try {
      a = fetch(probes[i].key, *entries[i]);
    } catch (const std::exception& e) {
      log_.warn("Layer-cache download for " + probes[i].key + " failed: " + e.what());
    }
    answers[i].set_value(std::move(a));
  });
}

std::optional<bool> LayerCache::probe(const std::string& key) {
  if (!enabled_) return std::nullopt;
  try {
    return store_->has(key);
  } catch (const std::exception& e) {
    disable(e.what());
    return std::nullopt;
  }
}

void LayerCache::store(const std::string& key, const std::optional<registry::Layer>& layer) {
  if (!enabled_ || !opts_.push) return;
  std::lock_guard<std::mutex> lock(mu_);
  stores_.push_back(std::async(std::launch::async, [this, key, layer] { store_now(key, layer); }));
}

void LayerCache::store_now(const std::string& key, const std::optional<registry::Layer>& layer) {
  std::optional<cache::CachedLayer> cl;
  if (layer) cl = cache::CachedLayer{layer->descriptor, layer->diff_id};
  auto img = cache::make_cache_image(key, cl, opts_.platform, opts_.created);
  store_->put(key, img, layer);
  log_.debug("Stored layer-cache entry " + store_->name() + ":" + key);
}

void LayerCache::wait() {
  std::vector<std::future<void>> pending;
  {
    std::lock_guard<std::mutex> lock(mu_);
    pending.swap(stores_);
  }
  for (auto& f : pending) {
    try {
      f.get();
    } catch (const std::exception& e) {
      log_.warn(std::string("Failed to store a layer-cache entry: ") + e.what());
    }
  }
}

std::string cache_repository(const std::string& flag, const std::vector<std::string>& destinations) {
  if (!flag.empty()) return flag;
  if (destinations.empty()) return "";
  auto ref = registry::parse_reference(destinations.front());
  return ref.repo_str() + "/cache";
}

}  // namespace kiln::cache
