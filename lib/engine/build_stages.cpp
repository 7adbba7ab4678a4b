#include "engine/build_stages.h"

#include <algorithm>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/error.h"
#include "dockerfile/image_uses.h"
#include "dockerfile/stage_schedule.h"
#include "dockerfile/stage_use.h"
#include "engine/base_prefetch.h"
#include "engine/parallel_stages.h"

namespace kiln::engine {
namespace fsys = std::filesystem;
using dockerfile::StageLane;

namespace {

// kaniko reads base images from --cache-dir only with --cache=true.
BaseImageCache prefetch_cache(const BuildEnv& be) {
  if (!be.cache || be.cache_dir.empty()) return {};
  return {be.cache_dir, be.cache_ttl_seconds};
}

// Whether a RUN can have a root of its own: a mount namespace for its /proc
// and /dev. Probed only when a stage that could go aside has a RUN.
bool side_roots_can_run(const dockerfile::Plan& plan, const BuildEnv& be, int jobs) {
  if (jobs <= 1) return false;
  if (!be.mount_method) return true;  // null: RUN --mount always gets a namespace
  bool wanted = std::any_of(plan.build_order.begin(), plan.build_order.end(), [&](int i) {
    return i != plan.target && dockerfile::stage_has_run(plan.stages[static_cast<std::size_t>(i)]);
  });
  if (!wanted) return false;
  if (own_roots_can_run(be)) return true;
  be.log->info("Stages with RUN are built one after another in the root: a RUN in a stage's own root needs a mount "
               "namespace for its /proc (" + be.mount_method->get().why + "); stages without RUN are built beside them");
  return false;
}

// A stage another platform builds for this one (StagesOptions::shared).
bool adopted(const StagesOptions& opts, int stage) {
  return opts.shared && opts.shared->covers(stage) && !opts.owns_shared;
}

std::vector<PrefetchImage> images_to_prefetch(const dockerfile::Plan& plan, dockerfile::StageSchedule schedule,
                                              bool layer_cache, const StagesOptions& opts) {
  // The stages that start at once stream their layers into their roots; the
  // others find theirs downloaded when their turn comes. With the layer
  // cache a stage may need no layer at all: none is downloaded ahead. An
  // image only adopted stages use is not this platform's to fetch.
  std::vector<int> first = schedule.take_ready();
  std::vector<PrefetchImage> out;
  for (const auto& use : dockerfile::image_uses(plan)) {
    if (std::all_of(use.stages.begin(), use.stages.end(), [&](int s) { return adopted(opts, s); })) continue;
    bool later = std::none_of(use.stages.begin(), use.stages.end(),
                              [&](int s) { return std::find(first.begin(), first.end(), s) != first.end(); });
    out.push_back({use.reference, use.platform, later && !layer_cache});
  }
  return out;
}

std::string stage_label(const dockerfile::Stage& s) {
  return "stage " + std::to_string(s.index) + (s.name.empty() ? "" : " (" + s.name + ")");
}

}  // namespace

int default_jobs(unsigned cores) { return static_cast<int>(std::max(4u, cores)); }

bool own_roots_can_run(const BuildEnv& be) {
  return !be.mount_method || be.mount_method->get().method == steps::MountMethod::Namespace;
}

registry::ImageState build_all_stages(const dockerfile::Plan& plan, const BuildEnv& be, BuildReport& report,
                                      const StagesOptions& opts) {
  log::Logger& log = *be.log;
  const int jobs = std::max(opts.jobs, 1);
  const dockerfile::StageUse use = dockerfile::stage_use(plan);
  const auto lanes = dockerfile::stage_lanes(plan, jobs, side_roots_can_run(plan, be, jobs));
  dockerfile::StageSchedule schedule(plan, lanes, jobs);
  const bool side_by_side =
      std::any_of(lanes.begin(), lanes.end(), [](const auto& kv) { return kv.second == StageLane::Side; });

  BuildEnv shared = be;
  shared.layer_ready = nullptr;  // the target's only, below
  shared.layer_writing = nullptr;
  std::mutex image_sources;
  shared.image_sources_lock = &image_sources;
  std::optional<BasePrefetch> prefetch;
  if (plan.build_order.size() > 1) {
    auto images = images_to_prefetch(plan, schedule, be.layer_cache != nullptr, opts);
    if (!images.empty()) {
      const int fetchers = std::min<int>(static_cast<int>(images.size()), 8);
      log.info("Fetching the build's " + std::to_string(images.size()) + " image(s) at once");
      prefetch.emplace(*be.client, be.platform, be.work->blobs(), prefetch_cache(be), log, std::move(images), fetchers);
      shared.prefetch = &*prefetch;
    }
  }
  if (side_by_side) log.info("Building independent stages side by side (--jobs=" + std::to_string(jobs) + ")");

  std::size_t first_report = report.stages.size();
  report.stages.resize(first_report + plan.build_order.size());
  auto report_of = [&](int i) {
    auto pos = std::find(plan.build_order.begin(), plan.build_order.end(), i) - plan.build_order.begin();
    return &report.stages[first_report + static_cast<std::size_t>(pos)];
  };

  StageBuilder builder(shared, plan);
  auto build = [&](int i) {
    const auto& s = plan.stages[static_cast<std::size_t>(i)];
    if (adopted(opts, i)) {
      log.info("Stage " + std::to_string(i) + (s.name.empty() ? "" : " (" + s.name + ")") +
               " is the same for every platform: using the one built for " + opts.shared->owner());
      StageReport* r = report_of(i);
      r->index = i;
      r->name = s.name;
      r->base = s.base_image;
      builder.adopt(i, opts.shared->wait(i));
      return;
    }
    BuildEnv env = shared;
    std::optional<log::Logger> stage_log;
    if (side_by_side) {
      stage_log.emplace(log, "[" + stage_label(s) + "] ");
      env.log = &*stage_log;
    }
    if (lanes.at(i) == StageLane::Side) {
      env.root = be.work->path() / "roots" / std::to_string(i);
      env.scratch = be.work->path() / "scratch-stages" / std::to_string(i);
      env.own_root = true;
      for (const auto& d : {env.root, env.scratch}) fsys::create_directories(d);
    }
    env.log->info("Building " + stage_label(s) + " FROM " + s.base_image +
                  (env.own_root ? " in its own root " + env.root.string() : ""));
    // The layer cache stores every stage's steps, so every stage needs its layers then.
    bool need_layers = be.layer_cache != nullptr || use.layered.count(i) > 0;
    if (use.extra_targets.count(i))
      env.log->info("Stage " + std::to_string(i) + " is a --target after the first: built, not pushed or written out");
    if (!need_layers)
      env.log->info("Stage " + std::to_string(i) +
                    (use.kept.count(i) ? " is only copied from" : " is used by no other stage") +
                    ": no snapshots or layers for it");
    // Only the target's layers reach the outputs (an earlier stage's base
    // layers, if the target is built FROM it, are unpacked again there).
    env.keep_base_layers = i == plan.target && opts.target_keeps_layers;
    env.materialize = i == plan.target && opts.materialize;
    if (i == plan.target) {
      env.layer_ready = be.layer_ready;
      env.layer_writing = be.layer_writing;
    }
    const StageResult& built = builder.build_with(env, i, stage_role(need_layers, use.kept.count(i) > 0), report_of(i));
    if (opts.shared && opts.shared->covers(i)) opts.shared->publish(i, built);
    // Its files live on in its saved tree (hard links) and its layers; the
    // root made for it goes (not the platform's own root, be.root).
    if (lanes.at(i) == StageLane::Side) {
      std::error_code ec;
      fsys::remove_all(env.root, ec);
      fsys::remove_all(env.scratch, ec);
    }
  };
  run_schedule(schedule, build, [&] {
    if (side_by_side) log.info("A stage ended with an error: stopping the stages built beside it");
    if (be.interrupt) be.interrupt->stop();
  });
  return builder.result(plan.target).image;
}

}  // namespace kiln::engine
