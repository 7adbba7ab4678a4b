#include "dockerfile/evaluate.h"

#include "base/text.h"
#include "dockerfile/exposed_ports.h"
#include "dockerfile/go_format.h"
#include "dockerfile/heredoc.h"
#include "dockerfile/history_text.h"
#include "dockerfile/line_words.h"
#include "dockerfile/location_error.h"
#include "dockerfile/parser.h"
#include "dockerfile/posix_path.h"
#include "dockerfile/stage_scope.h"
#include "dockerfile/stop_signal.h"

namespace kiln::dockerfile {
namespace {

// Heredoc bodies of COPY/ADD expand variables but keep quotes; the lexer
// removes quotes, so quotes are escaped first to survive as literals.
std::string expand_heredoc_body(const StageScope& scope, const std::string& body) {
  std::string escaped;
  for (char c : body) {
    if (c == '"' || c == '\'') escaped += '\\';
    escaped += c;
  }
  return ShellLexer('\\').process_word(escaped, scope.lookup());
}

// One [digits]<<[-]WORD and nothing else: BuildKit runs such a heredoc as a script.
bool is_sole_heredoc(const std::string& cmd) {
  std::string_view c = trim(cmd);
  size_t i = 0;
  while (i < c.size() && c[i] >= '0' && c[i] <= '9') ++i;
  if (c.substr(i, 2) != "<<") return false;
  i += 2;
  if (i < c.size() && c[i] == '-') ++i;
  return split_raw_words(c.substr(i), '\\').size() == 1 && find_heredocs(c).size() == 1;
}

class Walker {
 public:
  Walker(const Plan& plan, const Stage& stage, const BaseConfig& base)
      : plan_(plan), stage_(stage), scope_(plan.args, base.env, base.state_env, plan.escape) {
    shell_ = base.shell.empty() ? std::vector<std::string>{"/bin/sh", "-c"} : base.shell;
    workdir_ = base.working_dir;
  }

  // A trigger is parsed as a Dockerfile of its own (it may carry heredocs)
  // that must hold exactly one instruction; errors point at the FROM line.
  void trigger(const std::string& text) {
    const int line = stage_.line;
    const std::string what = "base image ONBUILD trigger \"" + text + "\": ";
    Instruction ins;
    try {
      ParsedFile f = parse(text, "ONBUILD");
      if (f.nodes.size() != 1) throw kiln::UsageError("ONBUILD:1: onbuild trigger should be a single expression");
      const Node& node = f.nodes[0];
      if (node.keyword == "onbuild" || node.keyword == "from" || node.keyword == "maintainer")
        throw kiln::UsageError("ONBUILD:1: " + to_upper(node.keyword) + " isn't allowed as an ONBUILD trigger");
      ins = to_instruction(node, "ONBUILD");
    } catch (const kiln::UsageError& e) {
      std::string msg = e.what();
      // Drop the trigger's own "ONBUILD:<n>: " prefix.
      size_t colon = msg.rfind("ONBUILD:", 0) == 0 ? msg.find(": ") : std::string::npos;
      fail_at(plan_.filename, line, what + (colon == std::string::npos ? msg : msg.substr(colon + 2)));
    }
    step(ins, true);
  }

  void step(const Instruction& ins, bool from_trigger) {
    Step s;
    s.instruction = ins;
    s.line = from_trigger ? stage_.line : ins.start_line;
    s.from_base_onbuild = from_trigger;
    with_location(plan_.filename, s.line, [&] { apply(s); });
    s.config_env = scope_.config_env();
    s.run_env = scope_.run_env();
    s.state_env = scope_.state_env();
    s.shell = shell_;
    s.working_dir = workdir_;
    steps_.push_back(std::move(s));
  }

  std::vector<Step> take() { return std::move(steps_); }

 private:
  static std::string to_upper(std::string s) {
    for (char& c : s)
      if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    return s;
  }

  std::string x(const std::string& w) const { return scope_.expand(w); }

