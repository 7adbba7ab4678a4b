#pragma once
// Walking one stage in order, once its base image's config is known:
// variables expanded where BuildKit expands them, ENV/ARG scoping, the image
// config Env after every step, the environment each RUN sees, the shell and
// working directory in effect, and the history text. Pure: no I/O.
#include <optional>
#include <string>
#include <vector>

#include "dockerfile/instructions.h"
#include "dockerfile/plan.h"

namespace kiln::dockerfile {

// What the stage starts from: the base image's config (or an earlier
// stage's final state when FROM names a stage). Empty for scratch.
struct BaseConfig {
  std::vector<std::string> env;      // config Env, "K=V"
  std::vector<std::string> onbuild;  // config OnBuild triggers, applied first
  std::string working_dir;           // config WorkingDir ("" = /)
  std::vector<std::string> shell;    // config Shell ([] = ["/bin/sh", "-c"])
  // FROM <stage>: that stage's final state env (ENV and ARG values), which
  // BuildKit carries into the child stage; empty otherwise.
  std::vector<std::string> state_env;
};

struct Step {
  // The instruction with every expandable word expanded (flags included).
  // RUN/CMD/ENTRYPOINT bodies, SHELL, HEALTHCHECK, MAINTAINER and ONBUILD
  // expressions stay as written. ARG defaults are the expanded defaults.
  Instruction instruction;
  int line = 0;                    // first source line (the FROM line for triggers)
  bool from_base_onbuild = false;  // a trigger from the base image's ONBUILD

  std::vector<std::string> config_env;  // image config Env after this step
  std::vector<std::string> run_env;     // env a RUN at this point sees: state env (ENV + ARGs in scope) + proxy build-args
  std::vector<std::string> state_env;   // the state env alone (a stage built FROM this one starts from it)
  std::vector<std::string> shell;       // SHELL in effect after this step
  std::string working_dir;              // WorkingDir after this step (absolute, as BuildKit writes it; "" before any)

  // RUN: the argv to execute (shell prepended for the shell form; heredocs
  // folded in as BuildKit does). CMD/ENTRYPOINT: the argv for the config.
  std::vector<std::string> argv;
  // RUN <<EOF whose body starts with "#!": write doc.content to argv[0]
  // (mode 0755) for the duration of the RUN; argv runs it directly.
  std::optional<Heredoc> script;
  // EXPOSE: ports normalised ("80/tcp"), ranges expanded.
  std::vector<std::string> exposed_ports;

  // ENTRYPOINT with no CMD earlier in this stage: the config's Cmd must be
  // cleared (inherited CMD would not suit the new entrypoint), as Docker does.
  bool clears_cmd = false;

  // The history "created_by" text; nullopt for instructions BuildKit records
  // no history for (ONBUILD).
  std::optional<std::string> history;
  // BuildKit's EmptyLayer: false for RUN/COPY/ADD and for a WORKDIR other
  // than "/" (BuildKit creates the directory). kaniko only snapshots a WORKDIR
  // that created a directory, which only the engine can know.
  bool empty_layer = true;
};

// The PATH BuildKit puts into the config of a stage built FROM scratch and
// into a RUN's environment when the config has no PATH.
inline constexpr const char* kDefaultPathEnv = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// Throws kiln::UsageError ("<file>:<line>: ...") on expansion errors, bad
// ports, bad signals and bad ONBUILD triggers.
std::vector<Step> evaluate_stage(const Plan& plan, int stage_index, const BaseConfig& base);

// Convenience form: base config Env and OnBuild only.
std::vector<Step> evaluate_stage(const Plan& plan, int stage_index, const std::vector<std::string>& base_image_env,
                                 const std::vector<std::string>& base_onbuild);

}  // namespace kiln::dockerfile
