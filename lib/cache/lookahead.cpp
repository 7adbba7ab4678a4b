#include "cache/lookahead.h"

#include <set>

namespace kiln::cache {

std::vector<Probe> probes_of(const StageChain& chain) {
  std::vector<Probe> probes;
  std::set<std::string> seen;
  for (const auto& link : chain.links) {
    if (link.cacheability != Cacheability::Cached || link.lookup.empty()) continue;
    if (!seen.insert(link.lookup).second) continue;
    probes.push_back({link.lookup, link.independent});
  }
  return probes;
}

std::vector<bool> layers_worth_fetching(const std::vector<Probe>& probes, const std::vector<bool>& found) {
  std::vector<bool> fetch(probes.size(), false);
  bool missed = false;
  for (std::size_t i = 0; i < probes.size(); ++i) {
    const bool hit = i < found.size() && found[i];
    if (hit && (!missed || probes[i].independent)) fetch[i] = true;
    if (!hit) missed = true;  // as in the build: any miss, an independent one's too
  }
  return fetch;
}

}  // namespace kiln::cache
