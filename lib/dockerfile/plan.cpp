#include "dockerfile/plan.h"

#include <algorithm>
#include <set>

#include "base/text.h"
#include "dockerfile/line_words.h"
#include "dockerfile/location_error.h"
#include "dockerfile/stage_scope.h"

namespace kiln::dockerfile {
namespace {

std::vector<ResolvedArg> automatic_args(const PlanOptions& o) {
  const auto& t = o.target_platform;
  const auto& b = o.build_platform;
  return {{"TARGETPLATFORM", t.str()}, {"TARGETOS", t.os},  {"TARGETARCH", t.architecture},
          {"TARGETVARIANT", t.variant}, {"BUILDPLATFORM", b.str()}, {"BUILDOS", b.os},
          {"BUILDARCH", b.architecture}, {"BUILDVARIANT", b.variant}};
}

std::vector<std::string> meta_env(const BuildArgs& args) {
  std::vector<std::string> env;
  for (const auto& a : args.automatic) env.push_back(a.key + "=" + *a.value);
  for (const auto& a : args.global)
    if (a.value) env.push_back(a.key + "=" + *a.value);
  return env;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

std::string go_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? " " : "") + items[i];
  return out + "]";
}

class Planner {
 public:
  Planner(const ParsedFile& file, const PlanOptions& opts) : file_(file), opts_(opts) {
    plan_.filename = file.filename;
    plan_.escape = file.escape;
    plan_.warnings = file.warnings;
  }

  Plan run() {
    for (const auto& [k, v] : opts_.build_args)
      if (v) plan_.args.given[k] = *v;
    plan_.args.automatic = automatic_args(opts_);
    split_stages();
    for (auto& st : plan_.stages) resolve_stage(st);
    choose_targets();
    mark_needed();
    warn_unconsumed_args();
    return std::move(plan_);
  }

 private:
  [[noreturn]] void fail(int line, const std::string& msg) const { fail_at(file_.filename, line, msg); }

  void split_stages() {
    const ShellLexer lexer(file_.escape);
    for (const Node& node : file_.nodes) {
      Instruction ins = to_instruction(node, file_.filename);
      if (auto* from = ins.as<FromInst>()) {
        Stage st;
        st.index = static_cast<int>(plan_.stages.size());
        st.name = from->stage_name;
        st.line = ins.start_line;
        st.from = *from;
        if (!st.name.empty()) {
          for (const auto& other : plan_.stages)
            if (other.name == st.name)
              fail(st.line, "duplicate stage name \"" + st.name + "\" (first used on line " +
                                std::to_string(other.line) + ")");
        }
        plan_.stages.push_back(std::move(st));
        continue;
      }
      if (plan_.stages.empty()) {
        auto* arg = ins.as<ArgInst>();
        if (!arg)
          fail(ins.start_line, ins.keyword + " before the first FROM: only ARG may come before FROM");
        // Global ARGs: defaults may use earlier global ARGs and the platform args.
        for (const auto& d : arg->args) {
          ResolvedArg r{d.key, std::nullopt};
          if (auto g = plan_.args.given_value(d.key)) {
            r.value = g;
          } else if (d.default_value) {
            r.value = with_location(file_.filename, ins.start_line, [&] {
              return lexer.process_word(*d.default_value, env_from_list(meta_env(plan_.args)));
            });
          }
          plan_.args.global.push_back(std::move(r));
        }
        continue;
      }
      plan_.stages.back().instructions.push_back(std::move(ins));
    }
    if (plan_.stages.empty()) fail(1, "no FROM instruction: a Dockerfile needs at least one FROM");
  }

  void resolve_stage(Stage& st) {
    const ShellLexer lexer(file_.escape);
    const EnvLookup meta = env_from_list(meta_env(plan_.args));
    with_location(file_.filename, st.line, [&] {
      st.base_image = lexer.process_word(st.from.image, meta);
      if (!st.from.platform.empty()) st.platform = lexer.process_word(st.from.platform, meta);
    });
    if (st.base_image.empty())
      fail(st.line, "base name (" + st.from.image + ") should not be blank: check the ARG it uses");
    // FROM refers to a stage only by the name of an earlier stage.
    std::string lowered = ascii_lower(st.base_image);
    for (int i = 0; i < st.index; ++i) {
      if (!plan_.stages[i].name.empty() && plan_.stages[i].name == lowered) {
        st.base_stage = i;
        break;
      }
    }
    if (st.base_stage) st.dependencies.push_back({StageDependency::Kind::Stage, *st.base_stage, "", "FROM", st.line});
    else if (lowered != "scratch")
      st.dependencies.push_back({StageDependency::Kind::Image, -1, st.base_image, "FROM", st.line});

    // Walk the stage's ARG/ENV so --from values expand as they will at build
    // time (the base image's own ENV is not known yet and is left out).
    StageScope scope(plan_.args, {}, {}, file_.escape);
    for (const Instruction& ins : st.instructions)
      with_location(file_.filename, ins.start_line, [&] { note_references(st, scope, ins); });
  }

  void note_references(Stage& st, StageScope& scope, const Instruction& ins) {
    if (auto* arg = ins.as<ArgInst>()) {
      for (ArgDecl d : arg->args) {
        d.key = scope.expand(d.key);  // ARG ${name}: the expanded name (as evaluate does)
        scope.declare_arg(d);
      }
    } else if (auto* env = ins.as<EnvInst>()) {
      std::vector<KeyValue> expanded;
      for (const auto& kv : env->vars) expanded.push_back({scope.expand(kv.key), scope.expand(kv.value)});
      for (const auto& kv : expanded) scope.set_env(kv.key, kv.value);
    } else if (auto* copy = ins.as<CopyInst>()) {
      if (!copy->from.empty()) add_reference(st, scope.expand(copy->from), "COPY --from", ins.start_line);
    } else if (auto* run = ins.as<RunInst>()) {
      for (const auto& m : run->mounts) {
        if (m.from.empty()) continue;
        add_reference(st, scope.expand(m.from), "RUN --mount from", ins.start_line);
      }
    }
  }

