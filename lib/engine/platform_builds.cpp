#include "engine/platform_builds.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <string>

#include "dockerfile/shared_stages.h"
#include "dockerfile/stage_schedule.h"
#include "engine/parallel_stages.h"
#include "fs/wipe.h"

namespace kiln::engine {
namespace fsys = std::filesystem;

namespace {

bool plan_has_run(const dockerfile::Plan& plan) {
  return std::any_of(plan.stages.begin(), plan.stages.end(),
                     [](const dockerfile::Stage& s) { return dockerfile::stage_has_run(s); });
}

// Whether every platform after the first may be built in a root of its own.
// The mount-namespace probe runs only when one of them has a RUN.
bool own_roots_work(const std::vector<PlatformWork>& work) {
  bool any_run = std::any_of(work.begin() + 1, work.end(), [](const PlatformWork& w) { return plan_has_run(*w.plan); });
  if (!any_run) return true;
  const BuildEnv& be = work.front().env;
  if (own_roots_can_run(be)) return true;
  be.log->info("Platforms are built one after another in the root: a RUN in a root of its own needs a mount "
               "namespace for its /proc (" + be.mount_method->get().why + ")");
  return false;
}

std::string platform_label(std::size_t i, std::size_t n, const image::Platform& p) {
  return p.str() + " (" + std::to_string(i + 1) + " of " + std::to_string(n) + ")";
}

PlatformBuild build_one(PlatformWork& w, BuildReport& report, const StagesOptions& opts) {
  const std::size_t first = report.stages.size();
  // However the owner's build ends, the others stop waiting for it.
  struct CloseShared {
    const StagesOptions& opts;
    ~CloseShared() {
      if (opts.owns_shared) opts.shared->close();
    }
  } close_shared{opts};
  registry::ImageState image = build_all_stages(*w.plan, w.env, report, opts);
  for (std::size_t s = first; s < report.stages.size(); ++s) report.stages[s].platform = w.platform.str();
  return {w.platform, std::move(image)};
}

// The options of platform i: the first builds the shared stages for all.
StagesOptions platform_options(StagesOptions opts, SharedStages* shared, std::size_t i) {
  opts.shared = shared;
  opts.owns_shared = shared && i == 0;
  return opts;
}

std::set<int> find_shared(const std::vector<PlatformWork>& work) {
  std::vector<const dockerfile::Plan*> plans;
  for (const auto& w : work) plans.push_back(w.plan);
  std::set<int> stages = dockerfile::shared_stages(plans);
  if (stages.empty()) return stages;
  std::string names;
  for (int i : stages) {
    const auto& s = work.front().plan->stages[static_cast<std::size_t>(i)];
    names += (names.empty() ? "" : ", ") + std::to_string(i) + (s.name.empty() ? "" : " (" + s.name + ")");
  }
  work.front().env.log->info("Stage(s) " + names + " are the same for every platform: built once, for " +
                             work.front().platform.str());
  return stages;
}

std::vector<PlatformBuild> one_after_another(std::vector<PlatformWork>& work, BuildReport& report,
                                             const StagesOptions& opts, SharedStages* shared) {
  std::vector<PlatformBuild> out;
  for (std::size_t i = 0; i < work.size(); ++i) {
    BuildEnv& be = work[i].env;
    if (work.size() > 1) be.log->info("Building for " + platform_label(i, work.size(), work[i].platform));
    // The last platform's files are not the next one's starting point.
    if (i > 0) fs::wipe_root(be.root, *be.ignore);
    out.push_back(build_one(work[i], report, platform_options(opts, shared, i)));
  }
  return out;
}

}  // namespace

std::size_t platforms_at_once(std::size_t platforms, int jobs, bool own_roots_work) {
  if (platforms < 2 || jobs < 2 || !own_roots_work) return 1;
  return std::min<std::size_t>(platforms, static_cast<std::size_t>(jobs));
}

std::vector<PlatformBuild> build_platforms(std::vector<PlatformWork>& work, BuildReport& report,
                                           const StagesOptions& opts) {
  std::optional<SharedStages> shared;
  if (work.size() > 1)
    if (std::set<int> stages = find_shared(work); !stages.empty())
      shared.emplace(std::move(stages), work.front().platform.str());
  SharedStages* sharing = shared ? &*shared : nullptr;
  if (work.size() < 2 || opts.jobs < 2) return one_after_another(work, report, opts, sharing);
  const std::size_t at_once = platforms_at_once(work.size(), opts.jobs, own_roots_work(work));
  if (at_once < 2) return one_after_another(work, report, opts, sharing);

  log::Logger& log = *work.front().env.log;
  log.info("Building " + std::to_string(work.size()) + " platforms side by side (--jobs=" + std::to_string(opts.jobs) +
           "): " + work.front().platform.str() + " in the root, the others each in a root of its own");
  // The threads are shared: each platform's stages get their part of them.
  StagesOptions each = opts;
  each.jobs = std::max(1, opts.jobs / static_cast<int>(at_once));
  std::vector<std::optional<log::Logger>> logs(work.size());
  std::vector<log::Logger*> parent_logs;
  // The prefixed loggers end here: the environments get theirs back on every exit.
  struct GiveBack {
    std::vector<PlatformWork>& work;
    std::vector<log::Logger*>& logs;
    ~GiveBack() {
      for (std::size_t i = 0; i < logs.size(); ++i) work[i].env.log = logs[i];
    }
  } give_back{work, parent_logs};
  std::vector<BuildReport> reports(work.size());
  std::vector<std::optional<PlatformBuild>> built(work.size());
  for (std::size_t i = 0; i < work.size(); ++i) {
    BuildEnv& be = work[i].env;
    parent_logs.push_back(be.log);
    logs[i].emplace(*be.log, "[" + work[i].platform.str() + "] ");
    be.log = &*logs[i];
    if (i == 0) continue;
    be.root = be.work->path() / "root";
    be.own_root = true;
    // One layer file is streamed at a time (engine/early_upload.h): the
    // root's platform streams; the others' layers go when complete.
    be.layer_writing = nullptr;
    fsys::create_directories(be.root);
  }
  run_side_by_side(
      work.size(), at_once,
      [&](std::size_t i) {
        work[i].env.log->info("Building for " + platform_label(i, work.size(), work[i].platform) +
                              (work[i].env.own_root ? " in its own root " + work[i].env.root.string() : ""));
        built[i] = build_one(work[i], reports[i], platform_options(each, sharing, i));
        // Its files live on in its layers; the root goes.
        std::error_code ec;
        if (work[i].env.own_root) fsys::remove_all(work[i].env.root, ec);
      },
      [&] {
        log.info("A platform's build ended with an error: stopping the others");
        if (work.front().env.interrupt) work.front().env.interrupt->stop();
      });
  std::vector<PlatformBuild> out;
  for (std::size_t i = 0; i < work.size(); ++i) {
    for (auto& s : reports[i].stages) report.stages.push_back(std::move(s));
    out.push_back(std::move(*built[i]));
  }
  return out;
}

}  // namespace kiln::engine
