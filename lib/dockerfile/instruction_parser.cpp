// Node -> typed Instruction, with the argument-count and flag rules of
// BuildKit's instructions package.
#include <algorithm>
#include <cctype>
#include <map>
#include <optional>

#include "base/text.h"
#include "dockerfile/builder_flags.h"
#include "dockerfile/go_duration.h"
#include "dockerfile/heredoc.h"
#include "dockerfile/instructions.h"
#include "dockerfile/line_words.h"
#include "dockerfile/location_error.h"
#include "dockerfile/suggest.h"

namespace kiln::dockerfile {
namespace {

const std::vector<std::string>& known_instructions() {
  static const std::vector<std::string> names = {
      "ADD",  "ARG",     "CMD",  "COPY",   "ENTRYPOINT", "ENV",        "EXPOSE",      "FROM",  "HEALTHCHECK",
      "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"};
  return names;
}

std::string upper(std::string_view s) {
  std::string u(s);
  for (char& c : u) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return u;
}

class Builder {
 public:
  Builder(const Node& node, std::string_view file) : n_(node), file_(file), kw_(upper(node.keyword)) {}

  [[noreturn]] void fail(const std::string& msg) const { fail_at(file_, n_.start_line, msg); }

  BuilderFlags flags(std::initializer_list<std::pair<const char*, FlagKind>> decl) const {
    BuilderFlags f;
    for (const auto& [name, kind] : decl) f.declare(name, kind);
    try {
      f.parse(n_.flags);
    } catch (const kiln::UsageError& e) {
      fail(kw_ + ": " + e.what());
    }
    return f;
  }
  void no_flags() const { flags({}); }

  void at_least(size_t n) const {
    if (n_.args.size() >= n) return;
    if (n == 1) fail(kw_ + " requires at least one argument");
    fail(kw_ + " requires at least two arguments, but only one was provided. Destination could not be determined");
  }
  void exactly_one() const {
    if (n_.args.size() != 1) fail(kw_ + " requires exactly one argument");
  }

  CommandLine command() const {
    CommandLine c;
    c.args = n_.args;
    c.prepend_shell = !n_.json;
    return c;
  }

  // COPY/ADD: the last argument is the destination; heredoc words among the
  // sources become inline files, matched to the parsed heredoc bodies in order.
  void sources_and_dest(std::vector<std::string>& sources, std::vector<Heredoc>& inline_sources,
                        std::string& dest) const {
    if (n_.args.size() < 2)
      fail(kw_ + " requires at least two arguments, but only one was provided. Destination could not be determined");
    auto heredoc_word = [&](const std::string& word) -> std::optional<Heredoc> {
      if (n_.json || word.find("<<") == std::string::npos) return std::nullopt;
      std::vector<Heredoc> docs = with_location(file_, n_.start_line, [&] { return find_heredocs(word); });
      if (docs.size() != 1) return std::nullopt;
      return docs[0];
    };
    if (heredoc_word(n_.args.back())) fail(kw_ + " cannot accept a heredoc as a destination");
    for (size_t i = 0; i + 1 < n_.args.size(); ++i) {
      const std::string& src = n_.args[i];
      auto word = heredoc_word(src);
      if (!word) {
        sources.push_back(src);
        continue;
      }
      // The body is found by name, as BuildKit does.
      Heredoc h = *word;
      for (const auto& body : n_.heredocs)
        if (body.name == h.name) h.content = body.content;
      if (h.chomp) h.content = chomp_heredoc(h.content);
      inline_sources.push_back(std::move(h));
    }
    dest = n_.args.back();
  }

  std::int64_t duration_flag(const BuilderFlags& f, const char* name) const {
    std::string v = f.string(name);
    if (v.empty()) return 0;
    auto d = parse_go_duration(v);
    if (!d) fail("HEALTHCHECK: invalid duration for --" + std::string(name) + ": \"" + v + "\" (use e.g. 30s, 1m30s)");
    if (*d == 0) return 0;
    if (*d < 1000000)
      fail("HEALTHCHECK: --" + std::string(name) + " cannot be less than 1ms (got " + v + ")");
    return *d;
  }

  // Picks the instruction's parser by keyword; unknown ones get a suggestion.
  InstructionKind build() const;

 private:
  InstructionKind parse_from() const;
  InstructionKind parse_run() const;
  InstructionKind parse_cmd() const;
  InstructionKind parse_entrypoint() const;
  std::vector<KeyValue> key_values() const;  // ENV, LABEL
  InstructionKind parse_env() const;
  InstructionKind parse_label() const;
  InstructionKind parse_maintainer() const;
  InstructionKind parse_expose() const;
  InstructionKind parse_add() const;
  InstructionKind parse_copy() const;
  InstructionKind parse_volume() const;
  InstructionKind parse_user() const;
  InstructionKind parse_workdir() const;
  InstructionKind parse_arg() const;
  InstructionKind parse_onbuild() const;
  InstructionKind parse_stopsignal() const;
  InstructionKind parse_healthcheck() const;
  InstructionKind parse_shell() const;

