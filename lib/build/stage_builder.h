#pragma once
// Builds one stage of the plan in the image root: base image applied, each
// step run, a snapshot after every step that can change files, a layer for
// every snapshot that found changes.
#include <filesystem>
#include <functional>
#include <map>
#include <string>

#include "build/image_state.h"
#include "build/layer_from_changes.h"
#include "build/work_dir.h"
#include "cli/executor_options.h"
#include "dockerfile/plan.h"
#include "fs/ignore_list.h"
#include "fs/snapshot.h"
#include "log/log.h"
#include "registry/client.h"

namespace kiln::build {

// Everything a stage needs from the build, passed as values and references:
// no global state, so a failed build leaves nothing behind for the next one.
struct BuildEnv {
  std::filesystem::path root = "/";
  const fs::IgnoreList* ignore = nullptr;
  WorkDir* work = nullptr;
  registry::Client* client = nullptr;
  log::Logger* log = nullptr;
  std::filesystem::path context_dir;
  std::function<bool(std::string_view rel)> context_excluded;
  image::Platform platform;
  LayerSettings layer;
  fs::SnapshotMode snapshot_mode = fs::SnapshotMode::Full;
  bool single_snapshot = false;
  std::string created;  // RFC 3339 time for history entries and the config
  std::string ca_file;  // for ADD <url>
  std::filesystem::path cache_dir;     // --cache-dir: RUN cache mounts, cached base images
  long long cache_ttl_seconds = 0;     // --cache-ttl
  bool cache = false;                  // --cache: base images may come from cache_dir
  std::vector<std::string> secrets;    // --secret
  cli::GetEnv getenv;
};

struct StageResult {
  ImageState image;
  std::filesystem::path saved_root;  // set when later stages COPY --from it
};

struct StageTimings {
  double unpack = 0, run = 0, snapshot = 0, layer = 0;
};

// root_dirty: an earlier stage left files in the root, wipe it first.
// keep_tree: a later stage copies from this one; save its filesystem.
StageResult build_stage(const BuildEnv& env, const dockerfile::Plan& plan, int index,
                        const std::map<int, StageResult>& done, bool root_dirty, bool keep_tree,
                        StageTimings* timings = nullptr);

}  // namespace kiln::build
