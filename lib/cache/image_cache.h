#pragma once
// The on-disk base-image cache that `warmer` fills and `executor --cache-dir`
// reads (kaniko's --cache-dir). Layout under <cache-dir>/base-images/:
//
//   blobs/sha256/<hex>     manifests, configs and layer blobs, named by digest
//   images/<hex>.json      one per manifest digest: media type, source
//                          repository, when stored. Written after every blob
//                          it needs, so its presence means "complete".
//   refs/<key>.json        reference + platform -> manifest digest, with the
//                          time it was stored (what --cache-ttl measures)
//   locks/<key>.lock       flock per reference: concurrent warmers of one
//                          image wait for each other instead of both fetching
//
// Every file appears by rename of a complete temporary file, so a reader never
// sees half a blob, and readers take no lock (the executor may mount the cache
// read-only). Blobs are checked on read: a wrong size or digest makes the
// entry a miss with a warning, never a source of bytes.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "cache/file_lock.h"
#include "image/descriptor.h"
#include "image/manifest.h"
#include "log/log.h"
#include "registry/reference.h"

namespace kiln::cache {

// A complete, verified image entry (manifest and config checked against
// their digests; layer blobs present with the right sizes, their content is
// checked when copied out with copy_layer).
struct CachedImage {
  std::string manifest_digest;
  std::string media_type;  // of the manifest
  std::string manifest_bytes;
  image::Manifest manifest;
  std::string config_bytes;
  registry::Reference source;  // where it was fetched; pushes can mount from it
  std::int64_t stored = 0;     // unix seconds
};

struct RefRecord {
  std::string digest;       // manifest digest
  std::int64_t stored = 0;  // unix seconds
};

// Bytes arrive through the sink the producer is given.
using Sink = std::function<void(const char*, std::size_t)>;
using Producer = std::function<void(const Sink&)>;

class ImageCache {
 public:
  // cache_dir is --cache-dir; nothing is created until something is written.
  ImageCache(std::filesystem::path cache_dir, log::Logger& log);

  const std::filesystem::path& root() const { return root_; }
  std::filesystem::path blob_path(const std::string& digest) const;

  // --- reading (no lock, nothing written) ---

  // The entry for a manifest digest; nullopt when absent or damaged (warned).
  std::optional<CachedImage> find_digest(const std::string& manifest_digest) const;
  std::optional<RefRecord> find_ref(const registry::Reference& ref, const image::Platform& platform) const;
  // What may be used without asking a registry: a reference pinned by digest
  // (content never goes stale), or a tag stored at most ttl_seconds before now.
  std::optional<CachedImage> lookup(const registry::Reference& ref, const image::Platform& platform,
                                    long long ttl_seconds, std::int64_t now) const;
  // Copies a layer blob to dest (atomically), checking size and SHA-256 on
  // the way. Throws kiln::Error naming the blob when the cached copy is bad;
  // dest is then untouched.
  void copy_layer(const image::Descriptor& layer, const std::filesystem::path& dest) const;

  // --- writing ---

  // Exclusive lock for warming one reference+platform.
  FileLock lock(const registry::Reference& ref, const image::Platform& platform) const;
  // Whether blob d is present with its size and digest (hashes the file).
  bool has_valid_blob(const image::Descriptor& d) const;
  // Stores a blob from producer under its digest; the bytes must match d's
  // size and digest or kiln::IoError is thrown and nothing is stored.
  void write_blob(const image::Descriptor& d, const Producer& producer) const;
  // Records an image whose manifest, config and layer blobs are stored, and
  // points ref (+platform) at it. Throws naming the first missing blob.
  void commit(const registry::Reference& ref, const image::Platform& platform, const std::string& manifest_digest,
              const std::string& media_type, const registry::Reference& source, std::int64_t now) const;

 private:
  std::string ref_key(const registry::Reference& ref, const image::Platform& platform) const;
  bool blob_matches(const std::filesystem::path& p, const image::Descriptor& d, std::string* why) const;

  std::filesystem::path root_;
  log::Logger& log_;
};

}  // namespace kiln::cache
