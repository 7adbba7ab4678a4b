#include "cmd/cache_push_check.h"

#include "cache/entry_store.h"

namespace kiln::cmd {

CachePushCheck cache_push_check(const CachePushCheckInputs& in) {
  if (!in.cache || in.no_push_cache || in.skip_check || in.dryrun) return CachePushCheck::None;
  if (cache::oci_cache_dir(in.cache_repo_flag)) return CachePushCheck::None;
  if (!in.pushing && !in.cache_repo_flag.empty()) return CachePushCheck::FailWhenRefused;
  return CachePushCheck::WarnWhenRefused;
}

}  // namespace kiln::cmd
