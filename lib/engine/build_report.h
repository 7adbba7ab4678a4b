#pragma once
// What BENCHMARK_FILE receives: per stage and per instruction, where the time
// went (unpack, run, snapshot, layer, push), how much the snapshot walked and
// hashed, the layer's size before and after compression, and what the layer
// cache answered. Totals at the top level keep older readers working.
#include <cstdint>
#include <string>
#include <vector>

namespace kiln::engine {

struct StepReport {
  std::string instruction;  // as written, shortened
  std::string cache;        // "hit", "miss", "keyed" (runs, key known), "uncached", "off"
  double run_seconds = 0, snapshot_seconds = 0, layer_seconds = 0, cache_seconds = 0;
  std::int64_t files_walked = 0, files_hashed = 0;
  std::int64_t layer_bytes_in = 0, layer_bytes_out = 0;
};

struct StageReport {
  int index = 0;
  std::string name;
  std::string base;
  std::string platform;       // what it was built for (several with --custom-platform=a,b)
  double unpack_seconds = 0;  // base image and cached layers applied to the root
  double total_seconds = 0;
  bool unpacked = false;      // false when every step came from the cache
  int cache_lookahead = 0;    // layer-cache keys looked up at once before the first step
  std::vector<StepReport> steps;
};

struct BuildReport {
  std::vector<StageReport> stages;
  double total_seconds = 0;
  // After the last step: the outputs, the push included, with the wait for
  // the early uploads still running; of that, the wait and the manifests.
  double push_seconds = 0;
  double early_upload_wait_seconds = 0;
  double push_manifests_seconds = 0;
  // The early uploader's own time (engine/early_upload.h), most of it while
  // the steps ran, and the (blob, destination) pairs it placed or left.
  double early_upload_seconds = 0;
  int early_upload_blobs = 0, early_upload_failed = 0;
  double peak_rss_mb = 0;
  // JSON: total_seconds, unpack_seconds, run_seconds, snapshot_seconds,
  // layer_seconds, push_seconds, early_upload_wait_seconds,
  // push_manifests_seconds, early_upload_seconds, early_upload_blobs,
  // early_upload_failed, cache_hits, cache_misses, peak_rss_mb,
  // platforms: {"linux/arm64": {stage_seconds, unpack_seconds, run_seconds,
  // snapshot_seconds, layer_seconds}},
  // stages: [{index, name, base, platform, unpacked, unpack_seconds, total_seconds, cache_lookahead,
  // steps: [{instruction, cache, run_seconds, snapshot_seconds, files_walked,
  // files_hashed, layer_seconds, layer_bytes_in, layer_bytes_out}]}].
  std::string to_json() const;
};

}  // namespace kiln::engine