  std::vector<std::string> with_shell(const CommandLine& c) const {
    if (!c.prepend_shell) return c.args;
    std::vector<std::string> argv = shell_;
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    return argv;
  }

  void apply(Step& s) {
    InstructionKind& k = s.instruction.kind;
    if (auto* env = std::get_if<EnvInst>(&k)) {
      // Every value sees the environment from before this ENV: ENV a=1 b=$a
      // gives b the old a.
      for (auto& kv : env->vars) kv = {x(kv.key), x(kv.value)};
      for (const auto& kv : env->vars) scope_.set_env(kv.key, kv.value);
      s.history = key_value_history("ENV", env->vars);
    } else if (auto* arg = std::get_if<ArgInst>(&k)) {
      std::vector<std::pair<std::string, std::optional<std::string>>> recorded;
      for (auto& d : arg->args) {
        d.key = x(d.key);  // ARG ${name}=v declares the expanded name, as BuildKit does
        StageScope::DeclaredArg r = scope_.declare_arg(d);
        d.default_value = r.expanded_default;
        // BuildKit records the value the ARG resolved to; a proxy's
        // --build-arg value may hold credentials, so only its default shows.
        recorded.emplace_back(d.key, is_proxy_arg(d.key) ? r.expanded_default : r.value);
      }
      s.history = arg_history(recorded);
    } else if (auto* run = std::get_if<RunInst>(&k)) {
      for (auto& m : run->mounts) m = parse_mount(m.raw, [this](const std::string& v) { return x(v); });
      s.argv = run_argv(*run, s.script);
      s.history = run_history(s.argv, scope_.declared_args_for_history());
      s.empty_layer = false;
    } else if (auto* cmd = std::get_if<CmdInst>(&k)) {
      cmd_set_ = true;
      s.argv = with_shell(cmd->cmd);
      s.history = argv_history("CMD", s.argv);
    } else if (auto* ep = std::get_if<EntrypointInst>(&k)) {
      s.argv = with_shell(ep->cmd);
      s.clears_cmd = !cmd_set_;
      s.history = argv_history("ENTRYPOINT", s.argv);
    } else if (auto* label = std::get_if<LabelInst>(&k)) {
      for (auto& kv : label->labels) kv = {x(kv.key), x(kv.value)};
      s.history = key_value_history("LABEL", label->labels);
    } else if (auto* m = std::get_if<MaintainerInst>(&k)) {
      s.history = "MAINTAINER " + m->name;
    } else if (auto* ex = std::get_if<ExposeInst>(&k)) {
      std::vector<std::string> ports;
      for (const auto& p : ex->ports)
        for (auto& w : scope_.expand_words(p)) ports.push_back(std::move(w));
      ex->ports = ports;
      s.exposed_ports = normalize_ports(ports);
      s.history = expose_history(s.exposed_ports);
    } else if (auto* add = std::get_if<AddInst>(&k)) {
      for (auto& src : add->sources) src = x(src);
      for (auto& h : add->inline_sources)
        if (h.expand) h.content = expand_heredoc_body(scope_, h.content);
      add->dest = x(add->dest);
      add->chown = x(add->chown);
      add->chmod = x(add->chmod);
      add->checksum = x(add->checksum);
      for (auto& e : add->excludes) e = x(e);
      s.history = copy_history("ADD", add->sources, add->inline_sources, add->dest);
      s.empty_layer = false;
    } else if (auto* copy = std::get_if<CopyInst>(&k)) {
      for (auto& src : copy->sources) src = x(src);
      for (auto& h : copy->inline_sources)
        if (h.expand) h.content = expand_heredoc_body(scope_, h.content);
      copy->dest = x(copy->dest);
      copy->from = x(copy->from);
      copy->chown = x(copy->chown);
      copy->chmod = x(copy->chmod);
      for (auto& e : copy->excludes) e = x(e);
      s.history = copy_history("COPY", copy->sources, copy->inline_sources, copy->dest);
      s.empty_layer = false;
    } else if (auto* vol = std::get_if<VolumeInst>(&k)) {
      for (auto& v : vol->volumes) {
        v = x(v);
        if (v.empty()) throw kiln::UsageError("VOLUME specified can not be an empty string");
      }
      s.history = "VOLUME " + go_plain_list(vol->volumes);
    } else if (auto* user = std::get_if<UserInst>(&k)) {
      user->user = x(user->user);
      s.history = "USER " + user->user;
    } else if (auto* wd = std::get_if<WorkdirInst>(&k)) {
      wd->path = x(wd->path);
      workdir_ = resolve_workdir(workdir_, wd->path);
      s.history = "WORKDIR " + workdir_;
      s.empty_layer = workdir_ == "/";
    } else if (std::get_if<OnbuildInst>(&k)) {
      // BuildKit stores the trigger verbatim and records no history for it;
      // it is expanded when a child build runs it.
    } else if (auto* sig = std::get_if<StopSignalInst>(&k)) {
      sig->signal = x(sig->signal);
      if (!is_valid_stop_signal(sig->signal))
        throw kiln::UsageError("STOPSIGNAL: invalid signal \"" + sig->signal + "\" (use a name like SIGTERM or a number)");
      s.history = "STOPSIGNAL " + sig->signal;
    } else if (auto* hc = std::get_if<HealthcheckInst>(&k)) {
      s.history = healthcheck_history(*hc);
    } else if (auto* sh = std::get_if<ShellInst>(&k)) {
      shell_ = sh->shell;
      s.history = "SHELL " + go_plain_list(sh->shell);
    } else if (std::get_if<FromInst>(&k)) {
      throw kiln::UsageError("FROM inside a stage: the plan splits stages at FROM");
    }
  }

