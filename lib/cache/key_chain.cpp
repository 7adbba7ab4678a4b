#include "cache/key_chain.h"

#include "cache/cache_key.h"

namespace kiln::cache {

ChainLink next_link(const std::string& previous, const dockerfile::Step& step, const std::string& user_before,
                    const std::function<std::optional<std::string>()>& sources, const CacheFlags& flags,
                    const KeySettings& settings) {
  ChainLink link;
  link.independent = is_link_step(step);
  if (previous.empty() && !link.independent) return link;
  link.cacheability = cacheability(step, flags);
  if (link.cacheability == Cacheability::Uncacheable) return link;
  std::string files;
  const auto& in = step.instruction;
  if (in.as<dockerfile::CopyInst>() || in.as<dockerfile::AddInst>()) {
    auto digest = sources();
    if (!digest) {
      link.cacheability = Cacheability::Uncacheable;
      return link;
    }
    files = *digest;
  }
  if (link.independent) {
    link.lookup = link_cache_key(step, files, settings);
    if (!previous.empty()) link.key = CacheKey(previous).add("link", link.lookup).hex();
    return link;
  }
  link.key = step_cache_key(previous, step, user_before, files, settings);
  link.lookup = link.key;
  return link;
}

}  // namespace kiln::cache
