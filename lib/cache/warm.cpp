#include "cache/warm.h"

#include <limits>

#include "base/error.h"
#include "image/manifest.h"

namespace kiln::cache {

namespace {

WarmResult warm_locked(registry::Client& client, const ImageCache& cache, const registry::Reference& ref,
                       const image::Platform& platform, bool force, std::int64_t now, log::Logger& log) {
  if (!force && !ref.digest.empty()) {
    // Pinned content cannot change: no need to ask the registry.
    if (auto c = cache.lookup(ref, platform, std::numeric_limits<long long>::max(), now)) {
      log.info("Image " + ref.str() + " already in cache as " + c->manifest_digest);
      return {c->manifest_digest, true};
    }
  }
  log.info("Retrieving image manifest " + ref.str());
  registry::Manifest m = client.resolve(ref, platform);
  if (!force) {
    if (auto c = cache.find_digest(m.digest)) {
      // Every layer hashed: a damaged one is fetched again below.
      bool intact = true;
      for (const auto& l : c->manifest.layers) intact = cache.has_valid_blob(l) && intact;
      if (intact) {
        // Same content as cached: only the reference's time moves on.
        cache.commit(ref, platform, m.digest, c->media_type, c->source, now);
        log.info("Image " + ref.str() + " already in cache as " + m.digest);
        return {m.digest, true};
      }
    }
  }
  image::Manifest manifest = image::parse_manifest(m.bytes, m.media_type);
  const registry::Reference& src = m.source;
  image::Descriptor md;
  md.digest = m.digest;
  md.size = static_cast<std::int64_t>(m.bytes.size());
  cache.write_blob(md, [&m](const Sink& sink) { sink(m.bytes.data(), m.bytes.size()); });
  std::vector<image::Descriptor> blobs{manifest.config};
  blobs.insert(blobs.end(), manifest.layers.begin(), manifest.layers.end());
  for (const auto& d : blobs) {
    if (!force && cache.has_valid_blob(d)) continue;
    log.info("Caching blob " + d.digest + " of " + ref.str() + " (" + std::to_string(d.size) + " bytes)");
    cache.write_blob(d, [&](const Sink& sink) { client.fetch_blob(src, d, sink); });
  }
  cache.commit(ref, platform, m.digest, m.media_type, src, now);
  log.info("Cached " + ref.str() + " as " + m.digest);
  return {m.digest, false};
}

}  // namespace

WarmResult warm_image(registry::Client& client, const ImageCache& cache, const registry::Reference& ref,
                      const image::Platform& platform, bool force, std::int64_t now, log::Logger& log) {
  try {
    auto lock = cache.lock(ref, platform);
    return warm_locked(client, cache, ref, platform, force, now, log);
  } catch (const std::exception&) {
    rethrow_with_context("warming " + ref.str());
  }
}

}  // namespace kiln::cache