  // BuildKit's heredoc rules for RUN: a command that is only one heredoc runs
  // the heredoc as the script; otherwise the heredoc bodies are appended to
  // the command so the shell reads them.
  std::vector<std::string> run_argv(const RunInst& run, std::optional<Heredoc>& script) const {
    if (run.heredocs.empty()) return with_shell(run.cmd);
    if (!run.cmd.prepend_shell || run.cmd.args.size() != 1)
      throw kiln::UsageError("RUN with a heredoc needs the shell form (RUN <<EOF), not the JSON form");
    const std::string& cmd = run.cmd.args[0];
    if (run.heredocs.size() == 1 && is_sole_heredoc(cmd)) {
      const Heredoc& h = run.heredocs[0];
      if (h.content.rfind("#!", 0) == 0) {
        script = h;
        return {"/dev/pipes/" + h.name};
      }
      return with_shell(CommandLine{{h.content}, true});
    }
    std::string joined = cmd;
    for (const auto& h : run.heredocs) joined += "\n" + h.content + h.name;
    return with_shell(CommandLine{{joined}, true});
  }

  const Plan& plan_;
  const Stage& stage_;
  StageScope scope_;
  std::vector<std::string> shell_;
  std::string workdir_;
  bool cmd_set_ = false;  // a CMD was seen in this stage
  std::vector<Step> steps_;
};

}  // namespace

std::vector<Step> evaluate_stage(const Plan& plan, int stage_index, const BaseConfig& base) {
  if (stage_index < 0 || stage_index >= static_cast<int>(plan.stages.size()))
    throw kiln::Error("evaluate_stage: no stage " + std::to_string(stage_index) + " in " + plan.filename);
  const Stage& stage = plan.stages[stage_index];
  Walker w(plan, stage, base);
  for (const auto& t : base.onbuild) w.trigger(t);
  for (const auto& ins : stage.instructions) w.step(ins, false);
  return w.take();
}

std::vector<Step> evaluate_stage(const Plan& plan, int stage_index, const std::vector<std::string>& base_image_env,
                                 const std::vector<std::string>& base_onbuild) {
  BaseConfig base;
  base.env = base_image_env;
  base.onbuild = base_onbuild;
  return evaluate_stage(plan, stage_index, base);
}

}  // namespace kiln::dockerfile
