#pragma once
// Which steps the layer cache may answer, and the key each one is stored
// under. Pure: the file contents a COPY reads come in as a digest computed
// elsewhere (copy_sources_digest.h).
#include <optional>
#include <string>

#include "dockerfile/evaluate.h"
#include "image/descriptor.h"

namespace kiln::cache {

// What a key depends on besides the step itself.
struct KeySettings {
  image::Platform platform;
  std::optional<std::int64_t> fixed_mtime;  // --reproducible: layers differ in their mtimes
};

enum class Cacheability {
  Cached,      // looked up, and stored after running on a miss
  KeyedOnly,   // runs every time, but its key is known so later steps may hit
               // (COPY/ADD without --cache-copy-layers)
  Uncacheable  // its result is not determined by a key: it and every later step run
};

struct CacheFlags {
  bool run_layers = true;    // --cache-run-layers
  bool copy_layers = false;  // --cache-copy-layers
};

// RUN with a bind mount reads files the key does not cover; ADD of a URL
// without --checksum fetches bytes that may change: both are Uncacheable.
// WORKDIR may create a directory and so is cached like RUN (kiln goes beyond
// kaniko here, so a fully cached stage never needs its base unpacked).
Cacheability cacheability(const dockerfile::Step& step, const CacheFlags& flags);

// previous: the key of the step before, or the stage's starting key.
// user: the USER in effect before the step (WORKDIR's owner, RUN's user).
// sources_digest: copy_sources_digest() for COPY/ADD, empty otherwise.
std::string step_cache_key(const std::string& previous, const dockerfile::Step& step, const std::string& user,
                           const std::string& sources_digest, const KeySettings& settings);

// COPY --link / ADD --link whose layer is independent of the stage below it:
// the sources go into an empty tree, so nothing under the destination counts.
// Not when --chown names a user or group (resolved in the stage's
// /etc/passwd and /etc/group): such a step keys like a plain COPY.
bool is_link_step(const dockerfile::Step& step);

// The key of an independent --link step: its own inputs only (sources and
// their digest, destination and WORKDIR, --chown/--chmod, --from, platform,
// --reproducible), not the chain before it, so a base-image change still
// finds the layer (BuildKit's rebase).
std::string link_cache_key(const dockerfile::Step& step, const std::string& sources_digest,
                           const KeySettings& settings);

}  // namespace kiln::cache
