#include "steps/config_update.h"

namespace kiln::steps {

using namespace kiln::dockerfile;

bool apply_metadata(const Step& step, image::Config& config, StageFlags& flags) {
  const Instruction& in = step.instruction;
  if (in.as<EnvInst>()) {
    config.set_env(step.config_env);
    return true;
  }
  if (auto* l = in.as<LabelInst>()) {
    auto labels = config.labels();
    for (const auto& kv : l->labels) labels[kv.key] = kv.value;
    config.set_labels(labels);
    return true;
  }
  if (auto* m = in.as<MaintainerInst>()) {
    config.set_author(m->name);
    return true;
  }
  if (in.as<ExposeInst>()) {
    auto ports = config.exposed_ports();
    ports.insert(step.exposed_ports.begin(), step.exposed_ports.end());
    config.set_exposed_ports(ports);
    return true;
  }
  if (auto* v = in.as<VolumeInst>()) {
    auto vols = config.volumes();
    vols.insert(v->volumes.begin(), v->volumes.end());
    config.set_volumes(vols);
    return true;
  }
  if (auto* u = in.as<UserInst>()) {
    config.set_user(u->user);
    return true;
  }
  if (in.as<WorkdirInst>()) {
    config.set_working_dir(step.working_dir);
    return true;
  }
  if (in.as<CmdInst>()) {
    config.set_cmd(step.argv);
    // BuildKit marks every CMD so (docker 20.10 and later); Docker's runtime
    // reads it on Windows only, but it is part of the config written.
    config.set_args_escaped(true);
    flags.cmd_set = true;
    return true;
  }
  if (in.as<EntrypointInst>()) {
    config.set_entrypoint(step.argv);
    // Docker: an ENTRYPOINT resets a CMD inherited from the base image, but
    // not one given earlier in the same stage; evaluate() decides which.
    if (step.clears_cmd) config.set_cmd(std::nullopt);
    return true;
  }
  if (in.as<ShellInst>()) {
    config.set_shell(step.shell);
    return true;
  }
  if (auto* s = in.as<StopSignalInst>()) {
    config.set_stop_signal(s->signal);
    return true;
  }
  if (auto* h = in.as<HealthcheckInst>()) {
    image::Healthcheck hc;
    hc.test = h->test;
    hc.interval = h->interval_ns;
    hc.timeout = h->timeout_ns;
    hc.start_period = h->start_period_ns;
    hc.start_interval = h->start_interval_ns;
    hc.retries = h->retries;
    config.set_healthcheck(hc);
    return true;
  }
  if (auto* o = in.as<OnbuildInst>()) {
    auto triggers = config.on_build();
    triggers.push_back(o->expression);
    config.set_on_build(triggers);
    return true;
  }
  return false;
}

}  // namespace kiln::steps
