#pragma once
// Base images: resolving a reference to a manifest and config, downloading
// the layer blobs (several at once, each verified), and applying them in
// order to the root.
#include <filesystem>
#include <functional>

#include "build/image_state.h"
#include "fs/ignore_list.h"
#include "image/descriptor.h"
#include "log/log.h"
#include "registry/client.h"

namespace kiln::build {

// The empty image FROM scratch starts with: the target platform, no layers,
// and the default PATH BuildKit gives scratch images.
ImageState scratch_image(const image::Platform& platform);

struct PullResult {
  ImageState image;
  std::string manifest_digest;
  bool from_cache = false;  // taken from the base-image cache (--cache-dir)
};

// The base-image cache the warmer fills (kaniko: used with --cache=true).
struct BaseImageCache {
  std::filesystem::path dir;  // --cache-dir; empty: no cache
  long long ttl_seconds = 0;  // --cache-ttl
};

// Fetches manifest and config and downloads every layer blob into blob_dir
// (named by digest; a blob already there is reused). Layers download in
// parallel; the blobs are complete and verified when this returns.
// With a cache: a reference pinned by digest, or a tag cached within the TTL,
// comes from the cache without contacting the registry; otherwise the
// registry resolves the reference and cached blobs of that digest are used
// instead of downloads. Cached blobs are copied into blob_dir, verified on
// the way; a damaged entry is reported and the registry used instead.
PullResult pull_image(registry::Client& client, const registry::Reference& ref, const image::Platform& platform,
                      const std::filesystem::path& blob_dir, log::Logger& log, const BaseImageCache& cache = {});

// Applies the layers in order to root with the hardened extractor; ignored
// paths are never touched. Throws naming the layer at fault.
void apply_layers(const ImageState& image, const std::filesystem::path& root, const fs::IgnoreList& ignore,
                  log::Logger& log);

}  // namespace kiln::build
