#pragma once
// RUN --mount, the planning half: turns one RUN's parsed MountSpecs and the
// --secret flags into a list of what to mount where. Pure: nothing here
// touches the filesystem, so every rule (defaults, refusals, secret
// availability) is unit-testable. mount_setup.h does the effects.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "dockerfile/mount_spec.h"

namespace kiln::steps {

// One --secret flag: id=NAME plus src=FILE (alias source=) or env=VAR.
struct SecretFlag {
  std::string id;
  std::string file;  // path in the executor's filesystem
  std::string env;   // environment variable of the executor
};

// Parses every --secret value, keyed by id (a later flag with the same id
// wins, as buildx does). `id=X` alone means env=X (buildx's rule). Throws
// kiln::UsageError naming the flag value for a missing id, an unknown key,
// both src and env, or type= other than file/env.
std::map<std::string, SecretFlag> parse_secret_flags(const std::vector<std::string>& flags);

enum class MountKind { Bind, Cache, Tmpfs, SecretFile, SecretEnv };

struct PlannedMount {
  MountKind kind = MountKind::Bind;
  std::string target;   // clean absolute in-image path; empty for SecretEnv
  bool read_only = true;
  std::string from;     // Bind/Cache: stage or image; "" = build context (bind) / empty seed (cache)
  std::string source;   // Bind/Cache: path inside `from` ("" = its root)
  // Cache.
  std::string cache_key;  // directory name under <cache-dir>/run-cache
  dockerfile::CacheSharing sharing = dockerfile::CacheSharing::Shared;
  // Cache (fresh directory) and SecretFile.
  std::uint32_t mode = 0755;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  // Tmpfs.
  std::optional<std::int64_t> size_bytes;
  // SecretFile / SecretEnv.
  std::string secret_id;
  std::string env_name;  // SecretEnv: the variable the RUN sees
  std::string raw;       // the --mount value as written, for messages
};

// Plans the mounts of one RUN. working_dir: the RUN's WORKDIR (relative
// targets are joined to it, as BuildKit does). available_secrets: the ids for
// which a value can be had. A secret mount whose id is unavailable is
// dropped, or kiln::UsageError naming the id when required=true. A secret
// with both target= and env= gives two entries. Throws kiln::UsageError
// (message without location; the caller adds the line) for type=ssh, a
// target of "/", two mounts on one target, or a target inside another
// mount's target. The result is in a valid mount order.
std::vector<PlannedMount> plan_mounts(const std::vector<dockerfile::MountSpec>& specs, std::string_view working_dir,
                                      const std::set<std::string>& available_secrets);

// Whether any of these mounts puts something in the root (everything but a
// secret given only as env=): only those need a mount namespace or its
// file-operation stand-in (mount_method.h).
bool needs_mount_points(const std::vector<dockerfile::MountSpec>& specs);

// A directory name for a cache id: readable (unsafe characters become '_',
// at most 40 of them) plus 16 hex digits of the id's SHA-256, so distinct ids
// never collide and no id ("../x", "/") can point outside the cache dir.
std::string cache_key(std::string_view id);

}  // namespace kiln::steps
