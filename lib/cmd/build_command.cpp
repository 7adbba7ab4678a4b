#include "cmd/build_command.h"

#include <sys/resource.h>

#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "cache/layer_cache.h"
#include "cmd/build_settings.h"
#include "cmd/registry_setup.h"
#include "context/build_context.h"
#include "dockerfile/dockerignore.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "dockerfile/stage_use.h"
#include "engine/build_report.h"
#include "engine/dry_run.h"
#include "engine/outputs.h"
#include "engine/stage_builder.h"
#include "engine/work_dir.h"
#include "fs/ignore_list.h"
#include "fs/snapshot.h"
#include "fs/wipe.h"
#include "proc/container_check.h"
#include "registry/client.h"
#include "registry/credentials.h"

namespace kiln::cmd {
namespace fsys = std::filesystem;

namespace {

// A file the user named: its absence is their error.
std::string read_input(const fsys::path& p, const std::string& what) {
  auto text = read_file_if_present(p);
  if (!text) throw UsageError(what + " " + p.string() + " does not exist or cannot be read");
  return *text;
}

std::string rfc3339(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
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
  std::error_code ec;
  io.ignore_busybox = fsys::exists(root / "busybox", ec);
  return fs::IgnoreList::for_build(io, read_file_if_present("/proc/self/mountinfo").value_or(""));
}

// The build's input: the context on disk and the plan of its Dockerfile.
struct Input {
  context::Resolved context;
  fsys::path dockerfile;
  dockerfile::Plan plan;
};

Input resolve_input(const cli::ExecutorOptions& opts, const BuildSettings& settings, const Environment& env,
                    const engine::WorkDir& work, log::Logger& log) {
  context::ResolveOptions ro;
  ro.sub_path = opts.context_sub_path;
  ro.scratch = work.scratch();
  ro.log = &log;
  ro.getenv = env.getenv;
  ro.git_options = opts.git;
  ro.ca_file = registry_options(opts, env.getenv).ca_file;
  ro.cancelled = cancel_flag(env.interrupt);
  Input in{context::resolve(context::parse_spec(opts.context), ro), {}, {}};
  in.dockerfile = locate_dockerfile(opts.dockerfile, in.context.dir);
  auto parsed = dockerfile::parse(read_input(in.dockerfile, "Dockerfile"), in.dockerfile.filename().string());
  dockerfile::PlanOptions po;
  po.build_args = build_arg_values(opts.build_args, env.getenv);
  po.target = opts.target;
  po.skip_unused_stages = opts.skip_unused_stages;
  po.target_platform = settings.platform;
  po.build_platform = image::Platform{};
  in.plan = dockerfile::make_plan(parsed, po);
  for (const auto& w : in.plan.warnings) log.warn(w);
  return in;
}

engine::BuildEnv build_env(const cli::ExecutorOptions& opts, const BuildSettings& settings, const Environment& env,
                           const Input& in) {
  engine::BuildEnv be;
  be.root = env.root;
  be.context_dir = in.context.dir;
  be.platform = settings.platform;
  be.snapshot_mode = settings.snapshot_mode;
  be.single_snapshot = opts.single_snapshot;
  be.layer = settings.layer;
  // --reproducible: the config's time is SOURCE_DATE_EPOCH (or 0) too.
  be.created = rfc3339(be.layer.fixed_mtime ? static_cast<std::time_t>(*be.layer.fixed_mtime) : std::time(nullptr));
  be.ca_file = registry_options(opts, env.getenv).ca_file;
  be.cache_dir = opts.cache_dir;
  be.cache_ttl_seconds = opts.cache_ttl_seconds;
  be.cache = opts.cache;
  be.secrets = settings.secrets;
  be.getenv = env.getenv;
  be.interrupt = env.interrupt;
  return be;
}

// The registry layer cache: --cache-repo, or the first destination's
// repository + "/cache" as kaniko infers it. Sets be's cache fields.
void open_layer_cache(const cli::ExecutorOptions& opts, registry::Client& client, const engine::WorkDir& work,
                      std::optional<cache::LayerCache>& layer_cache, engine::BuildEnv& be, log::Logger& log) {
  if (!opts.cache) return;
  std::string repo = cache::cache_repository(opts.cache_repo, opts.destinations);
  if (repo.empty()) {
    log.warn("--cache: no --cache-repo and no --destination to infer one from; building without the layer cache");
    return;
  }
  if (opts.single_snapshot) {
    log.warn("--cache: --single-snapshot makes one layer for the whole build; building without the layer cache");
    return;
  }
  cache::LayerCacheOptions lo;
  lo.repo = registry::parse_reference(repo);
  lo.ttl_seconds = opts.cache_ttl_seconds;
  lo.push = !opts.no_push_cache;
  lo.blob_dir = work.blobs();
  lo.platform = be.platform;
  lo.created = rfc3339(std::time(nullptr));
  lo.now = static_cast<std::int64_t>(std::time(nullptr));
  layer_cache.emplace(client, lo, log);
  be.layer_cache = &*layer_cache;
  be.cache_flags.run_layers = opts.cache_run_layers;
  be.cache_flags.copy_layers = opts.cache_copy_layers;
  be.key_settings.platform = be.platform;
  be.key_settings.fixed_mtime = be.layer.fixed_mtime;
  log.info("Using layer cache " + lo.repo.repo_str());
}

// Every stage in build order; returns the target's image.
registry::ImageState build_stages(const cli::ExecutorOptions& opts, const dockerfile::Plan& plan,
                                  engine::BuildEnv& be, engine::BuildReport& report) {
  log::Logger& log = *be.log;
  const dockerfile::StageUse use = dockerfile::stage_use(plan);
  engine::StageBuilder builder(be, plan);
  for (int i : plan.build_order) {
    const auto& s = plan.stages[static_cast<std::size_t>(i)];
    log.info("Building stage " + std::to_string(i) + (s.name.empty() ? "" : " (" + s.name + ")") + " FROM " +
             s.base_image);
    report.stages.emplace_back();
    // The layer cache stores every stage's steps, so every stage needs its layers then.
    bool need_layers = be.layer_cache != nullptr || use.layered.count(i) > 0;
    if (!need_layers) log.info("Stage " + std::to_string(i) + " is only copied from: no snapshots or layers for it");
    auto role = engine::stage_role(need_layers, use.kept.count(i) > 0);
    // Only the target's layers reach the outputs (an earlier stage's base
    // layers, if the target is built FROM it, are unpacked again there).
    be.keep_base_layers = i == plan.target && (!opts.tar_path.empty() || !opts.oci_layout_path.empty());
    builder.build(i, role, &report.stages.back());
  }
  return builder.result(plan.target).image;
}

void apply_labels(registry::ImageState& image, const BuildSettings& settings) {
  if (settings.labels.empty()) return;
  auto labels = image.config.labels();
  for (const auto& [k, v] : settings.labels) labels[k] = v;
  image.config.set_labels(labels);
}

}  // namespace

void run_build(const cli::ExecutorOptions& opts, const Environment& env, log::Logger& log) {
  auto started = std::chrono::steady_clock::now();
  const BuildSettings settings = parse_build_settings(opts, env.getenv);
  check_container(opts, log);

  const fsys::path root = env.root;
  const fs::IgnoreList ignore = ignore_list(opts, root);
  if (opts.pre_cleanup) {
    log.info("Cleaning the filesystem before the build (--pre-cleanup)");
    fs::wipe_root(root, ignore);
  }

  engine::WorkDir work(opts.kaniko_dir);
  auto cleanup = [&] {
    work.remove();
    if (opts.cleanup) {
      log.info("Deleting filesystem...");
      fs::wipe_root(root, ignore);
    }
  };
  try {
    Input in = resolve_input(opts, settings, env, work, log);
    registry::Options reg_opts = registry_options(opts, env.getenv);
    reg_opts.cancelled = cancel_flag(env.interrupt);
    registry::Client client(std::move(reg_opts),
                            load_keychain(opts, docker_config_dir(opts, env.getenv), env.getenv, log), log);

    engine::BuildEnv be = build_env(opts, settings, env, in);
    be.ignore = &ignore;
    be.work = &work;
    be.client = &client;
    be.log = &log;
    be.context_excluded = load_dockerignore(in.dockerfile, in.context.dir, log);
    std::optional<cache::LayerCache> layer_cache;
    open_layer_cache(opts, client, work, layer_cache, be, log);

    if (opts.dryrun) {
      engine::dry_run(in.plan, be);
      cleanup();
      return;
    }

    engine::BuildReport report;
    registry::ImageState final_image = build_stages(opts, in.plan, be, report);
    apply_labels(final_image, settings);
    final_image.config.set_created(be.created);
    auto tp = std::chrono::steady_clock::now();
    // Last chance before anything is pushed: an interrupted build pushes nothing.
    if (env.interrupt) env.interrupt->check();
    engine::write_outputs(final_image, settings.outputs, client, log);
    report.push_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - tp).count();
    // Cache entries were pushed in the background while the build went on;
    // their layer files live in the work dir, so wait before it goes.
    if (layer_cache) layer_cache->wait();

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
