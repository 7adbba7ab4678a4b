#include "engine/stage_builder.h"

#include <chrono>
#include <fstream>

#include "base/error.h"
#include "cache/copy_sources_digest.h"
#include "cache/key_chain.h"
#include "cache/lookahead.h"
#include "digest/digest.h"
#include "digest/sha256.h"
#include "dockerfile/evaluate.h"
#include "engine/base_image.h"
#include "engine/base_prefetch.h"
#include "engine/tree_save.h"
#include "fs/wipe.h"
#include "image/platform.h"
#include "steps/config_update.h"
#include "steps/copy_step.h"
#include "steps/mount_journal.h"
#include "steps/run_step.h"
#include "steps/workdir_step.h"

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

// The image as fetched at the start of the build when it was, else pulled now.
PullResult pull(const BuildEnv& env, const std::string& name, const std::string& platform_text,
                const image::Platform& platform) {
  if (env.prefetch)
    if (auto early = env.prefetch->get(name, platform_text)) return std::move(*early);
  return pull_image(*env.client, registry::parse_reference(name), platform, env.work->blobs(), *env.log,
                    base_cache(env));
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
    auto p = image::parse_platform(stage.platform);
    if (!p) throw UsageError(plan.filename + ":" + std::to_string(stage.line) + ": invalid --platform " + stage.platform);
    platform = *p;
  }
  auto pulled = pull(env, stage.base_image, stage.platform, platform);
  return {pulled.image, pulled.manifest_digest};
}

