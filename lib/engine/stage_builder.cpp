#include "engine/stage_builder.h"

#include <chrono>
#include <fstream>

#include "base/error.h"
#include "cache/copy_sources_digest.h"
#include "steps/mount_journal.h"
#include "digest/digest.h"
#include "digest/sha256.h"
#include "dockerfile/evaluate.h"
#include "engine/base_image.h"
#include "engine/tree_save.h"
#include "fs/passwd.h"
#include "fs/resolve.h"
#include "fs/wipe.h"
#include "steps/config_update.h"
#include "steps/copy_step.h"
#include "steps/run_step.h"

namespace kiln::engine {
namespace fsys = std::filesystem;
using namespace kiln::dockerfile;

namespace {

using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// kaniko reads base images from --cache-dir only with --cache=true.
BaseImageCache base_cache(const BuildEnv& env) {
  if (!env.cache || env.cache_dir.empty()) return {};
  return {env.cache_dir, env.cache_ttl_seconds};
}

struct Base {
  registry::ImageState image;
  std::string key;  // where the stage's cache-key chain starts
};

Base base_for(const BuildEnv& env, const Plan& plan, const Stage& stage, const std::map<int, StageResult>& done) {
  if (stage.base_stage) {
    auto it = done.find(*stage.base_stage);
    if (it == done.end())
      throw Error(plan.filename + ":" + std::to_string(stage.line) + ": stage " +
                  std::to_string(*stage.base_stage) + " was not built");
    registry::ImageState s = it->second.image;
    s.name = "stage " + std::to_string(*stage.base_stage);
    return {s, it->second.cache_key};
  }
  if (stage.base_image == "scratch") return {scratch_image(env.platform), "scratch"};
  image::Platform platform = env.platform;
  if (!stage.platform.empty()) {
    // FROM --platform=os/arch[/variant]: chooses the base image's platform.
    auto p = stage.platform;
    auto a = p.find('/');
    if (a == std::string::npos) throw UsageError(plan.filename + ":" + std::to_string(stage.line) + ": invalid --platform " + p);
    platform.os = p.substr(0, a);
    auto b = p.find('/', a + 1);
    platform.architecture = p.substr(a + 1, b == std::string::npos ? std::string::npos : b - a - 1);
    platform.variant = b == std::string::npos ? "" : p.substr(b + 1);
  }
  auto ref = registry::parse_reference(stage.base_image);
  auto pulled = pull_image(*env.client, ref, platform, env.work->blobs(), *env.log, base_cache(env));
  return {pulled.image, pulled.manifest_digest};
}

// A source root for COPY --from that names an image rather than a stage:
// pulled and unpacked under the work dir, once per build.
fsys::path image_source_root(const BuildEnv& env, const std::string& name) {
  auto dir = env.work->path() / "images" / digest::sha256_hex(name).substr(0, 16);
  if (fsys::exists(dir / ".complete")) return dir / "rootfs";
  auto ref = registry::parse_reference(name);
  auto pulled = pull_image(*env.client, ref, env.platform, env.work->blobs(), *env.log, base_cache(env));
  fsys::create_directories(dir / "rootfs");
  fs::IgnoreList none;
  apply_layers(pulled.image, dir / "rootfs", none, *env.log, false, env.extract_retries);
  std::ofstream(dir / ".complete") << name;
  return dir / "rootfs";
}

// The filesystem `from` names (a stage's saved root, or an image).
fsys::path source_root(const BuildEnv& env, const Plan& plan, int line, const std::string& from,
                       const std::map<int, StageResult>& done) {
  if (auto idx = plan.find_stage(from)) {
    auto it = done.find(*idx);
    if (it == done.end() || it->second.saved_root.empty())
      throw Error(plan.filename + ":" + std::to_string(line) + ": --from=" + from + ": that stage's files were not kept");
    return it->second.saved_root;
  }
  return image_source_root(env, from);
}

fsys::path copy_source(const BuildEnv& env, const Plan& plan, const Step& step, const std::map<int, StageResult>& done) {
  const auto* c = step.instruction.as<CopyInst>();
  if (!c || c->from.empty()) return env.context_dir;
  return source_root(env, plan, step.line, c->from, done);
}

std::string short_text(const Instruction& in) {
  std::string s = in.original;
  if (s.size() > 200) s = s.substr(0, 200) + "…";
  return s;
}

}  // namespace

namespace {

bool is_file_step(const Instruction& in) {
  return in.as<RunInst>() || in.as<CopyInst>() || in.as<AddInst>() || in.as<WorkdirInst>();
}

const char* cache_word(cache::Cacheability c) {
  switch (c) {
    case cache::Cacheability::Cached: return "miss";
    case cache::Cacheability::KeyedOnly: return "keyed";
    case cache::Cacheability::Uncacheable: return "uncached";
  }
  return "off";
}

}  // namespace

StageResult build_stage(const BuildEnv& env, const Plan& plan, int index, const std::map<int, StageResult>& done,
                        bool root_dirty, bool keep_tree, StageReport* report, bool need_layers) {
  const Stage& stage = plan.stages[static_cast<std::size_t>(index)];
  log::Logger& log = *env.log;
  StageReport rep;
  rep.index = index;
  rep.name = stage.name;
  rep.base = stage.base_image;
  auto t0 = Clock::now();

  StageResult result;
  registry::ImageState& img = result.image;
  Base base = base_for(env, plan, stage, done);
  img = std::move(base.image);
  rep.unpack_seconds += since(t0);

  cache::LayerCache* cache = env.single_snapshot ? nullptr : env.layer_cache;
  if (cache && !cache->enabled()) cache = nullptr;
  std::string key = base.key;  // empty: the chain is broken, no more keys
  bool missed = false;         // once a step misses, every later step runs

  fs::Snapshotter snap(env.root, *env.ignore, env.snapshot_mode);
  bool materialized = false;
  // The root gets the base image and every layer so far only when something
  // needs real files: a step that runs, or a tree a later stage copies from.
  auto materialize = [&] {
    if (materialized) return;
    auto tm = Clock::now();
    if (root_dirty) {
      log.info("Deleting filesystem of the previous stage");
      fs::wipe_root(env.root, *env.ignore);
    }
    if (!img.layers.empty()) {
      log.info("Unpacking rootfs as cmd requires it.");
      apply_layers(img, env.root, *env.ignore, log, env.keep_base_layers, env.extract_retries);
    }
    rep.unpack_seconds += since(tm);
    auto ts = Clock::now();
    if (need_layers) snap.baseline();
    materialized = true;
    rep.unpacked = true;
    double b = since(ts);
    rep.unpack_seconds += b;
  };
  if (!cache) materialize();

  BaseConfig base_cfg;
  base_cfg.env = img.config.env();
  base_cfg.onbuild = img.config.on_build();
  base_cfg.working_dir = img.config.working_dir();
  base_cfg.shell = img.config.shell();
  if (stage.base_stage) base_cfg.state_env = done.at(*stage.base_stage).state_env;
  // Triggers run in the stage built on the image; they are not inherited
  // any further (Docker's rule).
  img.config.set_on_build({});
  std::vector<Step> steps = evaluate_stage(plan, index, base_cfg);
  result.state_env = steps.empty() ? base_cfg.state_env : steps.back().state_env;

  steps::StageFlags flags;
  int layer_no = 0;
  auto push_layer = [&](const registry::Layer& l) {
    img.layers.push_back(l);
    img.config.add_diff_id(l.diff_id);
  };
  auto add_layer = [&](const fs::Changes& changes, StepReport& sr) -> std::optional<registry::Layer> {
    if (changes.empty()) return std::nullopt;
    auto tl = Clock::now();
    fsys::path out = env.work->layers() / ("stage" + std::to_string(index) + "-" + std::to_string(layer_no++) + ".layer");
    layer::Result r = layer::write_layer(env.root, changes, out, env.layer);
    sr.layer_seconds += since(tl);
    sr.layer_bytes_in += r.uncompressed_size;
    sr.layer_bytes_out += r.size;
    registry::Layer l;
    l.descriptor.media_type = img.format == image::ManifestFormat::Oci ? r.media_type_oci : r.media_type_docker;
    l.descriptor.digest = r.digest;
    l.descriptor.size = r.size;
    l.diff_id = r.diff_id;
    l.file = r.file;
    push_layer(l);
    log.debug("Layer " + r.digest + ": " + std::to_string(changes.added_or_modified.size()) + " paths, " +
              std::to_string(changes.deleted.size()) + " deletions, " + std::to_string(r.size) + " bytes");
    return l;
  };
  auto snapshot = [&](StepReport& sr) -> fs::Changes {
    auto tsn = Clock::now();
    fs::Changes changes = snap.take();
    sr.snapshot_seconds += since(tsn);
    sr.files_walked += snap.stats().walked;
    sr.files_hashed += snap.stats().hashed;
    return changes;
  };
  auto history = [&](const Step& step, bool layered) {
    if (!step.history) return;
    image::HistoryEntry h;
    h.created = env.created;
    h.created_by = *step.history;
    h.comment = "kiln";
    h.empty_layer = !layered;
    img.config.add_history(h);
  };

  for (const Step& step : steps) {
    if (env.interrupt) env.interrupt->check();
    const Instruction& in = step.instruction;
    log.info(short_text(in));
    StepReport sr;
    sr.instruction = short_text(in);
    sr.cache = "off";
    const std::string user_before = img.config.user();
    if (!is_file_step(in)) {
      steps::apply_metadata(step, img.config, flags);
      history(step, false);
      rep.steps.push_back(std::move(sr));
      continue;
    }

    // The cache: a key for the step when the chain allows one, and a lookup
    // when the step is cached and nothing has missed yet.
    cache::Cacheability cacheable = cache::Cacheability::Uncacheable;
    if (cache && !key.empty()) {
      auto tc = Clock::now();
      cacheable = cache::cacheability(step, env.cache_flags);
      if (cacheable == cache::Cacheability::Uncacheable) {
        key.clear();
      } else {
        std::string files;
        if (in.as<CopyInst>() || in.as<AddInst>()) {
          const auto* c = in.as<CopyInst>();
          bool from_context = !c || c->from.empty();
          files = cache::copy_sources_digest(step, copy_source(env, plan, step, done),
                                      from_context ? env.context_excluded : nullptr);
        }
        key = cache::step_cache_key(key, step, user_before, files, env.key_settings);
      }
      sr.cache = cache_word(cacheable);
      if (cacheable == cache::Cacheability::Cached && !missed) {
        if (auto hit = cache->lookup(key)) {
          sr.cache = "hit";
          if (in.as<WorkdirInst>()) steps::apply_metadata(step, img.config, flags);
          if (hit->layer) {
            push_layer(*hit->layer);
            if (materialized) {
              // Steps ran before this one: the root must hold this layer too
              // for the steps after it. Apply it, then take it as the new
              // baseline (its changes are already in the image).
              auto tu = Clock::now();
              registry::ImageState one;
              one.name = "cached layer " + hit->layer->descriptor.digest;
              one.layers.push_back(*hit->layer);
              apply_layers(one, env.root, *env.ignore, log, false, env.extract_retries);
              snap.take();
              rep.unpack_seconds += since(tu);
            }
          }
          history(step, hit->layer.has_value());
          sr.cache_seconds += since(tc);
          rep.steps.push_back(std::move(sr));
          continue;
        }
        missed = true;
      }
      sr.cache_seconds += since(tc);
    }

    materialize();
    bool touches_files = false;
    auto tr = Clock::now();
    if (in.as<RunInst>()) {
      steps::RunContext rc;
      rc.root = env.root;
      rc.log = &log;
      rc.context_dir = env.context_dir;
      rc.cache_dir = env.cache_dir;
      rc.scratch = env.work->scratch();
      rc.secrets = env.secrets;
      rc.getenv = env.getenv;
      rc.source_root = [&](const std::string& from) { return source_root(env, plan, step.line, from, done); };
      rc.ignore = env.ignore;
      rc.context_excluded = env.context_excluded;
      rc.interrupt = env.interrupt;
      rc.mount_method = env.mount_method;
      rc.mount_journal = env.work->path() / steps::kMountJournalName;
      steps::run_command(step, img.config, rc);
      touches_files = true;
    } else if (in.as<CopyInst>() || in.as<AddInst>()) {
      steps::CopyEnv ce;
      ce.root = env.root;
      ce.ignore = env.ignore;
      ce.src_root = copy_source(env, plan, step, done);
      const auto* c = in.as<CopyInst>();
      if (!c || c->from.empty()) ce.context_excluded = env.context_excluded;
      ce.scratch = env.work->scratch();
      ce.ca_file = env.ca_file;
      ce.cancelled = cancel_flag(env.interrupt);
      ce.log = &log;
      steps::run_copy(step, ce);
      touches_files = true;
    } else {
      steps::apply_metadata(step, img.config, flags);
      if (!step.working_dir.empty()) {
        // Created when missing, owned by the USER in effect, resolved as
        // BuildKit resolves --chown (USER 1000 gives 1000:1000).
        std::error_code ec;
        if (!fsys::exists(fs::resolve_in_root(env.root, step.working_dir, true), ec)) {
          fs::Owner o;
          if (!img.config.user().empty()) o = fs::load_chown(env.root, img.config.user());
          fs::mkdir_all(env.root, step.working_dir, o.uid, o.gid, 0755);
          touches_files = true;
        }
      }
    }
    sr.run_seconds += since(tr);
    std::optional<registry::Layer> layer;
    if (touches_files && !env.single_snapshot && need_layers) {
      log.info("Taking snapshot of full filesystem...");
      layer = add_layer(snapshot(sr), sr);
      if (!layer) log.info("No files changed in this command, skipping snapshotting.");
    }
    if (cache && cacheable == cache::Cacheability::Cached && !key.empty()) cache->store(key, layer);
    history(step, layer.has_value());
    rep.steps.push_back(std::move(sr));
  }
  if (env.single_snapshot && need_layers) {
    StepReport sr;
    sr.instruction = "kiln --single-snapshot";
    if (add_layer(snapshot(sr), sr)) {
      image::HistoryEntry h;
      h.created = env.created;
      h.created_by = "kiln --single-snapshot";
      h.comment = "kiln";
      img.config.add_history(h);
    }
    rep.steps.push_back(std::move(sr));
  }
  if (keep_tree) {
    materialize();
    result.saved_root = env.work->stages() / std::to_string(index);
    save_tree(env.root, *env.ignore, result.saved_root);
  }
  result.cache_key = key;
  rep.total_seconds = since(t0);
  if (report) *report = std::move(rep);
  return result;
}

}  // namespace kiln::engine
