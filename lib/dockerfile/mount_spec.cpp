#include "dockerfile/mount_spec.h"

#include <vector>

#include "base/error.h"
#include "base/text.h"
#include "dockerfile/line_words.h"

namespace kiln::dockerfile {
namespace {

// The value is CSV: fields separated by commas, a field may be double-quoted
// (so a value can hold a comma), "" inside quotes is a literal quote.
std::vector<std::string> csv_fields(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < s.size() && s[i + 1] == '"') {
          cur += '"';
          ++i;
        } else {
          quoted = false;
        }
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (quoted) throw kiln::UsageError("unterminated quote in --mount=" + std::string(s));
  out.push_back(cur);
  return out;
}

bool parse_bool(const std::string& key, const std::string& v) {
  std::string l = ascii_lower(v);
  if (l == "1" || l == "t" || l == "true") return true;
  if (l == "0" || l == "f" || l == "false") return false;
  throw kiln::UsageError("invalid value for " + key + ": " + v + " (expected true or false)");
}

std::uint32_t parse_uint(const std::string& key, const std::string& v, int base) {
  if (v.empty()) throw kiln::UsageError("invalid value for " + key + ": empty");
  char* end = nullptr;
  unsigned long long n = std::strtoull(v.c_str(), &end, base);
  if (*end != '\0' || v[0] == '-' || n > 0xFFFFFFFFULL)
    throw kiln::UsageError("invalid value for " + key + ": " + v);
  return static_cast<std::uint32_t>(n);
}

// go-units RAMInBytes: "64m", "1g", "512k", "100MiB", "1.5GB" (powers of 1024).
std::int64_t parse_size(const std::string& v) {
  size_t i = 0;
  while (i < v.size() && ((v[i] >= '0' && v[i] <= '9') || v[i] == '.')) ++i;
  if (i == 0) throw kiln::UsageError("invalid size for tmpfs mount: " + v);
  long double n = std::strtold(v.substr(0, i).c_str(), nullptr);
  std::string unit = ascii_lower(trim(std::string_view(v).substr(i)));
  long double mult = 1;
  if (!unit.empty()) {
    const std::string prefixes = "kmgtp";
    size_t p = prefixes.find(unit[0]);
    std::string suffix = unit.substr(p == std::string::npos ? 0 : 1);
    if (p != std::string::npos) {
      for (size_t k = 0; k <= p; ++k) mult *= 1024;
    }
    if (!(suffix.empty() || suffix == "b" || suffix == "ib" || suffix == "i"))
      throw kiln::UsageError("invalid size for tmpfs mount: " + v);
  }
  return static_cast<std::int64_t>(n * mult);
}

std::string base_name(const std::string& p) {
  std::string s = p;
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  size_t slash = s.rfind('/');
  return slash == std::string::npos ? s : s.substr(slash + 1);
}

}  // namespace

const char* mount_type_name(MountType t) {
  switch (t) {
    case MountType::Bind: return "bind";
    case MountType::Cache: return "cache";
    case MountType::Tmpfs: return "tmpfs";
    case MountType::Secret: return "secret";
    case MountType::Ssh: return "ssh";
  }
  return "bind";
}

