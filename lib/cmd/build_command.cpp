#include "cmd/build_command.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <list>
#include <optional>
#include <thread>

#include "base/error.h"
#include "base/file.h"
#include "base/utc_time.h"
#include "cache/layer_cache.h"
#include "cmd/build_settings.h"
#include "cmd/cache_push_check.h"
#include "cmd/registry_setup.h"
#include "context/build_context.h"
#include "context/object_source.h"
#include "dockerfile/dockerignore.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "dockerfile/run_platforms.h"
#include "dockerfile/stage_use.h"
#include "engine/build_report.h"
#include "engine/build_stages.h"
#include "engine/cleanup_keep.h"
#include "engine/dry_run.h"
#include "engine/early_upload.h"
#include "engine/index_outputs.h"
#include "engine/platform_builds.h"
#include "engine/outputs.h"
#include "engine/stage_builder.h"
#include "engine/work_dir.h"
#include "fs/ignore_list.h"
#include "fs/root_stash.h"
#include "fs/snapshot.h"
#include "fs/wipe.h"
#include "image/platform.h"
#include "proc/container_check.h"
#include "proc/foreign_exec.h"
#include "registry/client.h"
#include "registry/credentials.h"
#include "steps/mount_files.h"
#include "steps/mount_method.h"

namespace kiln::cmd {
namespace fsys = std::filesystem;

namespace {

// A file the user named: its absence is their error.
std::string read_input(const fsys::path& p, const std::string& what) {
  auto text = read_file_if_present(p);
  if (!text) throw UsageError(what + " " + p.string() + " does not exist or cannot be read");
  return *text;
}

// kaniko: the Dockerfile path as given (relative to the working directory)
// when it exists, else relative to the context.
fsys::path locate_dockerfile(const std::string& flag, const fsys::path& context_dir) {
  std::error_code ec;
  if (fsys::is_regular_file(flag, ec)) return fsys::absolute(flag);
  fsys::path in_ctx = context_dir / flag;
  if (fsys::is_regular_file(in_ctx, ec)) return in_ctx;
  throw UsageError("Dockerfile " + flag + " does not exist (also looked for " + in_ctx.string() + ")");
}

// The layer cache's store; nullptr (after a warning: the build goes on
// uncached, as with an unreachable registry) when a local one cannot be made.
std::unique_ptr<cache::EntryStore> open_cache_store(const std::string& repo, registry::Client& client,
                                                    log::Logger& log) {
  auto oci_dir = cache::oci_cache_dir(repo);
  if (!oci_dir) return cache::registry_entry_store(client, registry::parse_reference(repo));
  try {
    return cache::oci_entry_store(*oci_dir);
  } catch (const std::exception& e) {
    log.warn("Layer cache " + repo + " is not usable (" + e.what() + "); building without it");
    return nullptr;
  }
}

std::function<bool(std::string_view)> load_dockerignore(const fsys::path& dockerfile, const fsys::path& context_dir,
                                                        log::Logger& log) {
  for (const auto& cand : dockerfile::ignore_file_candidates(dockerfile.string(), context_dir.string())) {
    std::error_code ec;
    if (!fsys::is_regular_file(cand, ec)) continue;
    log.debug("Using ignore file " + cand);
    auto matcher = std::make_shared<dockerfile::IgnoreMatcher>(dockerfile::IgnoreMatcher::parse(read_input(cand, "ignore file")));
    std::string df_rel = fsys::relative(dockerfile, context_dir, ec).generic_string();
    return [matcher, df_rel](std::string_view rel) {
      if (dockerfile::always_included(rel, df_rel)) return false;
      return matcher->excluded(rel);
    };
  }
  return nullptr;
}

void write_benchmark(const std::string& path, engine::BuildReport report, double total, log::Logger& log) {
  // Peak RSS of the executor itself: a wrapper's rusage cannot see it
  // through the PID namespace of a container.
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  report.total_seconds = total;
  report.peak_rss_mb = static_cast<double>(ru.ru_maxrss) / 1024.0;
  std::ofstream out(path);
  out << report.to_json();
  if (!out) log.warn("Unable to write benchmark file " + path);
}


// kaniko refuses to run outside a container unless --force: the build
// changes the root filesystem.
void check_container(const cli::ExecutorOptions& opts, log::Logger& log) {
  auto reason = proc::container_reason(proc::gather_container_facts());
  if (!opts.force) {
    if (!reason) throw UsageError(std::string(proc::kNotInContainerMessage));
    log.debug("Running in a container: " + *reason);
  } else if (!reason) {
    log.warn("kiln is being run outside of a container. This can have dangerous effects on your system");
  }
}

fs::IgnoreList ignore_list(const cli::ExecutorOptions& opts, const fsys::path& root) {
  fs::IgnoreList::Options io;
  io.kaniko_dir = opts.kaniko_dir;
  io.ignore_var_run = opts.ignore_var_run;
  io.ignore_paths = opts.ignore_paths;
  // A local layer cache is written while steps run: it must never show up in
  // a snapshot, nor be wiped or set aside by --cleanup.
  if (opts.cache)
    if (auto dir = cache::oci_cache_dir(opts.cache_repo)) io.ignore_paths.push_back(dir->string());
  std::error_code ec;
  io.ignore_busybox = fsys::exists(root / "busybox", ec);
  return fs::IgnoreList::for_build(io, read_file_if_present("/proc/self/mountinfo").value_or(""));
}

// --materialize leaves the result's files in the root; with several targets a
// stage built after the result would replace them.
void check_materialize(const cli::ExecutorOptions& opts, const dockerfile::Plan& plan) {
  if (!opts.materialize || plan.build_order.back() == plan.target) return;
  const auto& last = plan.stages[static_cast<std::size_t>(plan.build_order.back())];
  throw UsageError("--materialize: the first --target (stage " + std::to_string(plan.target) +
                   ") is not the last stage built; stage " + std::to_string(last.index) +
                   (last.name.empty() ? "" : " (" + last.name + ")") +
                   " is built after it and would replace its files in the root. Name first a target that "
                   "comes last in the Dockerfile, or drop --materialize");
}

// The build's input: the context on disk and the plan of its Dockerfile for
// each platform (settings.platforms, in order).
struct Input {
  context::Resolved context;
  fsys::path dockerfile;
  std::vector<dockerfile::Plan> plans;
};

Input resolve_input(const cli::ExecutorOptions& opts, const BuildSettings& settings, const Environment& env,
                    const engine::WorkDir& work, log::Logger& log) {
  context::ResolveOptions ro;
  ro.sub_path = opts.context_sub_path;
  ro.scratch = work.scratch();
  ro.log = &log;
  ro.getenv = env.getenv;
  ro.git = settings.git;
  ro.ca_file = settings.registry.ca_file;
  ro.cancelled = cancel_flag(env.interrupt);
  Input in{context::resolve(context::parse_spec(opts.context), ro), {}, {}};
  if (context::is_remote_dockerfile(opts.dockerfile)) {
    in.dockerfile = work.scratch() / "remote-dockerfile" / "Dockerfile";
    context::fetch_dockerfile(opts.dockerfile, ro, in.dockerfile);
  } else {
    in.dockerfile = locate_dockerfile(opts.dockerfile, in.context.dir);
  }
  auto parsed = dockerfile::parse(read_input(in.dockerfile, "Dockerfile"), in.dockerfile.filename().string());
  dockerfile::PlanOptions po;
  po.build_args = build_arg_values(opts.build_args, env.getenv);
  po.targets = opts.targets;
  po.skip_unused_stages = opts.skip_unused_stages;
  po.build_platform = image::native_platform();
  for (const auto& platform : settings.platforms) {
    po.target_platform = platform;
    in.plans.push_back(dockerfile::make_plan(parsed, po));
  }
  for (const auto& w : in.plans.front().warnings) log.warn(w);
  check_materialize(opts, in.plans.front());
  return in;
}

// RUN steps for another platform than kiln's own run through an emulator
// the host must have: asked before the root is touched (proc/foreign_exec.h).
void check_platforms_run(const Input& in, const BuildSettings& settings, const engine::WorkDir& work,
                         log::Logger& log) {
  std::vector<image::Platform> asked;
  for (std::size_t i = 0; i < in.plans.size(); ++i)
    for (const auto& p : dockerfile::run_platforms(in.plans[i], settings.platforms[i]))
      image::add_unique_platform(asked, p);
  for (const auto& p : asked) proc::check_can_run(p, work.scratch() / "can-run", log);
}

engine::BuildEnv build_env(const cli::ExecutorOptions& opts, const BuildSettings& settings, const Environment& env,
                           const Input& in, const image::Platform& platform) {
  engine::BuildEnv be;
  be.root = env.root;
  be.container_root = env.root;
  be.context_dir = in.context.dir;
  be.platform = platform;
  be.snapshot_mode = settings.snapshot_mode;
  be.single_snapshot = opts.single_snapshot;
  be.layer = settings.layer;
  // --reproducible: the config's time is SOURCE_DATE_EPOCH (or 0) too.
  be.created = rfc3339_utc(be.layer.fixed_mtime ? static_cast<std::time_t>(*be.layer.fixed_mtime) : std::time(nullptr));
  be.ca_file = settings.registry.ca_file;
  be.cache_dir = opts.cache_dir;
  be.cache_ttl_seconds = opts.cache_ttl_seconds;
  be.extract_retries = settings.extract_retries;
  be.cache = opts.cache;
  be.secrets = settings.secrets;
  be.getenv = env.getenv;
  be.interrupt = env.interrupt;
  return be;
}

// The push permission check of a registry cache repository
// (cmd/cache_push_check.h); false when the build must not store entries there.
bool check_cache_push(const cli::ExecutorOptions& opts, const BuildSettings& settings, const std::string& repo,
                      registry::Client& client, log::Logger& log) {
  CachePushCheckInputs in;
  in.cache = opts.cache;
  in.cache_repo_flag = opts.cache_repo;
  in.pushing = settings.outputs.push;
  in.no_push_cache = opts.no_push_cache;
  in.skip_check = opts.skip_push_permission_check;
  in.dryrun = opts.dryrun;
  const CachePushCheck check = cache_push_check(in);
  if (check == CachePushCheck::None) return true;
  try {
    client.check_push_permission(registry::parse_reference(repo));
    return true;
  } catch (const std::exception& e) {
    if (check == CachePushCheck::FailWhenRefused)
      throw Error(std::string("the layer cache repository (--cache-repo) refuses pushes: ") + e.what() +
                       " (--no-push-cache reads the cache without storing, --skip-push-permission-check skips "
                       "this check)");
    log.warn("Layer cache " + repo + " is not usable for storing this build's layers (" + e.what() +
             "); its entries are still looked up, none is stored");
    return false;
  }
}

// The layer cache: --cache-repo (a registry repository or oci:/path), or the
// first destination's repository + "/cache" as kaniko infers it; whether
// this build may store entries there. nullopt: the build goes uncached.
struct CacheChoice {
  std::string repo;
  bool may_store = false;
};

std::optional<CacheChoice> choose_layer_cache(const cli::ExecutorOptions& opts, const BuildSettings& settings,
                                              registry::Client& client, log::Logger& log) {
  if (!opts.cache) return std::nullopt;
  std::string repo = cache::cache_repository(opts.cache_repo, opts.destinations);
  if (repo.empty()) {
    log.warn("--cache: no --cache-repo and no --destination to infer one from; building without the layer cache");
    return std::nullopt;
  }
  if (opts.single_snapshot) {
    log.warn("--cache: --single-snapshot makes one layer for the whole build; building without the layer cache");
    return std::nullopt;
  }
  return CacheChoice{repo, check_cache_push(opts, settings, repo, client, log)};
}

// The cache of one platform's build (entries are keyed by platform). Sets
// be's cache fields.
void open_layer_cache(const std::optional<CacheChoice>& choice, const cli::ExecutorOptions& opts,
                      registry::Client& client, const engine::WorkDir& work,
                      std::optional<cache::LayerCache>& layer_cache, engine::BuildEnv& be, log::Logger& log) {
  if (!choice) return;
  const std::string& repo = choice->repo;
  const bool may_store = choice->may_store;
  auto store = open_cache_store(repo, client, log);
  if (!store) return;
  const std::string store_name = store->name();
  cache::LayerCacheOptions lo;
  lo.ttl_seconds = opts.cache_ttl_seconds;
  lo.push = !opts.no_push_cache && may_store;
  lo.blob_dir = work.blobs();
  lo.platform = be.platform;
  lo.created = rfc3339_utc(std::time(nullptr));
  lo.now = static_cast<std::int64_t>(std::time(nullptr));
  layer_cache.emplace(std::move(store), lo, log);
  be.layer_cache = &*layer_cache;
  be.cache_flags.run_layers = opts.cache_run_layers;
  be.cache_flags.copy_layers = opts.cache_copy_layers;
  be.key_settings.platform = be.platform;
  be.key_settings.fixed_mtime = be.layer.fixed_mtime;
  log.info("Using layer cache " + store_name);
}

// How stages and platforms share the threads: --jobs, by default
// default_jobs() (engine/build_stages.h, engine/platform_builds.h).
engine::StagesOptions stages_options(const cli::ExecutorOptions& opts) {
  engine::StagesOptions so;
  so.jobs = opts.jobs > 0 ? opts.jobs : engine::default_jobs(std::thread::hardware_concurrency());
  so.target_keeps_layers = !opts.tar_path.empty() || !opts.oci_layout_path.empty();
  so.materialize = opts.materialize;
  return so;
}

void apply_labels(registry::ImageState& image, const BuildSettings& settings) {
  if (settings.labels.empty()) return;
  auto labels = image.config.labels();
  for (const auto& [k, v] : settings.labels) labels[k] = v;
  image.config.set_labels(labels);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// --cleanup: the container's own files are set aside before the build and
// put back after it (fs/root_stash.h). What neither moves nor is wiped at
// the end: the protected paths and the inputs the build reads
// (engine/cleanup_keep.h).
class ContainerFiles {
 public:
  ContainerFiles(const fsys::path& root, const fs::IgnoreList& ignore, log::Logger& log)
      : root_(root), keep_(ignore), log_(log), cwd_(fsys::current_path(cwd_ec_)) {}

  engine::CleanupInputs keep_inputs() const {
    engine::CleanupInputs ci;
    ci.root = root_;
    ci.cwd = cwd_ec_ ? fsys::path("/") : cwd_;
    return ci;
  }

  // The build's snapshots skip the stash too: it is added to `ignore`.
  void set_aside(const engine::CleanupInputs& inputs, fs::IgnoreList& ignore) {
    for (const auto& p : engine::cleanup_keep_paths(inputs)) keep_.add(p);
    auto t = std::chrono::steady_clock::now();
    stash_ = fs::RootStash::set_aside(root_, keep_);
    keep_.add(stash_->in_image_path());
    ignore.add(stash_->in_image_path());
    for (const auto& d : stash_->left_in_place())
      log_.warn("--cleanup: " + d + " is a large directory of an image layer on overlayfs without redirect_dir; "
                "setting it aside would copy every file, so the build sees it and it is deleted afterwards, as kaniko does");
    log_.debug("Set the container's files aside in " + stash_->in_image_path() + " (" +
               std::to_string(stash_->entries().size()) + " entries, " + std::to_string(seconds_since(t)) + " s)");
  }

  // Without a stash the build has not touched the root yet (contexts are
  // unpacked under the kaniko dir): nothing to clean. Runs once.
  void put_back() {
    if (!stash_) return;
    auto t = std::chrono::steady_clock::now();
    log_.info("Deleting the build's files and putting the container's back (--cleanup)");
    fs::RootStash s = std::move(*stash_);
    stash_.reset();
    s.restore(keep_);
    // A directory of a lower overlayfs layer is recreated: enter the new one.
    if (!cwd_ec_ && chdir(cwd_.c_str()) != 0) log_.debug("cannot return to " + cwd_.string());
    log_.debug("Restored the container's files in " + std::to_string(seconds_since(t)) + " s");
  }

 private:
  fsys::path root_;
  fs::IgnoreList keep_;
  log::Logger& log_;
  std::error_code cwd_ec_;
  fsys::path cwd_;
  std::optional<fs::RootStash> stash_;
};

engine::CleanupInputs cleanup_inputs(const ContainerFiles& container, const cli::ExecutorOptions& opts,
                                     const BuildSettings& settings, const Input& in) {
  engine::CleanupInputs ci = container.keep_inputs();
  ci.context_dir = in.context.dir;
  ci.cache_dir = opts.cache_dir;
  ci.secrets = settings.secrets;
  ci.tls_files = engine::tls_files(settings.registry);
  return ci;
}

}  // namespace

void run_build(const cli::ExecutorOptions& opts, const Environment& env, log::Logger& log) {
  auto started = std::chrono::steady_clock::now();
  const BuildSettings settings = parse_build_settings(opts, env.getenv);
  check_container(opts, log);

  const fsys::path root = env.root;
  fs::IgnoreList ignore = ignore_list(opts, root);
  // A build killed during a RUN --mount by file operations left its changes
  // in the root (a cache, a secret): undo them before anything else.
  steps::replay_stale_journals(fsys::path(opts.kaniko_dir) / "work", log);
  if (opts.pre_cleanup) {
    log.info("Cleaning the filesystem before the build (--pre-cleanup)");
    fs::wipe_root(root, ignore);
  }

  engine::WorkDir work(opts.kaniko_dir);
  steps::MountMethodDecider mount_method([&work] {
    fsys::path probe = work.scratch() / "mount-probe";
    std::error_code ec;
    fsys::create_directories(probe, ec);
    return steps::probe_mount_namespace(probe);
  });
  ContainerFiles container(root, ignore, log);
  auto cleanup = [&] {
    work.remove();
    container.put_back();
  };
  try {
    Input in = resolve_input(opts, settings, env, work, log);
    registry::Options reg_opts = settings.registry;
    reg_opts.cancelled = cancel_flag(env.interrupt);
    registry::Keychain keychain =
        load_keychain(settings.credential_helpers, docker_config_dir(opts, env.getenv), env.getenv);
    registry::Client client(reg_opts, keychain, log);
    // kaniko checks that it may push before it builds: wrong credentials
    // fail in seconds, not after the build.
    if (settings.outputs.push && !opts.dryrun && !opts.skip_push_permission_check)
      for (const auto& d : settings.outputs.destinations) client.check_push_permission(d);

    const std::optional<CacheChoice> cache_choice = choose_layer_cache(opts, settings, client, log);
    // One work dir per platform when there are several: stage and layer
    // files are named by stage index.
    const bool several = settings.platforms.size() > 1;
    std::list<engine::WorkDir> platform_work;
    std::list<std::optional<cache::LayerCache>> layer_caches;
    // Declared after the work dirs and the layer caches, so that on a failure
    // it stops before they go. Every platform's layers go early: the index
    // push finds them in place.
    std::optional<engine::EarlyUpload> early_upload;
    if (settings.outputs.push && !settings.outputs.destinations.empty() && !opts.dryrun)
      early_upload.emplace(reg_opts, keychain, settings.outputs.destinations, log);
    // The context and its ignore file are the same for every platform: read once.
    const auto context_excluded = load_dockerignore(in.dockerfile, in.context.dir, log);
    auto env_for = [&](std::size_t i) {
      engine::WorkDir& w = several ? platform_work.emplace_back(work.nested("platform-" + std::to_string(i))) : work;
      engine::BuildEnv be = build_env(opts, settings, env, in, settings.platforms[i]);
      be.ignore = &ignore;
      be.work = &w;
      be.scratch = w.scratch();
      be.run_cache_fallback = work.scratch() / "run-cache";  // the build's, not the platform's
      be.client = &client;
      be.log = &log;
      be.context_excluded = context_excluded;
      be.mount_method = &mount_method;
      open_layer_cache(cache_choice, opts, client, w, layer_caches.emplace_back(), be, log);
      if (early_upload) {
        be.layer_ready = [&early_upload](const registry::Layer& l) { early_upload->offer(l); };
        be.layer_writing = [&early_upload](const fsys::path& f) { early_upload->writing(f); };
      }
      return be;
    };

    if (opts.dryrun) {
      if (opts.cleanup) container.set_aside(cleanup_inputs(container, opts, settings, in), ignore);
      for (std::size_t i = 0; i < in.plans.size(); ++i) engine::dry_run(in.plans[i], env_for(i));
      cleanup();
      return;
    }
    // Before the root is touched: can this host run every RUN's programs?
    check_platforms_run(in, settings, work, log);
    if (opts.cleanup) container.set_aside(cleanup_inputs(container, opts, settings, in), ignore);

    engine::BuildReport report;
    std::vector<engine::PlatformWork> platform_envs;
    for (std::size_t i = 0; i < in.plans.size(); ++i)
      platform_envs.push_back({settings.platforms[i], &in.plans[i], env_for(i)});
    std::vector<engine::PlatformBuild> builds = engine::build_platforms(platform_envs, report, stages_options(opts));
    for (std::size_t i = 0; i < builds.size(); ++i) {
      apply_labels(builds[i].image, settings);
      builds[i].image.config.set_created(platform_envs[i].env.created);
    }
    auto tp = std::chrono::steady_clock::now();
    // Last chance before anything is pushed: an interrupted build pushes nothing.
    if (env.interrupt) env.interrupt->check();
    // The container is back as it was before the outputs are written: an
    // output file in its own filesystem (--digest-file, --tar-path) stays.
    container.put_back();
    if (early_upload) {
      auto tw = std::chrono::steady_clock::now();
      engine::EarlyUploadStats es = early_upload->finish();
      report.early_upload_wait_seconds = seconds_since(tw);
      report.early_upload_seconds = es.seconds;
      report.early_upload_blobs = es.blobs;
      report.early_upload_failed = es.failed;
    }
    engine::OutputResult written = several ? engine::write_index_outputs(builds, settings.outputs, client, log)
                                           : engine::write_outputs(builds.front().image, settings.outputs, client, log);
    report.push_seconds = seconds_since(tp);
    report.push_manifests_seconds = written.push_times.manifests_seconds;
    // Cache entries were pushed in the background while the build went on;
    // their layer files live in the work dir, so wait before it goes.
    for (auto& c : layer_caches)
      if (c) c->wait();

    if (auto bf = env.getenv("BENCHMARK_FILE"); bf && !bf->empty() && *bf != "false") {
      double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      write_benchmark(*bf, std::move(report), total, log);
    }
  } catch (...) {
    try {
      cleanup();
    } catch (const std::exception& e) {
      log.error(std::string("cleanup after the failed build also failed: ") + e.what());
    }
    throw;
  }
  cleanup();
}

}  // namespace kiln::cmd
