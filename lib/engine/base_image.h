#pragma once
// Base images: resolving a reference to a manifest and config, and applying
// the layers in order to the root, each streamed from the registry through
// decompression straight into the filesystem (no copy on disk), its digest
// checked in the same pass.
#include <filesystem>
#include <functional>

#include "fs/ignore_list.h"
#include "image/descriptor.h"
#include "log/log.h"
#include "registry/client.h"
#include "registry/image_state.h"

namespace kiln::engine {

// The empty image FROM scratch starts with: the target platform, no layers,
// and the default PATH BuildKit gives scratch images.
registry::ImageState scratch_image(const image::Platform& platform);

struct PullResult {
  registry::ImageState image;
  std::string manifest_digest;
  bool from_cache = false;  // taken from the base-image cache (--cache-dir)
};

// The base-image cache the warmer fills (kaniko: used with --cache=true).
struct BaseImageCache {
  std::filesystem::path dir;  // --cache-dir; empty: no cache
  long long ttl_seconds = 0;  // --cache-ttl
};

// Fetches manifest and config; downloads no layer. Each layer gets `fetch`
// (streams it from the registry) and `file` = blob_dir/<hex>, where a copy
// is written only if something later needs the bytes on disk (ensure_local).
// With a cache: a reference pinned by digest, or a tag cached within the TTL,
// comes from the cache without contacting the registry; otherwise the
// registry resolves the reference and a cache entry of that digest is used
// instead. Cached layers are checked (size and SHA-256) in place and used
// from the cache directory itself (`file` points there, nothing is copied);
// a damaged entry is reported and the registry used instead.
PullResult pull_image(registry::Client& client, const registry::Reference& ref, const image::Platform& platform,
                      const std::filesystem::path& blob_dir, log::Logger& log, const BaseImageCache& cache = {});

// Applies the layers in order to root with the hardened extractor; ignored
// paths are never touched. A layer whose `file` holds the complete blob is
// read from there; otherwise it is streamed through `fetch` while it is
// extracted, and a wrong size or digest (known only at the end) fails the
// layer: the root then holds part of it, and the caller's failure path wipes
// it. Throws naming the layer (number and digest) at fault. keep_copies:
// a streamed layer is also written to its `file` as it passes (for outputs
// that will need the bytes: one download instead of two).
// extract_retries (--image-fs-extract-retry): a layer that fails to unpack
// is downloaded again and unpacked over what the failed attempt left, up to
// that many more times (not after a cancellation).
void apply_layers(const registry::ImageState& image, const std::filesystem::path& root, const fs::IgnoreList& ignore,
                  log::Logger& log, bool keep_copies = false, int extract_retries = 0);

// Writes the layer's blob to its `file` (downloaded through `fetch` under a
// temporary name, renamed once verified) unless it is already there. For
// outputs that need the bytes on disk: an OCI layout, a tarball, a push to a
// registry that cannot mount the blob from `source`.
void ensure_local(const registry::Layer& layer);
// Whether the layer's blob is on disk already, whole.
bool have_file(const registry::Layer& layer);

}  // namespace kiln::engine
