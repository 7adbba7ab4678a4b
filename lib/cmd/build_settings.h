#pragma once
// The executor's options that are more than strings, parsed and checked
// before the build does anything (no context fetched, no root touched), so a
// mistyped flag fails at once with an error that names it.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/env.h"
#include "cli/executor_options.h"
#include "context/git_url.h"
#include "engine/outputs.h"
#include "fs/snapshot.h"
#include "image/descriptor.h"
#include "layer/layer_from_changes.h"
#include "registry/client.h"
#include "steps/run_mounts.h"

namespace kiln::cmd {

struct BuildSettings {
  // --custom-platform, in the order given, each once; default: the platform
  // kiln was built for. `platform` is the first.
  std::vector<image::Platform> platforms;
  image::Platform platform;
  std::map<std::string, steps::SecretFlag> secrets;         // --secret, by id
  std::vector<std::pair<std::string, std::string>> labels;  // --label, in order (a later key wins)
  // --compression, --compression-level; with --reproducible, fixed_mtime is
  // SOURCE_DATE_EPOCH (0 when unset).
  layer::LayerSettings layer;
  fs::SnapshotMode snapshot_mode = fs::SnapshotMode::Full;  // --snapshot-mode
  engine::Outputs outputs;  // --destination (parsed), --no-push, --tar-path, --image-format, …
  // The registry flags (--insecure*, --skip-tls-verify*, --registry-*,
  // --push-retry, --image-download-retry) with SSL_CERT_FILE/SSL_CERT_DIR.
  registry::Options registry;
  std::vector<std::string> credential_helpers;  // --credential-helpers: the built-in helpers to run, in order
  int extract_retries = 0;                      // --image-fs-extract-retry
  context::GitFlags git;                        // --git (used by a git:// context only, checked always)
};

// Throws kiln::UsageError naming the flag (or SOURCE_DATE_EPOCH) and the value.
// Reads no file; only getenv (SOURCE_DATE_EPOCH, SSL_CERT_FILE, SSL_CERT_DIR)
// and whether the CA bundle and directory exist.
BuildSettings parse_build_settings(const cli::ExecutorOptions& opts, const GetEnv& getenv);

// --build-arg values: "k=v", or "k" alone, whose value comes from the
// environment (nullopt when unset). Shared by the build and the warmer.
std::vector<std::pair<std::string, std::optional<std::string>>> build_arg_values(
    const std::vector<std::string>& flags, const GetEnv& getenv);

// "12" -> 12; "", "12abc", "-1", "1e3", out of range -> nullopt.
std::optional<std::int64_t> parse_epoch_seconds(std::string_view text);

}  // namespace kiln::cmd
