#include "steps/run_mounts.h"

#include <algorithm>

#include "base/error.h"
#include "digest/sha256.h"
#include "fs/ignore_list.h"

namespace kiln::steps {
using dockerfile::MountSpec;
using dockerfile::MountType;

namespace {

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (;;) {
    auto comma = s.find(',', start);
    out.push_back(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

bool is_below(const std::string& path, const std::string& dir) {
  if (dir == "/") return path != "/";
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/';
}

std::string target_path(const std::string& target, std::string_view working_dir) {
  if (!target.empty() && target[0] == '/') return fs::clean_abs(target);
  std::string wd = working_dir.empty() ? "/" : std::string(working_dir);
  return fs::clean_abs(wd + "/" + target);
}

}  // namespace

std::map<std::string, SecretFlag> parse_secret_flags(const std::vector<std::string>& flags) {
  std::map<std::string, SecretFlag> out;
  for (const auto& flag : flags) {
    SecretFlag s;
    std::string type;
    for (const auto& field : split_commas(flag)) {
      if (field.empty()) continue;
      auto eq = field.find('=');
      std::string key = field.substr(0, eq);
      std::string value = eq == std::string::npos ? "" : field.substr(eq + 1);
      if (eq == std::string::npos || value.empty())
        throw UsageError("--secret " + flag + ": \"" + field + "\" must be key=value");
      if (key == "id") s.id = value;
      else if (key == "src" || key == "source") s.file = value;
      else if (key == "env") s.env = value;
      else if (key == "type") type = value;
      else throw UsageError("--secret " + flag + ": unknown key \"" + key + "\" (use id, src or env)");
    }
    if (s.id.empty()) throw UsageError("--secret " + flag + ": id= is required");
    if (!s.file.empty() && !s.env.empty()) throw UsageError("--secret " + flag + ": give src= or env=, not both");
    if (!type.empty() && type != "file" && type != "env")
      throw UsageError("--secret " + flag + ": type must be file or env, not \"" + type + "\"");
    // buildx: with no source, type=file reads a file named like the id, and
    // otherwise the variable named like the id is used.
    if (s.file.empty() && s.env.empty()) (type == "file" ? s.file : s.env) = s.id;
    if (type == "file" && !s.env.empty()) throw UsageError("--secret " + flag + ": type=file with env=");
    if (type == "env" && !s.file.empty()) {
      s.env = s.file;  // buildx accepts type=env,src=VAR
      s.file.clear();
    }
    out[s.id] = s;
  }
  return out;
}

bool needs_mount_points(const std::vector<MountSpec>& specs) {
  return std::any_of(specs.begin(), specs.end(),
                     [](const MountSpec& m) { return !(m.type == MountType::Secret && m.target.empty()); });
}

std::string cache_key(std::string_view id) {
  std::string readable;
  for (char c : id) {
    if (readable.size() >= 40) break;
    bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                c == '.';
    readable.push_back(safe ? c : '_');
  }
  // Never "." or ".." on its own, and never empty.
  while (!readable.empty() && readable.front() == '.') readable.front() = '_';
  if (readable.empty()) readable = "_";
  return readable + "-" + digest::sha256_hex(id).substr(0, 16);
}

std::vector<PlannedMount> plan_mounts(const std::vector<MountSpec>& specs, std::string_view working_dir,
                                      const std::set<std::string>& available_secrets) {
  std::vector<PlannedMount> out;
  for (const MountSpec& m : specs) {
    PlannedMount p;
    p.raw = m.raw;
    p.read_only = m.read_only;
    auto where = [&] { return "--mount=" + m.raw + ": "; };
    switch (m.type) {
      case MountType::Ssh:
        throw UsageError(where() + "type=ssh is not supported by kiln (there is no SSH agent to forward); "
                                   "use a secret mount for keys");
      case MountType::Bind:
        p.kind = MountKind::Bind;
        p.from = m.from;
        p.source = m.source;
        break;
      case MountType::Cache:
        p.kind = MountKind::Cache;
        p.from = m.from;
        p.source = m.source;
        p.sharing = m.sharing;
        p.mode = m.mode.value_or(0755);
        p.uid = m.uid.value_or(0);
        p.gid = m.gid.value_or(0);
        p.cache_key = cache_key(m.id.empty() ? m.target : m.id);
        break;
      case MountType::Tmpfs:
        p.kind = MountKind::Tmpfs;
        p.size_bytes = m.size_bytes;
        break;
      case MountType::Secret: {
        if (!available_secrets.count(m.id)) {
          if (m.required)
            throw UsageError(where() + "secret \"" + m.id + "\" is required but was not given (pass --secret id=" +
                             m.id + ",src=FILE or --secret id=" + m.id + ",env=VAR)");
          continue;  // BuildKit skips an optional secret that is not there
        }
        p.secret_id = m.id;
        p.mode = m.mode.value_or(0400);
        p.uid = m.uid.value_or(0);
        p.gid = m.gid.value_or(0);
        if (!m.env.empty()) {
          PlannedMount e = p;
          e.kind = MountKind::SecretEnv;
          e.env_name = m.env;
          out.push_back(e);
        }
        if (m.target.empty()) continue;
        p.kind = MountKind::SecretFile;
        break;
      }
    }
    p.target = target_path(m.target, working_dir);
    if (p.target == "/") throw UsageError(where() + "cannot mount over / (give a target below it)");
    out.push_back(p);
  }
  // Targets must be distinct and not nested: a mount point inside another
  // mount would have to be created inside that mount's source (the context,
  // a stage, a cache), which kiln does not write to.
  for (std::size_t i = 0; i < out.size(); ++i) {
    if (out[i].kind == MountKind::SecretEnv) continue;
    for (std::size_t j = 0; j < out.size(); ++j) {
      if (i == j || out[j].kind == MountKind::SecretEnv) continue;
      if (j > i && out[i].target == out[j].target)
        throw UsageError("--mount=" + out[j].raw + ": target " + out[j].target + " is already used by --mount=" +
                         out[i].raw);
      if (is_below(out[j].target, out[i].target))
        throw UsageError("--mount=" + out[j].raw + ": target " + out[j].target + " is inside the target of --mount=" +
                         out[i].raw + "; nested mount targets are not supported by kiln yet");
    }
  }
  return out;
}

}  // namespace kiln::steps
