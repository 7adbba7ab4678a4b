#include "build/stage_builder.h"

#include <chrono>
#include <fstream>

#include "base/error.h"
#include "build/base_image.h"
#include "build/config_update.h"
#include "build/copy_step.h"
#include "build/run_step.h"
#include "build/tree_save.h"
#include "digest/digest.h"
#include "digest/sha256.h"
#include "dockerfile/evaluate.h"
#include "fs/passwd.h"
#include "fs/resolve.h"
#include "fs/wipe.h"

namespace kiln::build {
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

ImageState base_for(const BuildEnv& env, const Plan& plan, const Stage& stage, const std::map<int, StageResult>& done) {
  if (stage.base_stage) {
    auto it = done.find(*stage.base_stage);
    if (it == done.end())
      throw Error(plan.filename + ":" + std::to_string(stage.line) + ": stage " +
                  std::to_string(*stage.base_stage) + " was not built");
    ImageState s = it->second.image;
    s.name = "stage " + std::to_string(*stage.base_stage);
    return s;
  }
  if (stage.base_image == "scratch") return scratch_image(env.platform);
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
  return pull_image(*env.client, ref, platform, env.work->blobs(), *env.log, base_cache(env)).image;
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
  apply_layers(pulled.image, dir / "rootfs", none, *env.log);
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

StageResult build_stage(const BuildEnv& env, const Plan& plan, int index, const std::map<int, StageResult>& done,
                        bool root_dirty, bool keep_tree, StageTimings* timings) {
  const Stage& stage = plan.stages[static_cast<std::size_t>(index)];
  log::Logger& log = *env.log;
  StageTimings t;
  auto t0 = Clock::now();

  StageResult result;
  ImageState& img = result.image;
  img = base_for(env, plan, stage, done);
  if (root_dirty) {
    log.info("Deleting filesystem of the previous stage");
    fs::wipe_root(env.root, *env.ignore);
  }
  if (!img.layers.empty()) {
    log.info("Unpacking rootfs as cmd requires it.");
    apply_layers(img, env.root, *env.ignore, log);
  }
  t.unpack += since(t0);

  auto ts = Clock::now();
  fs::Snapshotter snap(env.root, *env.ignore, env.snapshot_mode);
  snap.baseline();
  t.snapshot += since(ts);

  BaseConfig base;
  base.env = img.config.env();
  base.onbuild = img.config.on_build();
  base.working_dir = img.config.working_dir();
  base.shell = img.config.shell();
  // Triggers run in the stage built on the image; they are not inherited
  // any further (Docker's rule).
  img.config.set_on_build({});
  std::vector<Step> steps = evaluate_stage(plan, index, base);

  StageFlags flags;
  int layer_no = 0;
  auto add_layer = [&](const fs::Changes& changes) -> bool {
    if (changes.empty()) return false;
    auto tl = Clock::now();
    fsys::path out = env.work->layers() / ("stage" + std::to_string(index) + "-" + std::to_string(layer_no++) + ".layer");
    layer::Result r = write_layer(env.root, changes, out, env.layer);
    t.layer += since(tl);
    Layer l;
    l.descriptor.media_type = img.format == image::ManifestFormat::Oci ? r.media_type_oci : r.media_type_docker;
    l.descriptor.digest = r.digest;
    l.descriptor.size = r.size;
    l.diff_id = r.diff_id;
    l.file = r.file;
    img.layers.push_back(l);
    img.config.add_diff_id(r.diff_id);
    log.debug("Layer " + r.digest + ": " + std::to_string(changes.added_or_modified.size()) + " paths, " +
              std::to_string(changes.deleted.size()) + " deletions, " + std::to_string(r.size) + " bytes");
    return true;
  };

  for (const Step& step : steps) {
    const Instruction& in = step.instruction;
    log.info(short_text(in));
    bool touches_files = false;
    auto tr = Clock::now();
    if (in.as<RunInst>()) {
      RunContext rc;
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
      run_command(step, img.config, rc);
      touches_files = true;
      t.run += since(tr);
    } else if (in.as<CopyInst>() || in.as<AddInst>()) {
      CopyEnv ce;
      ce.root = env.root;
      ce.ignore = env.ignore;
      ce.src_root = copy_source(env, plan, step, done);
      const auto* c = in.as<CopyInst>();
      if (!c || c->from.empty()) ce.context_excluded = env.context_excluded;
      ce.scratch = env.work->scratch();
      ce.ca_file = env.ca_file;
      ce.log = &log;
      run_copy(step, ce);
      touches_files = true;
      t.run += since(tr);
    } else {
      apply_metadata(step, img.config, flags);
      if (in.as<WorkdirInst>() && !step.working_dir.empty()) {
        // Created when missing, owned by the USER in effect (BuildKit).
        std::error_code ec;
        if (!fsys::exists(fs::resolve_in_root(env.root, step.working_dir, true), ec)) {
          uid_t uid = 0;
          gid_t gid = 0;
          if (!img.config.user().empty()) {
            auto u = fs::load_user(env.root, img.config.user());
            uid = u.uid;
            gid = u.gid;
          }
          fs::mkdir_all(env.root, step.working_dir, uid, gid, 0755);
          touches_files = true;
        }
      }
    }
    bool layered = false;
    if (touches_files && !env.single_snapshot) {
      auto tsn = Clock::now();
      log.info("Taking snapshot of full filesystem...");
      fs::Changes changes = snap.take();
      t.snapshot += since(tsn);
      layered = add_layer(changes);
      if (!layered) log.info("No files changed in this command, skipping snapshotting.");
    }
    if (step.history) {
      image::HistoryEntry h;
      h.created = env.created;
      h.created_by = *step.history;
      h.comment = "kiln";
      h.empty_layer = !layered;
      img.config.add_history(h);
    }
  }
  if (env.single_snapshot) {
    auto tsn = Clock::now();
    fs::Changes changes = snap.take();
    t.snapshot += since(tsn);
    if (add_layer(changes)) {
      image::HistoryEntry h;
      h.created = env.created;
      h.created_by = "kiln --single-snapshot";
      h.comment = "kiln";
      img.config.add_history(h);
    }
  }
  if (keep_tree) {
    result.saved_root = env.work->stages() / std::to_string(index);
    save_tree(env.root, *env.ignore, result.saved_root);
  }
  if (timings) {
    timings->unpack += t.unpack;
    timings->run += t.run;
    timings->snapshot += t.snapshot;
    timings->layer += t.layer;
  }
  return result;
}

}  // namespace kiln::build
