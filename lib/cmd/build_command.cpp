#include "cmd/build_command.h"

#include <sys/resource.h>
#include <unistd.h>

#include <ctime>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "base/error.h"
#include "cache/layer_cache.h"
#include "cmd/registry_setup.h"
#include "steps/mount_files.h"
#include "steps/mount_method.h"
#include "engine/cleanup_keep.h"
#include "context/build_context.h"
#include "context/object_source.h"
#include "dockerfile/dockerignore.h"
#include "dockerfile/parser.h"
#include "dockerfile/plan.h"
#include "engine/build_report.h"
#include "engine/dry_run.h"
#include "engine/outputs.h"
#include "engine/stage_builder.h"
#include "engine/work_dir.h"
#include "fs/ignore_list.h"
#include "fs/root_stash.h"
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

image::Platform parse_platform(const std::string& text) {
  image::Platform p;
  if (text.empty()) return p;
  auto a = text.find('/');
  if (a == std::string::npos) throw UsageError("invalid --custom-platform '" + text + "': expected os/arch[/variant]");
  p.os = text.substr(0, a);
  auto b = text.find('/', a + 1);
  p.architecture = text.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
  if (b != std::string::npos) p.variant = text.substr(b + 1);
  return p;
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
  // A local layer cache is written while steps run: it must never show up in
  // a snapshot, nor be wiped or set aside by --cleanup.
  if (opts.cache)
    if (auto dir = cache::oci_cache_dir(opts.cache_repo)) io.ignore_paths.push_back(dir->string());
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
  fs::IgnoreList ignore = fs::IgnoreList::for_build(io, mountinfo);
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
  // --cleanup: the container's own files are set aside before the build and
  // put back after it (fs/root_stash.h); `keep` is what neither moves nor is
  // wiped at the end: the protected paths and the inputs the build reads.
  std::optional<fs::RootStash> stash;
  fs::IgnoreList keep = ignore;
  std::error_code cwd_ec;
  const fsys::path cwd = fsys::current_path(cwd_ec);
  // Without a stash the build has not touched the root yet (contexts are
  // unpacked under the kaniko dir): nothing to clean.
  auto clean_root = [&] {
    if (!stash) return;
    auto t = std::chrono::steady_clock::now();
    log.info("Deleting the build's files and putting the container's back (--cleanup)");
    fs::RootStash s = std::move(*stash);
    stash.reset();
    s.restore(keep);
    // A directory of a lower overlayfs layer is recreated: enter the new one.
    if (!cwd_ec && chdir(cwd.c_str()) != 0) log.debug("cannot return to " + cwd.string());
    log.debug("Restored the container's files in " +
              std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count()) + " s");
  };
  auto cleanup = [&] {
    work.remove();
    clean_root();
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
    fsys::path dockerfile_path = work.scratch() / "remote-dockerfile" / "Dockerfile";
    if (context::is_remote_dockerfile(opts.dockerfile))
      context::fetch_dockerfile(opts.dockerfile, ro, dockerfile_path);
    else
      dockerfile_path = locate_dockerfile(opts.dockerfile, ctx.dir);
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
    po.target_platform = parse_platform(opts.custom_platform);
    po.build_platform = image::Platform{};
    auto plan = dockerfile::make_plan(parsed, po);
    for (const auto& w : plan.warnings) log.warn(w);

    registry::Options reg_opts = registry_options(opts, env.getenv);
    reg_opts.cancelled = cancel_flag(env.interrupt);
    registry::Client client(std::move(reg_opts),
                            load_keychain(opts, docker_config_dir(opts, env.getenv), env.getenv, log), log);
    // kaniko checks that it may push before it builds: wrong credentials
    // fail in seconds, not after the build.
    if (!opts.no_push && !opts.dryrun && !opts.skip_push_permission_check)
      for (const auto& d : opts.destinations) client.check_push_permission(registry::parse_reference(d));

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
    be.extract_retries = opts.image_fs_extract_retry;
    be.cache = opts.cache;
    be.secrets = opts.secrets;
    be.getenv = env.getenv;
    be.mount_method = &mount_method;
    be.interrupt = env.interrupt;

    // The layer cache: --cache-repo (a registry repository or oci:/path), or the first destination's
    // repository + "/cache" as kaniko infers it.
    std::optional<cache::LayerCache> layer_cache;
    if (opts.cache) {
      std::string repo = cache::cache_repository(opts.cache_repo, opts.destinations);
      if (repo.empty()) {
        log.warn("--cache: no --cache-repo and no --destination to infer one from; building without the layer cache");
      } else if (opts.single_snapshot) {
        log.warn("--cache: --single-snapshot makes one layer for the whole build; building without the layer cache");
      } else if (auto store = open_cache_store(repo, client, log)) {
        const std::string store_name = store->name();
        cache::LayerCacheOptions lo;
        lo.ttl_seconds = opts.cache_ttl_seconds;
        lo.push = !opts.no_push_cache;
        lo.blob_dir = work.blobs();
        lo.platform = po.target_platform;
        lo.created = rfc3339(std::time(nullptr));
        lo.now = static_cast<std::int64_t>(std::time(nullptr));
        layer_cache.emplace(std::move(store), lo, log);
        be.layer_cache = &*layer_cache;
        be.cache_flags.run_layers = opts.cache_run_layers;
        be.cache_flags.copy_layers = opts.cache_copy_layers;
        be.key_settings.platform = po.target_platform;
        be.key_settings.fixed_mtime = be.layer.fixed_mtime;
        log.info("Using layer cache " + store_name);
      }
    }

    if (opts.cleanup) {
      engine::CleanupInputs ci;
      ci.root = root;
      ci.cwd = cwd_ec ? fsys::path("/") : cwd;
      ci.context_dir = ctx.dir;
      ci.tls_files = engine::tls_files(registry_options(opts, env.getenv));
      for (const auto& p : engine::cleanup_keep_paths(opts, ci)) keep.add(p);
      auto t = std::chrono::steady_clock::now();
      stash = fs::RootStash::set_aside(root, keep);
      keep.add(stash->in_image_path());
      ignore.add(stash->in_image_path());
      for (const auto& d : stash->left_in_place())
        log.warn("--cleanup: " + d + " is a large directory of an image layer on overlayfs without redirect_dir; "
                 "setting it aside would copy every file, so the build sees it and it is deleted afterwards, as kaniko does");
      log.debug("Set the container's files aside in " + stash->in_image_path() + " (" +
                std::to_string(stash->entries().size()) + " entries, " +
                std::to_string(std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count()) + " s)");
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
      de.mount_method = &mount_method;
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
    // The container is back as it was before the outputs are written: an
    // output file in its own filesystem (--digest-file, --tar-path) stays.
    clean_root();
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