// A source root for COPY --from that names an image rather than a stage:
// pulled and unpacked under the work dir, once per build.
fsys::path image_source_root(const BuildEnv& env, const std::string& name) {
  std::unique_lock<std::mutex> lock;
  if (env.image_sources_lock) lock = std::unique_lock<std::mutex>(*env.image_sources_lock);
  auto dir = env.work->path() / "images" / digest::sha256_hex(name).substr(0, 16);
  if (fsys::exists(dir / ".complete")) return dir / "rootfs";
  auto pulled = pull(env, name, "", env.platform);
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

bool is_link(const Instruction& in) {
  const auto* c = in.as<CopyInst>();
  const auto* a = in.as<AddInst>();
  return c ? c->link : a && a->link;
}

const char* cache_word(cache::Cacheability c) {
  switch (c) {
    case cache::Cacheability::Cached: return "miss";
    case cache::Cacheability::KeyedOnly: return "keyed";
    case cache::Cacheability::Uncacheable: return "uncached";
  }
  return "off";
}

// One stage being built: the image so far, the root's state, the cache-key
// chain. build() puts each step through run(), then adds what the stage's
// role asks for (a --single-snapshot layer, the kept tree).
class StageRun {
 public:
  StageRun(const BuildEnv& env, const Plan& plan, int index, const std::map<int, StageResult>& done, bool root_dirty,
           StageRole role)
      : env_(env),
        plan_(plan),
        index_(index),
        done_(done),
        root_dirty_(root_dirty),
        role_(role),
        log_(*env.log),
        snap_(env.root, *env.ignore, env.snapshot_mode) {}

  StageResult build();
  StageReport take_report() { return std::move(rep_); }

 private:
  bool need_layers() const { return role_ == StageRole::Layered || role_ == StageRole::LayeredAndCopiedFrom; }
  bool keep_tree() const { return role_ == StageRole::CopiedFrom || role_ == StageRole::LayeredAndCopiedFrom; }

  void materialize();
  void push_layer(const registry::Layer& l);
  std::optional<registry::Layer> add_layer(const fs::Changes& changes, StepReport& sr);
  std::optional<registry::Layer> write_layer(const fsys::path& root, const fs::Changes& changes, StepReport& sr);
  std::optional<registry::Layer> link_copy(const Step& step, StepReport& sr);
  steps::CopyEnv copy_env(const Step& step) const;
  fs::Changes snapshot(StepReport& sr);
  fs::Changes snapshot_of(fs::Snapshotter& snap, StepReport& sr);
  void history(const Step& step, bool layered);
  // true when the layer cache answered the step (nothing to run).
  bool from_cache(const Step& step, StepReport& sr, cache::Cacheability& cacheable);
  // The stage's whole key chain, and every lookup in it sent at once.
  void look_ahead(const std::string& start, const std::vector<Step>& steps);
  void apply_cached_layer(const registry::Layer& layer);
  // rebaseline: the layer is in the image already, the next snapshot must not report it.
  void apply_to_root(const registry::Layer& layer, bool rebaseline);
  // Runs a step that may change files; true when it may have.
  bool execute(const Step& step);
  void run(const Step& step, std::size_t no);
  void single_snapshot_layer();

  const BuildEnv& env_;
  const Plan& plan_;
  const int index_;
  const std::map<int, StageResult>& done_;
  const bool root_dirty_;
  const StageRole role_;
  log::Logger& log_;

  StageResult result_;
  StageReport rep_;
  cache::LayerCache* cache_ = nullptr;
  cache::StageChain chain_;  // computed before the first step (look_ahead)
  std::size_t step_no_ = 0;  // the step run() is on: its link in chain_
  std::string lookup_;     // the current step's key in the cache (ChainLink::lookup)
  bool missed_ = false;    // once a step misses, every later step runs
  fs::Snapshotter snap_;
  bool materialized_ = false;
  steps::StageFlags flags_;
  int layer_no_ = 0;
};

// The root gets the base image and every layer so far only when something
// needs real files: a step that runs, or a tree a later stage copies from.
void StageRun::materialize() {
  if (materialized_) return;
  registry::ImageState& img = result_.image;
  auto tm = Clock::now();
  if (root_dirty_) {
    log_.info("Deleting filesystem of the previous stage");
    fs::wipe_root(env_.root, *env_.ignore);
  }
  if (!img.layers.empty()) {
    log_.info("Unpacking rootfs as cmd requires it.");
    apply_layers(img, env_.root, *env_.ignore, log_, env_.keep_base_layers, env_.extract_retries);
  }
  rep_.unpack_seconds += since(tm);
  auto ts = Clock::now();
  if (need_layers()) snap_.baseline();
  materialized_ = true;
  rep_.unpacked = true;
  rep_.unpack_seconds += since(ts);
}

void StageRun::push_layer(const registry::Layer& l) {
  result_.image.layers.push_back(l);
  result_.image.config.add_diff_id(l.diff_id);
  if (env_.layer_ready) env_.layer_ready(l);
}

std::optional<registry::Layer> StageRun::add_layer(const fs::Changes& changes, StepReport& sr) {
  auto l = write_layer(env_.root, changes, sr);
  if (l) push_layer(*l);
  return l;
}

// The layer of root's changes, not yet in the image.
std::optional<registry::Layer> StageRun::write_layer(const fsys::path& root, const fs::Changes& changes,
                                                     StepReport& sr) {
  if (changes.empty()) return std::nullopt;
  auto tl = Clock::now();
  fsys::path out =
      env_.work->layers() / ("stage" + std::to_string(index_) + "-" + std::to_string(layer_no_++) + ".layer");
  if (env_.layer_writing) env_.layer_writing(out);
  layer::Result r = layer::write_layer(root, changes, out, env_.layer);
  sr.layer_seconds += since(tl);
  sr.layer_bytes_in += r.uncompressed_size;
  sr.layer_bytes_out += r.size;
  registry::Layer l;
  l.descriptor.media_type = result_.image.format == image::ManifestFormat::Oci ? r.media_type_oci : r.media_type_docker;
  l.descriptor.digest = r.digest;
  l.descriptor.size = r.size;
  l.diff_id = r.diff_id;
  l.file = r.file;
  log_.debug("Layer " + r.digest + ": " + std::to_string(changes.added_or_modified.size()) + " paths, " +
             std::to_string(changes.deleted.size()) + " deletions, " + std::to_string(r.size) + " bytes");
  return l;
}

fs::Changes StageRun::snapshot(StepReport& sr) { return snapshot_of(snap_, sr); }

fs::Changes StageRun::snapshot_of(fs::Snapshotter& snap, StepReport& sr) {
  auto tsn = Clock::now();
  fs::Changes changes = snap.take();
  sr.snapshot_seconds += since(tsn);
  sr.files_walked += snap.stats().walked;
  sr.files_hashed += snap.stats().hashed;
  return changes;
}

void StageRun::history(const Step& step, bool layered) {
  if (!step.history) return;
  image::HistoryEntry h;
  h.created = env_.created;
  h.created_by = *step.history;
  h.comment = "kiln";
  h.empty_layer = !layered;
  result_.image.config.add_history(h);
}

// Steps ran before this one: the root must hold this layer too for the steps
// after it. Apply it, then take it as the new baseline (its changes are
// already in the image).
void StageRun::apply_cached_layer(const registry::Layer& layer) { apply_to_root(layer, true); }

void StageRun::apply_to_root(const registry::Layer& layer, bool rebaseline) {
  auto tu = Clock::now();
  registry::ImageState one;
  one.name = "layer " + layer.descriptor.digest;
  one.layers.push_back(layer);
  apply_layers(one, env_.root, *env_.ignore, log_, false, env_.extract_retries);
  if (rebaseline) snap_.take();
  rep_.unpack_seconds += since(tu);
}

// The cache: a key for the step when the chain allows one, and a lookup
// when the step is cached and nothing has missed yet.
bool StageRun::from_cache(const Step& step, StepReport& sr, cache::Cacheability& cacheable) {
  lookup_.clear();
  if (!cache_) return false;
  const Instruction& in = step.instruction;
  auto tc = Clock::now();
  const cache::ChainLink& link = chain_.links.at(step_no_);
  // A broken chain has no keys, except an independent --link step's own.
  if (!link.reached) return false;
  cacheable = link.cacheability;
  lookup_ = link.lookup;
  sr.cache = cache_word(cacheable);
  // An independent --link layer is the same whatever ran before it: it may
  // hit after a miss (the rebase of a cached --link layer onto a new base).
  if (cacheable == cache::Cacheability::Cached && !lookup_.empty() && (!missed_ || link.independent)) {
    if (auto hit = cache_->lookup(lookup_)) {
      if (link.independent)
        log_.info("Using the cached --link layer " + lookup_ + ": it does not depend on the steps before it");
      sr.cache = "hit";
      if (in.as<WorkdirInst>()) steps::apply_metadata(step, result_.image.config, flags_);
      if (hit->layer) {
        push_layer(*hit->layer);
        if (materialized_) apply_cached_layer(*hit->layer);
      }
      history(step, hit->layer.has_value());
      sr.cache_seconds += since(tc);
      return true;
    }
    missed_ = true;
  }
  sr.cache_seconds += since(tc);
  return false;
}

void StageRun::look_ahead(const std::string& start, const std::vector<Step>& steps) {
  auto sources = [&](const Step& step) -> std::optional<std::string> {
    const auto* c = step.instruction.as<CopyInst>();
    bool from_context = !c || c->from.empty();
    return cache::copy_sources_digest(step, copy_source(env_, plan_, step, done_),
                                      from_context ? env_.context_excluded : nullptr);
  };
  chain_ = cache::stage_chain(start, steps, result_.image.config.user(), sources, env_.cache_flags,
                              env_.key_settings);
  auto probes = cache::probes_of(chain_);
  rep_.cache_lookahead = static_cast<int>(probes.size());
  cache_->prefetch(probes);
}

steps::CopyEnv StageRun::copy_env(const Step& step) const {
  steps::CopyEnv ce;
  static_cast<steps::StepEnv&>(ce) = env_;
  ce.src_root = copy_source(env_, plan_, step, done_);
  const auto* c = step.instruction.as<CopyInst>();
  if (c && !c->from.empty()) ce.context_excluded = nullptr;  // a stage or image: no .dockerignore
  ce.ca_file = env_.ca_file;
  ce.cancelled = cancel_flag(env_.interrupt);
  return ce;
}

// COPY --link: the sources go into an empty tree of their own, its layer is
// made from that tree alone and then applied onto the stage, so it does not
// depend on what lies under the destination.
std::optional<registry::Layer> StageRun::link_copy(const Step& step, StepReport& sr) {
  const bool layered = !env_.single_snapshot && need_layers();
  // --chown names need the stage's /etc/passwd; without layers the files
  // must land in the root itself.
  if (!layered || !cache::is_link_step(step)) materialize();
  fsys::path tree = env_.work->path() / ("link-" + std::to_string(index_) + "-" + std::to_string(step.line));
  fsys::remove_all(tree);
  fsys::create_directories(tree);
  fs::Snapshotter tree_snap(tree, *env_.ignore, env_.snapshot_mode);
  tree_snap.baseline();
  steps::CopyEnv ce = copy_env(step);
  ce.root = tree;
  ce.users_root = env_.root;
  steps::run_link_copy(step, ce);
  std::optional<registry::Layer> layer = write_layer(tree, snapshot_of(tree_snap, sr), sr);
  fsys::remove_all(tree);
  if (!layer) return std::nullopt;
  if (layered) push_layer(*layer);
  // Unmaterialized, the root gets it with the image's layers when it must.
  // Without layers of its own (--single-snapshot) the stage's snapshot still
  // has to see its files.
  if (materialized_) apply_to_root(*layer, layered);
  return layered ? layer : std::nullopt;
}

bool StageRun::execute(const Step& step) {
  const Instruction& in = step.instruction;
  if (in.as<RunInst>()) {
    steps::RunContext rc;
    static_cast<steps::StepEnv&>(rc) = env_;
    rc.cache_dir = env_.cache_dir;
    rc.secrets = env_.secrets;
    rc.source_root = [this, &step](const std::string& from) {
      return source_root(env_, plan_, step.line, from, done_);
    };
    rc.interrupt = env_.interrupt;
    rc.mount_method = env_.mount_method;
    rc.own_root = env_.own_root;
    if (env_.own_root) rc.container_root = env_.container_root;
    rc.cache_fallback = env_.run_cache_fallback;
    rc.journal = env_.work->path() / steps::kMountJournalName;
    steps::run_command(step, result_.image.config, rc);
    return true;
  }
  if (in.as<CopyInst>() || in.as<AddInst>()) {
    steps::run_copy(step, copy_env(step));
    return true;
  }
  // WORKDIR.
  steps::apply_metadata(step, result_.image.config, flags_);
  return steps::make_workdir(env_.root, step.working_dir, result_.image.config.user());
}

void StageRun::run(const Step& step, std::size_t no) {
  step_no_ = no;
  if (env_.interrupt) env_.interrupt->check();
  const Instruction& in = step.instruction;
  log_.info(short_text(in));
  StepReport sr;
  sr.instruction = short_text(in);
  sr.cache = "off";
  if (!cache::is_file_step(in)) {
    steps::apply_metadata(step, result_.image.config, flags_);
    history(step, false);
    rep_.steps.push_back(std::move(sr));
    return;
  }
  cache::Cacheability cacheable = cache::Cacheability::Uncacheable;
  if (from_cache(step, sr, cacheable)) {
    rep_.steps.push_back(std::move(sr));
    return;
  }
  std::optional<registry::Layer> layer;
  if (is_link(in)) {
    auto tr = Clock::now();
    layer = link_copy(step, sr);
    sr.run_seconds += since(tr);
  } else {
    materialize();
    auto tr = Clock::now();
    bool touches_files = execute(step);
    sr.run_seconds += since(tr);
    if (touches_files && !env_.single_snapshot && need_layers()) {
      log_.info("Taking snapshot of full filesystem...");
      layer = add_layer(snapshot(sr), sr);
      if (!layer) log_.info("No files changed in this command, skipping snapshotting.");
    }
  }
  if (cache_ && cacheable == cache::Cacheability::Cached && !lookup_.empty()) cache_->store(lookup_, layer);
  history(step, layer.has_value());
  rep_.steps.push_back(std::move(sr));
}

void StageRun::single_snapshot_layer() {
  StepReport sr;
  sr.instruction = "kiln --single-snapshot";
  if (add_layer(snapshot(sr), sr)) {
    image::HistoryEntry h;
    h.created = env_.created;
    h.created_by = "kiln --single-snapshot";
    h.comment = "kiln";
    result_.image.config.add_history(h);
  }
  rep_.steps.push_back(std::move(sr));
}

StageResult StageRun::build() {
  const Stage& stage = plan_.stages[static_cast<std::size_t>(index_)];
  rep_.index = index_;
  rep_.name = stage.name;
  rep_.base = stage.base_image;
  auto t0 = Clock::now();

  registry::ImageState& img = result_.image;
  Base base = base_for(env_, plan_, stage, done_);
  img = std::move(base.image);
  rep_.unpack_seconds += since(t0);
  if (env_.layer_ready)
    for (const auto& l : img.layers) env_.layer_ready(l);

  cache_ = env_.single_snapshot ? nullptr : env_.layer_cache;
  if (cache_ && !cache_->enabled()) cache_ = nullptr;
  if (!cache_) materialize();

  BaseConfig base_cfg;
  base_cfg.env = img.config.env();
  base_cfg.onbuild = img.config.on_build();
  base_cfg.working_dir = img.config.working_dir();
  base_cfg.shell = img.config.shell();
  if (stage.base_stage) base_cfg.state_env = done_.at(*stage.base_stage).state_env;
  // Triggers run in the stage built on the image; they are not inherited
  // any further (Docker's rule).
  img.config.set_on_build({});
  std::vector<Step> steps = evaluate_stage(plan_, index_, base_cfg);
  result_.state_env = steps.empty() ? base_cfg.state_env : steps.back().state_env;
  if (cache_) look_ahead(base.key, steps);
  for (std::size_t i = 0; i < steps.size(); ++i) run(steps[i], i);

  if (env_.single_snapshot && need_layers()) single_snapshot_layer();
  if (env_.materialize) materialize();
  if (keep_tree()) {
    materialize();
    result_.saved_root = env_.work->stages() / std::to_string(index_);
    save_tree(env_.root, *env_.ignore, result_.saved_root);
  }
  result_.cache_key = cache_ ? chain_.end : base.key;
  rep_.total_seconds = since(t0);
  return std::move(result_);
}

}  // namespace