  const Node& n_;
  std::string_view file_;
  std::string kw_;
};

bool valid_stage_name(const std::string& name) {
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) return false;
  return true;
}

InstructionKind Builder::parse_from() const {
  auto f = flags({{"platform", FlagKind::String}});
  if (n_.args.size() != 1 && n_.args.size() != 3)
    fail("FROM requires either one or three arguments: FROM [--platform=...] image [AS name]");
  FromInst from;
  from.image = n_.args[0];
  from.platform = f.string("platform");
  if (n_.args.size() == 3) {
    if (ascii_lower(n_.args[1]) != "as")
      fail("FROM expects AS before the stage name, got \"" + n_.args[1] + "\"");
    from.stage_name = ascii_lower(n_.args[2]);
    if (!valid_stage_name(from.stage_name))
      fail("invalid name for build stage: \"" + n_.args[2] +
           "\", name can't start with a number or contain symbols");
  }
  return from;
}

InstructionKind Builder::parse_run() const {
  auto f = flags({{"mount", FlagKind::Strings}, {"network", FlagKind::String}, {"security", FlagKind::String}});
  at_least(1);
  RunInst r;
  r.cmd = command();
  for (Heredoc h : n_.heredocs) {
    if (h.chomp) h.content = chomp_heredoc(h.content);
    r.heredocs.push_back(std::move(h));
  }
  for (const auto& m : f.strings("mount")) {
    try {
      r.mounts.push_back(parse_mount(m));
    } catch (const kiln::UsageError& e) {
      fail(std::string("RUN --mount: ") + e.what());
    }
  }
  r.network = f.string("network");
  if (f.present("network") && r.network != "default" && r.network != "none" && r.network != "host")
    fail("RUN: unsupported network mode \"" + r.network + "\" (use default, none or host)");
  r.security = f.string("security");
  if (f.present("security") && r.security != "sandbox" && r.security != "insecure")
    fail("RUN: unsupported security mode \"" + r.security + "\" (use sandbox or insecure)");
  return r;
}

InstructionKind Builder::parse_cmd() const {
  no_flags();
  return CmdInst{command()};
}

InstructionKind Builder::parse_entrypoint() const {
  no_flags();
  return EntrypointInst{command()};
}

std::vector<KeyValue> Builder::key_values() const {
  no_flags();
  at_least(1);
  std::vector<KeyValue> kvs;
  for (size_t i = 0; i + 1 < n_.args.size(); i += 2) {
    if (n_.args[i].empty()) fail(kw_ + " names can not be blank");
    kvs.push_back({n_.args[i], n_.args[i + 1]});
  }
  return kvs;
}

InstructionKind Builder::parse_env() const { return EnvInst{key_values()}; }

InstructionKind Builder::parse_label() const { return LabelInst{key_values()}; }

InstructionKind Builder::parse_maintainer() const {
  no_flags();
  exactly_one();
  return MaintainerInst{n_.args[0]};
}

InstructionKind Builder::parse_expose() const {
  no_flags();
  at_least(1);
  ExposeInst e{n_.args};
  std::sort(e.ports.begin(), e.ports.end());  // BuildKit sorts them at parse time
  return e;
}

InstructionKind Builder::parse_add() const {
  auto f = flags({{"chown", FlagKind::String},
                  {"chmod", FlagKind::String},
                  {"checksum", FlagKind::String},
                  {"keep-git-dir", FlagKind::Bool},
                  {"link", FlagKind::Bool},
                  {"exclude", FlagKind::Strings}});
  AddInst a;
  sources_and_dest(a.sources, a.inline_sources, a.dest);
  a.chown = f.string("chown");
  a.chmod = f.string("chmod");
  a.checksum = f.string("checksum");
  a.keep_git_dir = f.boolean("keep-git-dir");
  a.link = f.boolean("link");
  a.excludes = f.strings("exclude");
  if (!a.checksum.empty() && a.sources.size() != 1)
    fail("ADD --checksum needs exactly one source (a URL or git source)");
  return a;
}

InstructionKind Builder::parse_copy() const {
  auto f = flags({{"from", FlagKind::String},
                  {"chown", FlagKind::String},
                  {"chmod", FlagKind::String},
                  {"link", FlagKind::Bool},
                  {"parents", FlagKind::Bool},
                  {"exclude", FlagKind::Strings}});
  CopyInst c;
  sources_and_dest(c.sources, c.inline_sources, c.dest);
  c.from = f.string("from");
  if (f.present("from") && c.from.empty()) fail("COPY --from needs a stage name, index or image");
  c.chown = f.string("chown");
  c.chmod = f.string("chmod");
  c.link = f.boolean("link");
  c.parents = f.boolean("parents");
  c.excludes = f.strings("exclude");
  return c;
}

InstructionKind Builder::parse_volume() const {
  no_flags();
  at_least(1);
  VolumeInst v;
  for (const auto& a : n_.args) {
    std::string t(trim(a));
    if (t.empty()) fail("VOLUME specified can not be an empty string");
    v.volumes.push_back(t);
  }
  return v;
}

InstructionKind Builder::parse_user() const {
  no_flags();
  exactly_one();
  return UserInst{n_.args[0]};
}

InstructionKind Builder::parse_workdir() const {
  no_flags();
  exactly_one();
  return WorkdirInst{n_.args[0]};
}

InstructionKind Builder::parse_arg() const {
  no_flags();
  at_least(1);
  ArgInst a;
  for (const auto& w : n_.args) {
    size_t eq = w.find('=');
    ArgDecl d;
    d.key = w.substr(0, eq);
    if (d.key.empty()) fail("ARG names can not be blank");
    if (eq != std::string::npos) d.default_value = w.substr(eq + 1);
    a.args.push_back(std::move(d));
  }
  return a;
}

InstructionKind Builder::parse_onbuild() const {
  no_flags();
  at_least(1);
  if (n_.inner.empty()) fail("ONBUILD requires at least one argument");
  const Node& inner = n_.inner[0];
  if (inner.keyword == "onbuild") fail("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (inner.keyword == "from" || inner.keyword == "maintainer")
    fail(upper(inner.keyword) + " isn't allowed as an ONBUILD trigger");
  OnbuildInst o;
  o.expression = n_.args[0];
  for (const auto& h : n_.heredocs) o.expression += "\n" + h.content + h.name;
  o.inner = std::make_shared<const Instruction>(to_instruction(inner, file_));
  return o;
}

InstructionKind Builder::parse_stopsignal() const {
  no_flags();
  exactly_one();
  return StopSignalInst{n_.args[0]};
}

InstructionKind Builder::parse_healthcheck() const {
  at_least(1);
  HealthcheckInst h;
  std::string type = upper(n_.args[0]);
  if (type == "NONE") {
    // BuildKit does not look at flags here.
    if (n_.args.size() != 1) fail("HEALTHCHECK NONE takes no arguments");
    h.test = {"NONE"};
    return h;
  }
  auto f = flags({{"interval", FlagKind::String},
                  {"timeout", FlagKind::String},
                  {"start-period", FlagKind::String},
                  {"start-interval", FlagKind::String},
                  {"retries", FlagKind::String}});
  if (type != "CMD") fail("Unknown type \"" + type + "\" in HEALTHCHECK (try CMD)");
  if (n_.args.size() < 2) fail("Missing command after HEALTHCHECK CMD");
  if (n_.json) {
    h.test = {"CMD"};
    h.test.insert(h.test.end(), n_.args.begin() + 1, n_.args.end());
  } else {
    h.test = {"CMD-SHELL", n_.args[1]};
  }
  h.interval_ns = duration_flag(f, "interval");
  h.timeout_ns = duration_flag(f, "timeout");
  h.start_period_ns = duration_flag(f, "start-period");
  h.start_interval_ns = duration_flag(f, "start-interval");
  std::string r = f.string("retries");
  if (!r.empty()) {
    char* end = nullptr;
    long long v = std::strtoll(r.c_str(), &end, 10);
    if (*end != '\0' || v > 2147483647LL || v < -2147483648LL)
      fail("HEALTHCHECK: --retries must be a whole number, got \"" + r + "\"");
    if (v < 0) fail("HEALTHCHECK: --retries cannot be negative (" + r + ")");
    h.retries = static_cast<int>(v);
  }
  return h;
}

InstructionKind Builder::parse_shell() const {
  no_flags();
  if (!n_.json) fail("SHELL requires the arguments to be in JSON form, e.g. SHELL [\"/bin/bash\", \"-c\"]");
  at_least(1);
  return ShellInst{n_.args};
}

InstructionKind Builder::build() const {
  using Parse = InstructionKind (Builder::*)() const;
  static const std::map<std::string_view, Parse> parsers = {
      {"add", &Builder::parse_add},
      {"arg", &Builder::parse_arg},
      {"cmd", &Builder::parse_cmd},
      {"copy", &Builder::parse_copy},
      {"entrypoint", &Builder::parse_entrypoint},
      {"env", &Builder::parse_env},
      {"expose", &Builder::parse_expose},
      {"from", &Builder::parse_from},
      {"healthcheck", &Builder::parse_healthcheck},
      {"label", &Builder::parse_label},
      {"maintainer", &Builder::parse_maintainer},
      {"onbuild", &Builder::parse_onbuild},
      {"run", &Builder::parse_run},
      {"shell", &Builder::parse_shell},
      {"stopsignal", &Builder::parse_stopsignal},
      {"user", &Builder::parse_user},
      {"volume", &Builder::parse_volume},
      {"workdir", &Builder::parse_workdir},
  };
  if (auto it = parsers.find(n_.keyword); it != parsers.end()) return (this->*it->second)();
  std::string msg = "unknown instruction: " + upper(n_.keyword);
  std::string hint = closest_match(n_.keyword, known_instructions());
  if (!hint.empty()) msg += " (did you mean " + hint + "?)";
  fail(msg);
}

}  // namespace

Instruction to_instruction(const Node& node, std::string_view filename) {
  Builder b(node, filename);
  Instruction ins{b.build(), upper(node.keyword), node.original, node.start_line, node.end_line};
  return ins;
}

}  // namespace kiln::dockerfile
