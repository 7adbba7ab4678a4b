#pragma once
// Filling the base-image cache from a registry: what `warmer` does for each
// image it is given.
#include <cstdint>
#include <string>

#include "cache/image_cache.h"
#include "log/log.h"
#include "registry/client.h"

namespace kiln::cache {

struct WarmResult {
  std::string digest;        // manifest digest now cached
  bool already_cached = false;
};

// Resolves ref for platform and stores manifest, config and layers, then
// records ref -> digest with `now`. Without force, blobs already cached (and
// intact) are kept, and a reference pinned by digest that is cached is not
// looked up at all. Holds the reference's lock throughout, so concurrent
// warmers of one image wait for each other. Throws naming the image.
WarmResult warm_image(registry::Client& client, const ImageCache& cache, const registry::Reference& ref,
                      const image::Platform& platform, bool force, std::int64_t now, log::Logger& log);

}  // namespace kiln::cache