StageRole stage_role(bool layered, bool kept) {
  if (layered) return kept ? StageRole::LayeredAndCopiedFrom : StageRole::Layered;
  return kept ? StageRole::CopiedFrom : StageRole::Unused;
}

StageBuilder::StageBuilder(const BuildEnv& env, const dockerfile::Plan& plan) : env_(env), plan_(plan) {}

const StageResult& StageBuilder::build(int index, StageRole role, StageReport* report) {
  return build_with(env_, index, role, report);
}

const StageResult& StageBuilder::build_with(const BuildEnv& env, int index, StageRole role, StageReport* report) {
  // The stage reads the results it depends on from a copy: other stages may
  // finish (and be added) while it runs.
  std::map<int, StageResult> done;
  bool in_build_root = env.root == env_.root;
  bool dirty = false;
  {
    std::lock_guard<std::mutex> g(mu_);
    done = done_;
    // A side root is fresh; only the build's root holds an earlier stage's files.
    dirty = in_build_root && root_dirty_;
  }
  StageRun run(env, plan_, index, done, dirty, role);
  StageResult result = run.build();
  if (report) *report = run.take_report();
  std::lock_guard<std::mutex> g(mu_);
  if (in_build_root) root_dirty_ = true;
  return done_[index] = std::move(result);
}

void StageBuilder::adopt(int index, StageResult result) {
  std::lock_guard<std::mutex> g(mu_);
  done_[index] = std::move(result);
}

const StageResult& StageBuilder::result(int index) const {
  std::lock_guard<std::mutex> g(mu_);
  return done_.at(index);
}

}  // namespace kiln::engine
