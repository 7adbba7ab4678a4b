#pragma once
// --dryrun: the resolved plan without building anything. Base images are
// resolved to their manifest digests (manifest and config only, no layer is
// downloaded), each stage's instructions are printed after expansion, and
// with the layer cache each cacheable step's key is computed and looked up;
// a RUN with mounts says how they would be given (mount_method.h).
#include <functional>
#include <string_view>

#include "cache/layer_cache.h"
#include "cache/step_cache_key.h"
#include "steps/mount_method.h"
#include "dockerfile/plan.h"
#include "engine/work_dir.h"
#include "log/log.h"
#include "registry/client.h"

namespace kiln::engine {

struct DryRunEnv {
  registry::Client* client = nullptr;
  WorkDir* work = nullptr;
  log::Logger* log = nullptr;
  image::Platform platform;
  std::filesystem::path context_dir;
  std::function<bool(std::string_view rel)> context_excluded;
  cache::LayerCache* cache = nullptr;  // null: --cache is off
  cache::CacheFlags cache_flags;
  cache::KeySettings key_settings;
  // Says for each RUN --mount whether it would use a mount namespace. May be null.
  steps::MountMethodDecider* mount_method = nullptr;
};

void dry_run(const dockerfile::Plan& plan, const DryRunEnv& env);

}  // namespace kiln::engine
