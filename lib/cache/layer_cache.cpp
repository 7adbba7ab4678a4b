#include "cache/layer_cache.h"

#include <cstdio>

#include "base/error.h"
#include "cache/cache_image.h"
#include "digest/digest.h"
#include "layer/blob_diff_id.h"
#include "registry/blob_download.h"
#include "registry/file_source.h"
#include "registry/push_image.h"

namespace kiln::cache {
namespace fsys = std::filesystem;

namespace {

// Downloads a blob into dest (registry/blob_download.h) and returns its diff_id,
// computed as the bytes pass.
std::string download(registry::Client& client, const registry::Reference& repo, const image::Descriptor& d,
                     const fsys::path& dest) {
  layer::DiffIdStream ids("layer " + d.digest);
  registry::BlobSink hash = [&ids](const char* p, std::size_t n) { ids.write(p, n); };
  std::string diff_id;
  // finish() inside the fetch: a blob that does not decompress is not kept.
  registry::download_to_file(
      [&](const registry::BlobSink& sink) {
        client.fetch_blob(repo, d, sink);
        diff_id = ids.finish();
      },
      dest, &hash);
  return diff_id;
}

registry::Reference tagged(registry::Reference repo, const std::string& key) {
  repo.tag = key;
  repo.digest.clear();
  return repo;
}

}  // namespace

LayerCache::LayerCache(registry::Client& client, LayerCacheOptions opts, log::Logger& log)
    : client_(client), opts_(std::move(opts)), log_(log) {}

LayerCache::~LayerCache() {
  try {
    wait();
  } catch (...) {
  }
}

void LayerCache::disable(const std::string& why) {
  if (!enabled_) return;
  enabled_ = false;
  log_.warn("Layer cache " + opts_.repo.repo_str() + " is not usable (" + why +
            "); building without it");
}

std::optional<CacheHit> LayerCache::lookup(const std::string& key) {
  if (!enabled_) return std::nullopt;
  registry::Reference ref = tagged(opts_.repo, key);
  registry::Manifest m;
  std::string config_bytes;
  try {
    if (!client_.head_manifest(ref)) {
      log_.info("No cached layer found for cmd, key " + key);
      return std::nullopt;
    }
    m = client_.get_manifest(ref);
    auto cfg = cache::cache_config_of(key, m.bytes, m.media_type);
    if (!cfg) {
      log_.warn("Ignoring " + ref.str() + ": not a kiln layer-cache entry for this key");
      return std::nullopt;
    }
    config_bytes = client_.fetch_blob_bytes(ref, *cfg);
  } catch (const std::exception& e) {
    disable(e.what());
    return std::nullopt;
  }
  auto entry = cache::parse_cache_entry(m.bytes, config_bytes);
  if (!entry) {
    log_.warn("Ignoring damaged layer-cache entry " + ref.str());
    return std::nullopt;
  }
  if (!cache::within_ttl(entry->created, opts_.now, opts_.ttl_seconds)) {
    log_.info("Cached layer for key " + key + " has expired (--cache-ttl)");
    return std::nullopt;
  }
  CacheHit hit;
  if (entry->layer) {
    registry::Layer l;
    l.descriptor = entry->layer->descriptor;
    l.diff_id = entry->layer->diff_id;
    l.source = opts_.repo;
    try {
      l.file = opts_.blob_dir / digest::parse(l.descriptor.digest).hex;
      std::error_code ec;
      // The digest is checked on download; the diff_id is what the image
      // config will claim for it, so it must be the layer's real one too
      // (computed in the same pass when the layer is downloaded here).
      std::string got = fsys::exists(l.file, ec) ? layer::blob_diff_id(l.file)
                                                 : download(client_, opts_.repo, l.descriptor, l.file);
      if (got != l.diff_id) {
        fsys::remove(l.file, ec);
        throw IoError("layer " + l.descriptor.digest + " has diff_id " + got + ", the cache entry says " + l.diff_id);
      }
    } catch (const std::exception& e) {
      log_.warn("Refusing cached layer for key " + key + ": " + e.what() + "; running the step instead");
      return std::nullopt;
    }
    hit.layer = std::move(l);
  }
  log_.info("Using caching version of cmd, key " + key);
  return hit;
}

std::optional<bool> LayerCache::probe(const std::string& key) {
  if (!enabled_) return std::nullopt;
  try {
    return client_.head_manifest(tagged(opts_.repo, key)).has_value();
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
  registry::Reference ref = tagged(opts_.repo, key);
  // Same order as an image push: blobs first, the tag last, so an entry is
  // never visible before its layer is.
  if (layer) {
    const fsys::path file = layer->file;
    client_.push_blob(ref, layer->descriptor, [file] { return std::make_unique<registry::FileSource>(file); });
  }
  std::string config = img.config_json;
  // The source reads the lambda's own copy, which lives as long as push_blob runs.
  client_.push_blob(ref, img.config, [config] { return std::make_unique<registry::StringSource>(config); });
  client_.put_manifest(ref, "application/vnd.oci.image.manifest.v1+json", img.manifest_json);
  log_.debug("Pushed layer-cache entry " + ref.str());
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
      log_.warn(std::string("Failed to push a layer-cache entry: ") + e.what());
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
