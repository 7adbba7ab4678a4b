#include "cache/key_chain.h"

#include "cache/cache_key.h"

namespace kiln::cache {

ChainLink next_link(const std::string& previous, const dockerfile::Step& step, const std::string& user_before,
                    const std::function<std::optional<std::string>()>& sources, const CacheFlags& flags,
                    const KeySettings& settings) {
  ChainLink link;
  link.independent = is_link_step(step);
  if (previous.empty() && !link.independent) return link;
  link.reached = true;
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

bool is_file_step(const dockerfile::Instruction& in) {
  using namespace dockerfile;
  return in.as<RunInst>() || in.as<CopyInst>() || in.as<AddInst>() || in.as<WorkdirInst>();
}

StageChain stage_chain(const std::string& start, const std::vector<dockerfile::Step>& steps, std::string user,
                       const std::function<std::optional<std::string>(const dockerfile::Step&)>& sources,
                       const CacheFlags& flags, const KeySettings& settings) {
  StageChain chain;
  chain.links.reserve(steps.size());
  std::string key = start;
  for (const auto& step : steps) {
    ChainLink link;
    if (is_file_step(step.instruction)) {
      link = next_link(key, step, user, [&] { return sources(step); }, flags, settings);
      key = link.key;
    }
    if (const auto* u = step.instruction.as<dockerfile::UserInst>()) user = u->user;
    chain.links.push_back(std::move(link));
  }
  chain.end = key;
  return chain;
}

}  // namespace kiln::cache
