#pragma once
// RUN --mount=type=...,key=value,... as documented in the Dockerfile
// reference (bind, cache, tmpfs, secret, ssh).
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kiln::dockerfile {

enum class MountType { Bind, Cache, Tmpfs, Secret, Ssh };
enum class CacheSharing { Shared, Private, Locked };

struct MountSpec {
  MountType type = MountType::Bind;
  std::string target;      // target/dst/destination; defaulted for secret and ssh
  std::string source;      // source/src: path inside `from` (or the context)
  std::string from;        // stage name/index or image; empty = build context
  bool read_only = true;   // bind: true unless rw; cache: false unless ro
  std::string id;          // cache/secret/ssh id (defaults applied)
  CacheSharing sharing = CacheSharing::Shared;
  std::optional<std::uint32_t> mode;  // octal; cache 0755, secret/ssh 0400 by default
  std::optional<std::uint32_t> uid;
  std::optional<std::uint32_t> gid;
  bool required = false;   // secret/ssh: fail when missing
  std::string env;         // secret: expose as this environment variable
  std::optional<std::int64_t> size_bytes;  // tmpfs size
  std::string raw;         // the flag value as written
  // True when the value uses variables: only `from` is filled in (it never
  // expands) until evaluate.h parses it again with the stage's variables.
  bool deferred = false;
  bool sharing_set = false;
};

// Expands one option value; BuildKit expands each value after splitting.
using MountValueExpander = std::function<std::string(const std::string&)>;

// Parses one --mount value. Without an expander, a value that uses
// variables ($) gives a deferred spec (only `from` and `raw` set). Throws
// kiln::UsageError with a message without location; callers add file:line.
MountSpec parse_mount(std::string_view value, const MountValueExpander& expand = {});

const char* mount_type_name(MountType t);

}  // namespace kiln::dockerfile
