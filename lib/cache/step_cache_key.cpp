#include "cache/step_cache_key.h"

#include "cache/cache_key.h"

namespace kiln::cache {
using namespace kiln::dockerfile;

namespace {

bool is_url(std::string_view s) { return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0; }

// Docker leaves the proxy build-args out of the cache key: the same RUN
// through another proxy gives the same layer.
std::vector<std::string> without_proxies(const std::vector<std::string>& env) {
  static constexpr std::string_view kProxy[] = {"HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy",
                                                "FTP_PROXY",  "ftp_proxy",  "NO_PROXY",    "no_proxy",
                                                "ALL_PROXY",  "all_proxy"};
  std::vector<std::string> out;
  for (const auto& e : env) {
    std::string_view name = std::string_view(e).substr(0, e.find('='));
    bool proxy = false;
    for (auto p : kProxy) proxy = proxy || name == p;
    if (!proxy) out.push_back(e);
  }
  return out;
}

std::string mount_text(const MountSpec& m) {
  auto opt = [](const std::optional<std::uint32_t>& v) { return v ? std::to_string(*v) : std::string("-"); };
  return std::to_string(static_cast<int>(m.type)) + "|" + m.target + "|" + m.source + "|" + m.from + "|" + m.id +
         "|" + m.env + "|" + (m.read_only ? "ro" : "rw") + "|" + std::to_string(static_cast<int>(m.sharing)) + "|" +
         opt(m.mode) + "|" + opt(m.uid) + "|" + opt(m.gid) + "|" +
         (m.size_bytes ? std::to_string(*m.size_bytes) : std::string("-"));
}

// What a COPY or ADD reads and where it writes: the fields of the plain and
// the --link key alike.
void add_file_inputs(CacheKey& k, const Instruction& in, const std::string& sources_digest) {
  std::vector<std::string> docs;
  if (const auto* c = in.as<CopyInst>()) {
    for (const auto& h : c->inline_sources) docs.push_back(h.name + "\n" + h.content);
    k.add("sources", c->sources).add("inline", docs).add("dest", c->dest).add("from", c->from);
    k.add("chown", c->chown).add("chmod", c->chmod).add("parents", c->parents ? "1" : "0");
    k.add("excludes", c->excludes).add("files", sources_digest);
  } else if (const auto* a = in.as<AddInst>()) {
    for (const auto& h : a->inline_sources) docs.push_back(h.name + "\n" + h.content);
    k.add("sources", a->sources).add("inline", docs).add("dest", a->dest);
    k.add("chown", a->chown).add("chmod", a->chmod).add("checksum", a->checksum);
    k.add("keep-git-dir", a->keep_git_dir ? "1" : "0").add("excludes", a->excludes).add("files", sources_digest);
  }
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char ch : s)
    if (ch < '0' || ch > '9') return false;
  return true;
}

}  // namespace

Cacheability cacheability(const Step& step, const CacheFlags& flags) {
  const Instruction& in = step.instruction;
  if (const auto* run = in.as<RunInst>()) {
    for (const auto& m : run->mounts)
      if (m.type == MountType::Bind) return Cacheability::Uncacheable;
    return flags.run_layers ? Cacheability::Cached : Cacheability::Uncacheable;
  }
  if (const auto* add = in.as<AddInst>()) {
    for (const auto& s : add->sources)
      if (is_url(s) && add->checksum.empty()) return Cacheability::Uncacheable;
    return flags.copy_layers ? Cacheability::Cached : Cacheability::KeyedOnly;
  }
  if (in.as<CopyInst>()) return flags.copy_layers ? Cacheability::Cached : Cacheability::KeyedOnly;
  if (in.as<WorkdirInst>()) return Cacheability::Cached;
  return Cacheability::Uncacheable;
}

std::string step_cache_key(const std::string& previous, const Step& step, const std::string& user,
                           const std::string& sources_digest, const KeySettings& settings) {
  const Instruction& in = step.instruction;
  cache::CacheKey k(previous);
  k.add("keyword", in.keyword);
  k.add("platform", settings.platform.str());
  k.add("mtime", settings.fixed_mtime ? std::to_string(*settings.fixed_mtime) : std::string("now"));
  k.add("user", user);
  k.add("workdir", step.working_dir);
  k.add("env", without_proxies(step.run_env));
  k.add("shell", step.shell);
  if (const auto* run = in.as<RunInst>()) {
    k.add("argv", step.argv);
    if (step.script) k.add("script", step.script->name + "\n" + step.script->content);
    std::vector<std::string> docs, mounts;
    for (const auto& h : run->heredocs) docs.push_back(h.name + "\n" + h.content);
    for (const auto& m : run->mounts) mounts.push_back(mount_text(m));
    k.add("heredocs", docs).add("mounts", mounts).add("network", run->network).add("security", run->security);
  } else if (in.as<CopyInst>() || in.as<AddInst>()) {
    add_file_inputs(k, in, sources_digest);
  } else {
    // WORKDIR: the expanded path is step.working_dir, already in the key.
    k.add("original", in.original);
  }
  return k.hex();
}

bool is_link_step(const Step& step) {
  const Instruction& in = step.instruction;
  const auto* c = in.as<CopyInst>();
  const auto* a = in.as<AddInst>();
  if (!(c ? c->link : a && a->link)) return false;
  // A user or group name is looked up in the stage's /etc/passwd and
  // /etc/group: the layer then depends on what lies under it.
  const std::string& chown = c ? c->chown : a->chown;
  if (chown.empty()) return true;
  auto colon = chown.find(':');
  if (colon == std::string::npos) return all_digits(chown);
  return all_digits(chown.substr(0, colon)) && all_digits(chown.substr(colon + 1));
}

std::string link_cache_key(const Step& step, const std::string& sources_digest, const KeySettings& settings) {
  const Instruction& in = step.instruction;
  cache::CacheKey k("link");
  k.add("keyword", in.keyword);
  k.add("platform", settings.platform.str());
  k.add("mtime", settings.fixed_mtime ? std::to_string(*settings.fixed_mtime) : std::string("now"));
  // A relative destination is joined with WORKDIR.
  k.add("workdir", step.working_dir);
  add_file_inputs(k, in, sources_digest);
  return k.hex();
}

}  // namespace kiln::cache