  void add_reference(Stage& st, const std::string& ref, const char* via, int line) {
    std::optional<int> idx;
    if (all_digits(ref)) {
      int n = ref.size() > 6 ? 1 << 30 : std::stoi(ref);
      if (n >= st.index)
        fail(line, std::string(via) + "=" + ref + " refers to stage " + ref +
                       ", which is not defined before this one (stage " + std::to_string(st.index) + ")");
      idx = n;
    } else {
      std::string lowered = ascii_lower(ref);
      for (const auto& other : plan_.stages) {
        if (!other.name.empty() && other.name == lowered) {
          if (other.index == st.index)
            fail(line, std::string(via) + "=" + ref + " refers to the stage it is in: a stage cannot copy from itself");
          if (other.index > st.index)
            fail(line, std::string(via) + "=" + ref + " refers to stage \"" + other.name + "\" on line " +
                           std::to_string(other.line) + ", which comes later: move that stage above this one");
          idx = other.index;
          break;
        }
      }
    }
    if (idx) st.dependencies.push_back({StageDependency::Kind::Stage, *idx, "", via, line});
    else st.dependencies.push_back({StageDependency::Kind::Image, -1, ref, via, line});
  }

  // The names --target gives, split at commas, empty ones dropped.
  std::vector<std::string> target_names() const {
    std::vector<std::string> names;
    for (const auto& flag : opts_.targets)
      for (std::string_view part : split_list(flag)) names.emplace_back(part);
    return names;
  }

  void choose_targets() {
    const std::vector<std::string> names = target_names();
    if (names.empty()) {
      plan_.target = static_cast<int>(plan_.stages.size()) - 1;
      plan_.targets = {plan_.target};
      return;
    }
    for (const auto& name : names) {
      int index = find_target(name);
      if (std::find(plan_.targets.begin(), plan_.targets.end(), index) == plan_.targets.end())
        plan_.targets.push_back(index);
    }
    plan_.target = plan_.targets.front();
  }

  int find_target(const std::string& name) const {
    std::string want = ascii_lower(name);
    for (const auto& st : plan_.stages)
      if (st.name == want) return st.index;
    std::vector<std::string> names;
    for (const auto& st : plan_.stages)
      if (!st.name.empty()) names.push_back(st.name);
    std::string known = "the Dockerfile names no stages (use FROM image AS name)";
    if (!names.empty()) {
      known = "stages are: ";
      for (size_t i = 0; i < names.size(); ++i) known += (i ? ", " : "") + names[i];
    }
    throw kiln::UsageError(file_.filename + ": --target stage \"" + name + "\" could not be found; " + known);
  }

  void mark_needed() {
    const int n = static_cast<int>(plan_.stages.size());
    std::vector<bool> needed(n, false);
    // Dependencies always point to earlier stages, so one backward sweep
    // from the last target finds every stage the targets need.
    for (int t : plan_.targets) needed[t] = true;
    const int last = *std::max_element(plan_.targets.begin(), plan_.targets.end());
    for (int i = last; i >= 0; --i) {
      if (!needed[i]) continue;
      for (const auto& d : plan_.stages[i].dependencies)
        if (d.kind == StageDependency::Kind::Stage) needed[d.stage] = true;
    }
    for (int i = 0; i < n; ++i) {
      // kaniko builds every stage up to the (last) target unless told to skip unused ones.
      bool build = opts_.skip_unused_stages ? needed[i] : i <= last;
      plan_.stages[i].needed = build;
      if (build) plan_.build_order.push_back(i);
    }
  }

  void warn_unconsumed_args() {
    std::set<std::string> declared;
    for (const auto& g : plan_.args.global) declared.insert(g.key);
    for (int i : plan_.build_order)
      for (const auto& ins : plan_.stages[i].instructions)
        if (auto* a = ins.as<ArgInst>())
          for (const auto& d : a->args) declared.insert(d.key);
    std::vector<std::string> unused;
    for (const auto& [k, v] : opts_.build_args) {
      if (declared.count(k) || is_proxy_arg(k) || is_platform_arg(k)) continue;
      if (std::find(unused.begin(), unused.end(), k) == unused.end()) unused.push_back(k);
    }
    std::sort(unused.begin(), unused.end());
    if (!unused.empty())
      plan_.warnings.push_back("[Warning] One or more build-args " + go_list(unused) + " were not consumed");
  }

  const ParsedFile& file_;
  const PlanOptions& opts_;
  Plan plan_;
};

}  // namespace

std::optional<int> Plan::find_stage(std::string_view name_or_index) const {
  if (all_digits(name_or_index)) {
    if (name_or_index.size() > 6) return std::nullopt;
    int n = std::stoi(std::string(name_or_index));
    if (n < static_cast<int>(stages.size())) return n;
    return std::nullopt;
  }
  std::string lowered = ascii_lower(name_or_index);
  for (const auto& st : stages)
    if (!st.name.empty() && st.name == lowered) return st.index;
  return std::nullopt;
}

Plan make_plan(const ParsedFile& file, const PlanOptions& options) { return Planner(file, options).run(); }

}  // namespace kiln::dockerfile
