#pragma once
// Applies one image layer (as downloaded: gzip, zstd or plain tar, detected
// from the bytes) to a root directory, following the OCI layer semantics:
// entries in order, whiteouts delete, opaque markers hide lower layers.
//
// Layers are untrusted. Nothing in one can write or delete outside the root
// or in an ignored path: entry names with ".." above the root are refused;
// parent directories are resolved inside the root (symlinks re-rooted, see
// safe_root.h) and checked against `ignored` after resolution; the final
// component is never followed; hardlink targets must exist inside the root.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string_view>

#include "log/log.h"

namespace kiln::layer {

struct ExtractOptions {
  // Called with in-image absolute paths ("/kaniko/executor"; the same as the
  // host path when root is "/"). True: never written, never deleted (nor
  // anything below it), and no entry may pass through it.
  std::function<bool(std::string_view abs_path)> ignored;
  bool chown = true;  // set owners from the layer; callers pass geteuid() == 0
  log::Logger* logger = nullptr;
};

struct ExtractStats {
  std::int64_t entries = 0;  // tar headers read
  std::int64_t bytes = 0;    // regular-file bytes written
  int skipped_devices = 0;   // device nodes/fifos mknod refused (EPERM)
  int skipped_ignored = 0;   // entries that landed in an ignored path
};

// `read` fills buf with up to max bytes of the layer blob and returns how many;
// 0 means end of stream. Exceptions it throws propagate out of extract().
// Throws kiln::Error naming the entry on refused or failed entries; the root
// then holds the entries applied before it.
ExtractStats extract(const std::function<std::size_t(char* buf, std::size_t max)>& read,
                     const std::filesystem::path& root, const ExtractOptions& options);

}  // namespace kiln::layer
