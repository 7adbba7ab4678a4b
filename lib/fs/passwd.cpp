#include "fs/passwd.h"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>

#include "base/error.h"
#include "base/file.h"
#include "fs/resolve.h"

namespace kiln::fs {
namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  for (;;) {
    std::size_t j = s.find(sep, i);
    if (j == std::string_view::npos) {
      out.push_back(s.substr(i));
      return out;
    }
    out.push_back(s.substr(i, j - i));
    i = j + 1;
  }
}

std::optional<std::uint32_t> parse_id(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint32_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

// Calls f(fields) for each well-formed line with at least min_fields fields.
template <class F>
void each_line(std::string_view text, std::size_t min_fields, F f) {
  for (auto line : split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    auto fields = split(line, ':');
    if (fields.size() < min_fields) continue;
    if (f(fields)) return;
  }
}

struct PasswdEntry {
  std::string name;
  uid_t uid;
  gid_t gid;
  std::string home;
};

std::optional<PasswdEntry> find_user(std::string_view passwd_text, std::string_view key, bool by_id) {
  std::optional<PasswdEntry> found;
  auto want_id = parse_id(key);
  each_line(passwd_text, 7, [&](const std::vector<std::string_view>& f) {
    auto uid = parse_id(f[2]);
    auto gid = parse_id(f[3]);
    if (!uid || !gid) return false;
    if (by_id ? (want_id && *uid == *want_id) : f[0] == key) {
      found = PasswdEntry{std::string(f[0]), *uid, *gid, std::string(f[5])};
      return true;
    }
    return false;
  });
  return found;
}

gid_t find_group(std::string_view group_text, std::string_view spec) {
  if (auto id = parse_id(spec)) return *id;
  std::optional<gid_t> found;
  each_line(group_text, 3, [&](const std::vector<std::string_view>& f) {
    auto gid = parse_id(f[2]);
    if (gid && f[0] == spec) {
      found = *gid;
      return true;
    }
    return false;
  });
  if (!found) throw UsageError("unable to find group " + std::string(spec) + ": no matching entries in group file");
  return *found;
}

std::vector<gid_t> groups_of(std::string_view group_text, std::string_view user, gid_t primary) {
  std::vector<gid_t> out;
  if (user.empty()) return out;
  each_line(group_text, 4, [&](const std::vector<std::string_view>& f) {
    auto gid = parse_id(f[2]);
    if (!gid || *gid == primary) return false;
    for (auto m : split(f[3], ','))
      if (m == user && std::find(out.begin(), out.end(), *gid) == out.end()) out.push_back(*gid);
    return false;
  });
  return out;
}

std::pair<std::string_view, std::optional<std::string_view>> split_spec(std::string_view spec) {
  auto k = spec.find(':');
  if (k == std::string_view::npos) return {spec, std::nullopt};
  return {spec.substr(0, k), spec.substr(k + 1)};
}

[[noreturn]] void no_user(std::string_view u) {
  throw UsageError("unable to find user " + std::string(u) + ": no matching entries in passwd file");
}

std::string read_optional(const std::filesystem::path& root, const char* image_path) {
  std::filesystem::path p = resolve_in_root(root, image_path, true);
  auto text = read_file_if_present(p);
  if (!text) {
    if (errno == ENOENT || errno == ENOTDIR) return {};
    throw SystemError(std::string("read ") + image_path, errno);
  }
  return *text;
}

}  // namespace

UserInfo resolve_user(std::string_view spec, std::string_view passwd_text, std::string_view group_text) {
  auto [user, group] = split_spec(spec);
  if (user.empty() && !group) throw UsageError("invalid user \"" + std::string(spec) + "\"");
  if (user.empty()) user = "0";  // USER :group runs as uid 0 with that group (BuildKit)
  UserInfo info;
  auto uid = parse_id(user);
  auto entry = find_user(passwd_text, user, uid.has_value());
  if (entry) {
    info.uid = entry->uid;
    info.gid = entry->gid;
    info.home = entry->home.empty() ? "/" : entry->home;
    info.name = entry->name;
  } else if (uid) {
    info.uid = *uid;
    info.gid = 0;
  } else if (user == "root") {
    // root needs no passwd entry (FROM scratch; Docker and kaniko take it as 0:0).
    info.name = "root";
  } else {
    no_user(user);
  }
  if (group) {
    if (group->empty()) throw UsageError("invalid user \"" + std::string(spec) + "\": empty group");
    info.gid = find_group(group_text, *group);
  }
  info.supplementary = groups_of(group_text, info.name, info.gid);
  return info;
}

Owner resolve_chown(std::string_view spec, std::string_view passwd_text, std::string_view group_text) {
  auto [user, group] = split_spec(spec);
  if (user.empty() && !group) throw UsageError("invalid --chown \"" + std::string(spec) + "\"");
  Owner o;
  if (auto id = parse_id(user)) {
    // BuildKit: a numeric user alone means gid = uid, whatever passwd says.
    o.uid = *id;
    o.gid = static_cast<gid_t>(*id);
  } else if (!user.empty()) {
    // A name: its passwd entry, primary group included.
    auto entry = find_user(passwd_text, user, false);
    if (entry) {
      o.uid = entry->uid;
      o.gid = entry->gid;
    } else if (user != "root") {
      no_user(user);
    }
  }
  if (group) {
    if (group->empty()) throw UsageError("invalid --chown \"" + std::string(spec) + "\": empty group");
    o.gid = find_group(group_text, *group);
  }
  return o;
}

UserInfo load_user(const std::filesystem::path& root, std::string_view spec) {
  return resolve_user(spec, read_optional(root, "/etc/passwd"), read_optional(root, "/etc/group"));
}

Owner load_chown(const std::filesystem::path& root, std::string_view spec) {
  return resolve_chown(spec, read_optional(root, "/etc/passwd"), read_optional(root, "/etc/group"));
}

}  // namespace kiln::fs
