#pragma once
// A stage's cache-key chain, one step at a time. The build
// (engine/stage_builder) and --dryrun (engine/dry_run) both go through here,
// so the keys a dry run prints are the keys the build looks up. Pure: the
// digest of a COPY/ADD's sources comes from the caller.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cache/step_cache_key.h"

namespace kiln::cache {

struct ChainLink {
  Cacheability cacheability = Cacheability::Uncacheable;
  std::string key;  // empty: the chain breaks here; no later step of the stage has a key
  // The key the step's layer is looked up and stored under; empty: none.
  // The same as key except for an independent --link step (is_link_step):
  // there it is link_cache_key, found even after a base change or a miss,
  // while key goes on as SHA-256(previous, lookup) so the steps after it
  // still depend on everything before them.
  std::string lookup;
  bool independent = false;  // lookup does not depend on the steps before
  bool reached = false;      // the chain got to the step: a key before it, or an independent step
};

// previous: the key before the step; empty when the chain is already broken
// (an independent --link step still gets a lookup key then).
// user_before: the USER in effect before the step. sources: asked only for
// COPY/ADD, the digest of what it reads (copy_sources_digest); nullopt when
// it cannot be known yet (the dry run's COPY --from a stage it did not
// build), which breaks the chain.
ChainLink next_link(const std::string& previous, const dockerfile::Step& step, const std::string& user_before,
                    const std::function<std::optional<std::string>()>& sources, const CacheFlags& flags,
                    const KeySettings& settings);

// The steps that may change files: only they have links; any other step
// leaves the chain as it is.
bool is_file_step(const dockerfile::Instruction& in);

// A whole stage's chain, known before any step runs: nothing in it depends
// on what a step did, only on the steps, the start key, the USER before each
// step and the digests of what COPY/ADD read.
struct StageChain {
  std::vector<ChainLink> links;  // one per step; a default (keyless) link for a step that changes no files
  std::string end;               // the key after the last step: where a stage FROM this one starts
};

// start: the base image's manifest digest, "scratch", or the key a stage FROM
// another one ends with (empty: no keys). user: the USER the base sets.
// sources: next_link's, for the step given.
StageChain stage_chain(const std::string& start, const std::vector<dockerfile::Step>& steps, std::string user,
                       const std::function<std::optional<std::string>(const dockerfile::Step&)>& sources,
                       const CacheFlags& flags, const KeySettings& settings);

}  // namespace kiln::cache