MountSpec parse_mount(std::string_view value, const MountValueExpander& expand) {
  MountSpec m;
  m.raw = std::string(value);
  std::vector<std::string> fields = csv_fields(value);
  struct Field {
    std::string key, value;
    bool has_value;
    std::string text;
  };
  std::vector<Field> parsed;
  for (const auto& f : fields) {
    if (trim(f).empty()) continue;
    size_t eq = f.find('=');
    Field fld{ascii_lower(trim(std::string_view(f).substr(0, eq))), eq == std::string::npos ? "" : f.substr(eq + 1),
              eq != std::string::npos, f};
    // `from` names a stage or image and never expands (BuildKit refuses it).
    if (fld.key == "from" && fld.value.find('$') != std::string::npos && fld.value.find('$') + 1 < fld.value.size())
      throw kiln::UsageError("'from' doesn't support variable expansion, define alias stage instead");
    parsed.push_back(std::move(fld));
  }
  if (!expand && value.find('$') != std::string_view::npos) {
    m.deferred = true;
    for (const auto& f : parsed)
      if (f.key == "from") m.from = f.value;
    return m;
  }
  for (auto& f : parsed)
    if (expand && f.has_value && f.key != "from") f.value = expand(f.value);

  // The type decides defaults, so find it first wherever it appears.
  for (const auto& f : parsed) {
    if (f.key != "type" || !f.has_value) continue;
    std::string t = ascii_lower(f.value);
    if (t == "bind") m.type = MountType::Bind;
    else if (t == "cache") m.type = MountType::Cache;
    else if (t == "tmpfs") m.type = MountType::Tmpfs;
    else if (t == "secret") m.type = MountType::Secret;
    else if (t == "ssh") m.type = MountType::Ssh;
    else throw kiln::UsageError("unsupported mount type \"" + f.value + "\" (use bind, cache, tmpfs, secret or ssh)");
  }
  const bool secret_or_ssh = m.type == MountType::Secret || m.type == MountType::Ssh;
  const std::string type_name = mount_type_name(m.type);
  std::optional<bool> read_only;
  for (const auto& f : parsed) {
    const std::string& key = f.key;
    if (!f.has_value) {
      if (key == "readonly" || key == "ro") read_only = true;
      else if (key == "readwrite" || key == "rw") read_only = false;
      else if (key == "required" && secret_or_ssh) m.required = true;
      else if (key == "required") throw kiln::UsageError("unexpected key 'required' for mount type '" + type_name + "'");
      else throw kiln::UsageError("invalid field '" + f.text + "' must be a key=value pair");
      continue;
    }
    const std::string& v = f.value;
    if (key == "type") continue;
    if (key == "target" || key == "dst" || key == "destination") m.target = v;
    else if (key == "source" || key == "src") m.source = v;
    else if (key == "from") m.from = v;
    else if (key == "id") m.id = v;
    else if (key == "readonly" || key == "ro") read_only = parse_bool(key, v);
    else if (key == "readwrite" || key == "rw") read_only = !parse_bool(key, v);
    else if (key == "required") {
      if (!secret_or_ssh) throw kiln::UsageError("unexpected key 'required' for mount type '" + type_name + "'");
      m.required = parse_bool(key, v);
    } else if (key == "sharing") {
      std::string s = ascii_lower(v);
      if (s == "shared") m.sharing = CacheSharing::Shared;
      else if (s == "private") m.sharing = CacheSharing::Private;
      else if (s == "locked") m.sharing = CacheSharing::Locked;
      else throw kiln::UsageError("unsupported sharing value \"" + v + "\" (use shared, private or locked)");
      m.sharing_set = true;
    } else if (key == "mode") m.mode = parse_uint(key, v, 8);
    else if (key == "uid") m.uid = parse_uint(key, v, 10);
    else if (key == "gid") m.gid = parse_uint(key, v, 10);
    else if (key == "size") {
      if (m.type != MountType::Tmpfs) throw kiln::UsageError("unexpected key 'size' for mount type '" + type_name + "'");
      m.size_bytes = parse_size(v);
    } else if (key == "env") {
      if (m.type != MountType::Secret) throw kiln::UsageError("unexpected key 'env' for mount type '" + type_name + "'");
      m.env = v;
    } else throw kiln::UsageError("unexpected key '" + key + "' in '" + f.text + "'");
  }

  if (m.type == MountType::Bind || m.type == MountType::Tmpfs) {
    if (m.mode) throw kiln::UsageError("mode not allowed for \"" + type_name + "\" type mounts");
    if (m.uid) throw kiln::UsageError("uid not allowed for \"" + type_name + "\" type mounts");
    if (m.gid) throw kiln::UsageError("gid not allowed for \"" + type_name + "\" type mounts");
  }
  if (m.sharing_set && m.type != MountType::Cache)
    throw kiln::UsageError("invalid cache sharing set for " + type_name + " mount");
  switch (m.type) {
    case MountType::Bind:
      m.read_only = read_only.value_or(true);
      break;
    case MountType::Cache:
      m.read_only = read_only.value_or(false);
      if (!m.mode) m.mode = 0755;
      break;
    case MountType::Tmpfs:
      m.read_only = read_only.value_or(false);
      break;
    case MountType::Secret:
      m.read_only = read_only.value_or(true);
      if (!m.from.empty()) throw kiln::UsageError("secret mount should not have a from");
      if (!m.source.empty() && !m.id.empty()) throw kiln::UsageError("both source and id can't be set");
      if (m.id.empty()) m.id = !m.source.empty() ? m.source : base_name(m.target);
      if (m.id.empty())
        throw kiln::UsageError("invalid secret mount. one of source, target required (--mount=" + m.raw + ")");
      if (m.target.empty() && m.env.empty()) m.target = "/run/secrets/" + m.id;
      if (!m.mode) m.mode = 0400;
      break;
    case MountType::Ssh:
      m.read_only = read_only.value_or(true);
      if (m.id.empty()) m.id = "default";
      if (m.target.empty()) m.target = "/run/buildkit/ssh_agent.0";
      if (!m.mode) m.mode = 0600;
      break;
  }
  if (!secret_or_ssh && m.target.empty())
    throw kiln::UsageError(type_name + " mount needs target= (--mount=" + m.raw + ")");
  if (m.type == MountType::Cache && m.id.empty()) m.id = m.target;
  return m;
}

}  // namespace kiln::dockerfile
