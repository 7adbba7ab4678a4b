#pragma once
// The stage builder: one stage of the plan built in the image root.
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/env.h"
#include "cache/layer_cache.h"
#include "cache/step_cache_key.h"
#include "steps/mount_method.h"
#include "dockerfile/plan.h"
#include "engine/build_report.h"
#include "engine/work_dir.h"
#include "fs/ignore_list.h"
#include "fs/snapshot.h"
#include "layer/layer_from_changes.h"
#include "log/log.h"
#include "proc/interrupt.h"
#include "registry/client.h"
#include "registry/image_state.h"
#include "steps/run_mounts.h"
#include "steps/step_env.h"

namespace kiln::engine {

class BasePrefetch;

// Everything a stage needs from the build, passed as values and references:
// no global state, so a failed build leaves nothing behind for the next one.
// What every step takes (root, ignore list, context, scratch, log) is its
// StepEnv part; scratch is work->scratch().
struct BuildEnv : steps::StepEnv {
  WorkDir* work = nullptr;
  registry::Client* client = nullptr;
  image::Platform platform;
  layer::LayerSettings layer;
  fs::SnapshotMode snapshot_mode = fs::SnapshotMode::Full;
  bool single_snapshot = false;
  std::string created;  // RFC 3339 time for history entries and the config
  std::string ca_file;  // for ADD <url>
  std::filesystem::path cache_dir;     // --cache-dir: RUN cache mounts, cached base images
  long long cache_ttl_seconds = 0;     // --cache-ttl
  bool cache = false;                  // --cache: base images may come from cache_dir
  std::map<std::string, steps::SecretFlag> secrets;  // --secret, by id
  // The registry layer cache (--cache with a cache repository); null: off.
  cache::LayerCache* layer_cache = nullptr;
  cache::CacheFlags cache_flags;
  cache::KeySettings key_settings;
  // Called with each layer of the image to push once its blob is complete:
  // the base image's when the target stage starts, then each step's as it
  // is added (the early upload, early_upload.h). Set for the target stage
  // only; empty: nothing is told.
  std::function<void(const registry::Layer&)> layer_ready;
  // Called, for the same stage, when a step's layer starts being written to
  // a file (its layer_ready follows when it is complete and kept).
  std::function<void(const std::filesystem::path&)> layer_writing;
  // SIGTERM/SIGINT watcher (proc/interrupt.h): checked between steps, kills a
  // running RUN. Null: none.
  proc::Interrupt* interrupt = nullptr;
  // RUN --mount in a mount namespace or by file operations (mount_method.h),
  // decided once for the build. Null: always a namespace.
  steps::MountMethodDecider* mount_method = nullptr;
  // The outputs (--tar-path, --oci-layout-path) will need every layer's
  // bytes: streamed base layers are written to disk as they are unpacked
  // rather than downloaded again at the end.
  bool keep_base_layers = false;
  // --materialize, for the target: its files end up in the root even when
  // the layer cache answered every step (which otherwise skips the unpack).
  bool materialize = false;
  int extract_retries = 0;  // --image-fs-extract-retry (base_image.h)
  // `root` is the stage's own root under the work dir, not the container's
  // (a stage built beside others): RUN chroots there (steps/own_root.h).
  bool own_root = false;
  // The container's root (the build's root before any stage or platform got
  // one of its own) and the build-wide home of RUN caches when --cache-dir
  // is not a volume (steps/mount_setup.h).
  std::filesystem::path container_root = "/";
  std::filesystem::path run_cache_fallback;
  // The build's images fetched at the start (base_prefetch.h); null: each
  // stage pulls its own.
  BasePrefetch* prefetch = nullptr;
  // Held while an image named by --from= is unpacked under the work dir, so
  // stages built side by side unpack it once. Null: one stage at a time.
  std::mutex* image_sources_lock = nullptr;
};

struct StageResult {
  registry::ImageState image;
  std::filesystem::path saved_root;  // set when later stages COPY --from it
  std::string cache_key;             // the key after the stage's last step: where a stage FROM it starts
  std::vector<std::string> state_env;  // ENV and ARG values at the end: a stage FROM it sees them (BuildKit)
};

// What the rest of the build uses from a stage (dockerfile/stage_use.h).
// Without layers no snapshot is taken and no layer written, since nothing
// would use them; a kept tree is saved for a later COPY --from or RUN
// --mount from=.
enum class StageRole {
  Unused,                // built (kaniko builds every stage) but read by nothing
  CopiedFrom,            // its files are copied: tree kept, no layers
  Layered,               // the target or a base of another stage: layers, no tree
  LayeredAndCopiedFrom,  // both
};
StageRole stage_role(bool layered, bool kept);

// Builds the stages of one plan in the image root, in build order: base
// image, each step run, a snapshot after every step that can change files, a
// layer for every snapshot that found changes. With the layer cache, the
// base is unpacked only when a step has to run (or the tree must be kept): a
// stage answered wholly by the cache is assembled from cached layers without
// touching the root. Holds what the stages built so far left (their
// results, whether the root needs wiping before the next one).
class StageBuilder {
 public:
  StageBuilder(const BuildEnv& env, const dockerfile::Plan& plan);
  // The stages `index` builds FROM or copies from must have been built.
  const StageResult& build(int index, StageRole role, StageReport* report = nullptr);
  // The same with a stage's own environment: its root (the build's, or a
  // side root of its own under the work dir: engine/parallel_stages.h), its
  // log. Safe to call from several threads at once, each for a different
  // stage whose prerequisites are built.
  const StageResult& build_with(const BuildEnv& env, int index, StageRole role, StageReport* report = nullptr);
  const StageResult& result(int index) const;
  // A stage built elsewhere (another platform's build of a stage alike on
  // every platform: engine/shared_stages.h) counts as built here.
  void adopt(int index, StageResult result);

 private:
  const BuildEnv& env_;
  const dockerfile::Plan& plan_;
  mutable std::mutex mu_;  // guards done_ and root_dirty_
  std::map<int, StageResult> done_;
  bool root_dirty_ = false;  // an earlier stage left files in the build's root
};

}  // namespace kiln::engine
