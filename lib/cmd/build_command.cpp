#include "cmd/build_command.h"

#include <sys/resource.h>

#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "base/error.h"
#include "cache/layer_cache.h"
#include "cmd/registry_setup.h"
#include "context/build_context.h"
#include "image/platform.h"
#include "dockerfile/dockerignore.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
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

std::string read_file(const fsys::path& p, const std::string& what) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw UsageError(what + " " + p.string() + " does not exist or cannot be read");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
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
    auto matcher = std::make_shared<dockerfile::IgnoreMatcher>(dockerfile::IgnoreMatcher::parse(read_file(cand, "ignore file")));
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

}  // namespace

void run_build(const cli::ExecutorOptions& opts, const Environment& env, log::Logger& log) {
  auto started = std::chrono::steady_clock::now();
  if (!opts.force) {
    auto reason = proc::container_reason(proc::gather_container_facts());
    if (!reason) throw UsageError(std::string(proc::kNotInContainerMessage));
    log.debug("Running in a container: " + *reason);
  } else if (!proc::container_reason(proc::gather_container_facts())) {
    log.warn("kiln is being run outside of a container. This can have dangerous effects on your system");
  }

  const fsys::path root = env.root;
  fs::IgnoreList::Options io;
  io.kaniko_dir = opts.kaniko_dir;
  io.ignore_var_run = opts.ignore_var_run;
  io.ignore_paths = opts.ignore_paths;
  {
    std::error_code ec;
    io.ignore_busybox = fsys::exists(root / "busybox", ec);
  }
  std::string mountinfo;
  {
    std::ifstream mi("/proc/self/mountinfo");
    std::ostringstream ss;
    ss << mi.rdbuf();
    mountinfo = ss.str();
  }
  const fs::IgnoreList ignore = fs::IgnoreList::for_build(io, mountinfo);
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
    context::ResolveOptions ro;
    ro.sub_path = opts.context_sub_path;
    ro.scratch = work.scratch();
    ro.log = &log;
    ro.getenv = env.getenv;
    ro.git_options = opts.git;
    ro.ca_file = registry_options(opts, env.getenv).ca_file;
    ro.cancelled = cancel_flag(env.interrupt);
    auto ctx = context::resolve(context::parse_spec(opts.context), ro);
    fsys::path dockerfile_path = locate_dockerfile(opts.dockerfile, ctx.dir);
    auto parsed = dockerfile::parse(read_file(dockerfile_path, "Dockerfile"), dockerfile_path.filename().string());

    dockerfile::PlanOptions po;
    for (const auto& a : opts.build_args) {
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        po.build_args.emplace_back(a.substr(0, eq), a.substr(eq + 1));
      } else {
        po.build_args.emplace_back(a, env.getenv(a));
      }
    }
    po.target = opts.target;
    po.skip_unused_stages = opts.skip_unused_stages;
    po.target_platform = image::parse_platform(opts.custom_platform, "--custom-platform");
    po.build_platform = image::native_platform();
    auto plan = dockerfile::make_plan(parsed, po);
    for (const auto& w : plan.warnings) log.warn(w);

    registry::Options reg_opts = registry_options(opts, env.getenv);
    reg_opts.cancelled = cancel_flag(env.interrupt);
    registry::Client client(std::move(reg_opts),
                            load_keychain(opts, docker_config_dir(opts, env.getenv), env.getenv, log), log);

    engine::BuildEnv be;
    be.root = root;
    be.ignore = &ignore;
    be.work = &work;
    be.client = &client;
    be.log = &log;
    be.context_dir = ctx.dir;
    be.context_excluded = load_dockerignore(dockerfile_path, ctx.dir, log);
    be.platform = po.target_platform;
    be.snapshot_mode = fs::parse_snapshot_mode(opts.snapshot_mode);
    be.single_snapshot = opts.single_snapshot;
    be.layer.compression = opts.compression == "zstd" ? layer::Compression::Zstd : layer::Compression::Gzip;
    be.layer.level = opts.compression_level;
    if (opts.reproducible) {
      std::int64_t epoch = 0;
      if (auto s = env.getenv("SOURCE_DATE_EPOCH"); s && !s->empty()) epoch = std::stoll(*s);
      be.layer.fixed_mtime = epoch;
      be.created = rfc3339(static_cast<std::time_t>(epoch));
    } else {
      be.created = rfc3339(std::time(nullptr));
    }
    be.ca_file = registry_options(opts, env.getenv).ca_file;
    be.cache_dir = opts.cache_dir;
    be.cache_ttl_seconds = opts.cache_ttl_seconds;
    be.cache = opts.cache;
    be.secrets = opts.secrets;
    be.getenv = env.getenv;
    be.interrupt = env.interrupt;

    // The registry layer cache: --cache-repo, or the first destination's
    // repository + "/cache" as kaniko infers it.
    std::optional<cache::LayerCache> layer_cache;
    if (opts.cache) {
      std::string repo = cache::cache_repository(opts.cache_repo, opts.destinations);
      if (repo.empty()) {
        log.warn("--cache: no --cache-repo and no --destination to infer one from; building without the layer cache");
      } else if (opts.single_snapshot) {
        log.warn("--cache: --single-snapshot makes one layer for the whole build; building without the layer cache");
      } else {
        cache::LayerCacheOptions lo;
        lo.repo = registry::parse_reference(repo);
        lo.ttl_seconds = opts.cache_ttl_seconds;
        lo.push = !opts.no_push_cache;
        lo.blob_dir = work.blobs();
        lo.platform = po.target_platform;
        lo.created = rfc3339(std::time(nullptr));
        lo.now = static_cast<std::int64_t>(std::time(nullptr));
        layer_cache.emplace(client, lo, log);
        be.layer_cache = &*layer_cache;
        be.cache_flags.run_layers = opts.cache_run_layers;
        be.cache_flags.copy_layers = opts.cache_copy_layers;
        be.key_settings.platform = po.target_platform;
        be.key_settings.fixed_mtime = be.layer.fixed_mtime;
        log.info("Using layer cache " + lo.repo.repo_str());
      }
    }

    if (opts.dryrun) {
      engine::DryRunEnv de;
      de.client = &client;
      de.work = &work;
      de.log = &log;
      de.platform = po.target_platform;
      de.context_dir = ctx.dir;
      de.context_excluded = be.context_excluded;
      de.cache = be.layer_cache;
      de.cache_flags = be.cache_flags;
      de.key_settings = be.key_settings;
      engine::dry_run(plan, de);
      cleanup();
      return;
    }

    // Stages whose files a later stage copies (not merely builds FROM).
    std::set<int> keep;
    for (int i : plan.build_order)
      for (const auto& d : plan.stages[static_cast<std::size_t>(i)].dependencies)
        if (d.kind == dockerfile::StageDependency::Kind::Stage && d.via != "FROM") keep.insert(d.stage);
    // Stages whose layers are used: the target, bases of later stages, and
    // every stage when the layer cache stores them.
    std::set<int> layered{plan.target};
    for (int i : plan.build_order)
      for (const auto& d : plan.stages[static_cast<std::size_t>(i)].dependencies)
        if (d.kind == dockerfile::StageDependency::Kind::Stage && d.via == "FROM") layered.insert(d.stage);

    std::map<int, engine::StageResult> done;
    engine::BuildReport report;
    bool dirty = false;
    for (int i : plan.build_order) {
      const auto& s = plan.stages[static_cast<std::size_t>(i)];
      log.info("Building stage " + std::to_string(i) + (s.name.empty() ? "" : " (" + s.name + ")") + " FROM " +
               s.base_image);
      report.stages.emplace_back();
      bool need_layers = be.layer_cache != nullptr || layered.count(i) > 0;
      if (!need_layers) log.info("Stage " + std::to_string(i) + " is only copied from: no snapshots or layers for it");
      // Only the target's layers reach the outputs (an earlier stage's base
      // layers, if the target is built FROM it, are unpacked again there).
      be.keep_base_layers = i == plan.target && (!opts.tar_path.empty() || !opts.oci_layout_path.empty());
      done[i] = engine::build_stage(be, plan, i, done, dirty, keep.count(i) > 0, &report.stages.back(), need_layers);
      dirty = true;
    }
    registry::ImageState final_image = done.at(plan.target).image;
    if (!opts.labels.empty()) {
      auto labels = final_image.config.labels();
      for (const auto& l : opts.labels) {
        auto eq = l.find('=');
        labels[l.substr(0, eq)] = l.substr(eq + 1);
      }
      final_image.config.set_labels(labels);
    }
    final_image.config.set_created(be.created);
    auto tp = std::chrono::steady_clock::now();
    // Last chance before anything is pushed: an interrupted build pushes nothing.
    if (env.interrupt) env.interrupt->check();
    engine::write_outputs(final_image, opts, client, log);
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
