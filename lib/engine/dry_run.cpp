#include "engine/dry_run.h"

#include <map>

#include "cache/copy_sources_digest.h"
#include "cache/key_chain.h"
#include "engine/base_image.h"
#include "steps/run_mounts.h"

namespace kiln::engine {
using namespace kiln::dockerfile;

namespace {

struct StageOutcome {
  std::string key;  // empty: unknown (the chain broke)
  BaseConfig config;
  std::string user;
};

std::string stage_label(const Plan& plan, int i) {
  const Stage& s = plan.stages[static_cast<std::size_t>(i)];
  return "stage " + std::to_string(i) + (s.name.empty() ? "" : " (" + s.name + ")");
}

// Which stage is the result and which other targets are only built.
std::string targets_line(const Plan& plan) {
  std::string line = "result: " + stage_label(plan, plan.target);
  std::string others;
  for (int t : plan.targets)
    if (t != plan.target) others += (others.empty() ? "" : ", ") + stage_label(plan, t);
  if (!others.empty()) line += "; also built as --target, not pushed: " + others;
  return line;
}

std::string text_of(const Step& step) {
  std::string s = step.history ? *step.history : step.instruction.original;
  if (s.size() > 200) s = s.substr(0, 200) + "…";
  return s;
}

}  // namespace

void dry_run(const Plan& plan, const BuildEnv& env) {
  log::Logger& log = *env.log;
  std::map<int, StageOutcome> done;
  log.info(targets_line(plan));
  for (int i : plan.build_order) {
    const Stage& stage = plan.stages[static_cast<std::size_t>(i)];
    std::string header = "stage " + std::to_string(i) + (stage.name.empty() ? "" : " (" + stage.name + ")") + " FROM ";
    StageOutcome out;
    BaseConfig base;
    std::string user;
    if (stage.base_stage) {
      const auto& prev = done.at(*stage.base_stage);
      out.key = prev.key;
      base = prev.config;
      user = prev.user;
      header += "stage " + std::to_string(*stage.base_stage);
    } else if (stage.base_image == "scratch") {
      out.key = "scratch";
      header += "scratch";
    } else {
      auto pulled = pull_image(*env.client, registry::parse_reference(stage.base_image), env.platform,
                               env.work->blobs(), log);
      out.key = pulled.manifest_digest;
      base.env = pulled.image.config.env();
      base.onbuild = pulled.image.config.on_build();
      base.working_dir = pulled.image.config.working_dir();
      base.shell = pulled.image.config.shell();
      user = pulled.image.config.user();
      header += stage.base_image + "@" + pulled.manifest_digest;
    }
    log.info(header);
    std::vector<Step> steps = evaluate_stage(plan, i, base);
    // A COPY --from a stage reads files no dry run has: its key is unknown.
    auto sources = [&](const Step& step) -> std::optional<std::string> {
      const auto* copy = step.instruction.as<CopyInst>();
      if (copy && !copy->from.empty()) return std::nullopt;
      return cache::copy_sources_digest(step, env.context_dir, env.context_excluded);
    };
    cache::StageChain chain;
    if (env.layer_cache) chain = cache::stage_chain(out.key, steps, user, sources, env.cache_flags, env.key_settings);
    bool missed = false;
    for (std::size_t n = 0; n < steps.size(); ++n) {
      const Step& step = steps[n];
      const Instruction& in = step.instruction;
      std::string note;
      if (env.layer_cache && cache::is_file_step(in)) {
        const cache::ChainLink& link = chain.links[n];
        const std::string& key = link.lookup;
        // An independent --link layer is looked up whatever came before it (the build's rule).
        const std::string which = link.independent ? "--link key " : "key ";
        if (key.empty()) {
          note = "runs (not cacheable)";
        } else if (link.cacheability == cache::Cacheability::KeyedOnly) {
          note = "runs (--cache-copy-layers is off)";
        } else if (missed && !link.independent) {
          note = "runs (an earlier step missed), key " + key;
        } else {
          auto present = env.layer_cache->probe(key);
          if (!present) {
            note = "cache unavailable";
          } else if (*present) {
            note = "cached, " + which + key;
          } else {
            note = "runs (not cached), " + which + key;
            missed = true;
          }
        }
      }
      if (auto* u = in.as<UserInst>()) user = u->user;  // what a stage FROM this one starts with
      if (const auto* run = in.as<RunInst>(); run && env.mount_method && steps::needs_mount_points(run->mounts)) {
        const steps::MountMethodChoice& c = env.mount_method->get();
        note += std::string(note.empty() ? "" : "; ") + "RUN --mount by " + steps::method_name(c.method) +
                (c.method == steps::MountMethod::Files ? ": " + c.why : "");
      }
      log.info("  " + text_of(step) + (note.empty() ? "" : "   [" + note + "]"));
    }
    if (!steps.empty()) {
      out.config.env = steps.back().config_env;
      out.config.working_dir = steps.back().working_dir;
      out.config.shell = steps.back().shell;
    } else {
      out.config = base;
    }
    out.user = user;
    if (env.layer_cache) out.key = chain.end;
    done[i] = std::move(out);
  }
}

}  // namespace kiln::engine
