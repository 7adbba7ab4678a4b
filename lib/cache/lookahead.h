#pragma once
// Cache lookahead: what a stage asks the layer cache before its first step
// runs. Every key of the chain is known up front (key_chain.h), so the
// lookups go out in one round rather than one per step. Pure: which keys to
// ask for, and which answers are worth downloading the layer of; the asking
// is LayerCache::prefetch's.
#include <string>
#include <vector>

#include "cache/key_chain.h"

namespace kiln::cache {

struct Probe {
  std::string key;           // a ChainLink's lookup
  bool independent = false;  // an independent --link step: used even after a miss
};

// The lookups the build may make, in step order: every Cached link with a
// lookup key, each key once.
std::vector<Probe> probes_of(const StageChain& chain);

// found[i]: whether probes[i] has an entry. The build stops asking at its
// first miss (every later step runs) except for independent --link steps,
// so only the hits before the first miss and independent hits after it are
// worth downloading.
std::vector<bool> layers_worth_fetching(const std::vector<Probe>& probes, const std::vector<bool>& found);

}  // namespace kiln::cache
