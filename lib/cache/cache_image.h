#pragma once
// The image a layer-cache entry is stored as, in the cache repository under
// the step's key as its tag: an OCI manifest with the step's layer (or none,
// for a step that changed no files) and a minimal config whose `created`
// time is what --cache-ttl is measured against. Pure: building and checking
// the documents; fetching and pushing them is the caller's.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "image/descriptor.h"

namespace kiln::cache {

struct CachedLayer {
  image::Descriptor descriptor;  // the compressed blob
  std::string diff_id;           // "sha256:…" of the uncompressed tar
};

struct CacheImage {
  std::string config_json;
  image::Descriptor config;  // of config_json
  std::string manifest_json;
};

// created: RFC 3339 time of the build that made the entry.
CacheImage make_cache_image(std::string_view key, const std::optional<CachedLayer>& layer,
                            const image::Platform& platform, const std::string& created);

struct CacheEntry {
  std::optional<CachedLayer> layer;  // nullopt: the step changed nothing
  std::int64_t created = 0;          // seconds since the epoch
};

// The manifest as fetched from the cache repository; nullopt when it is not a
// kiln cache entry for `key` (wrong annotation, more than one layer), so a
// foreign tag in the repository is a miss rather than a wrong layer.
std::optional<image::Descriptor> cache_config_of(std::string_view key, std::string_view manifest_json,
                                                 std::string_view media_type);

// Reads the entry from its manifest and config; nullopt when the two disagree
// (diff_id count against layer count).
std::optional<CacheEntry> parse_cache_entry(std::string_view manifest_json, std::string_view config_json);

// Whether an entry made at `created` is still fresh at `now` (--cache-ttl,
// whole seconds; as in kaniko, a TTL of 0 expires everything older than now).
bool within_ttl(std::int64_t created, std::int64_t now, std::int64_t ttl_seconds);

// Seconds since the epoch of an RFC 3339 UTC time ("2026-11-22T03:00:00Z",
// fractions and offsets accepted); nullopt when it cannot be read.
std::optional<std::int64_t> parse_rfc3339(std::string_view text);

}  // namespace kiln::cache
