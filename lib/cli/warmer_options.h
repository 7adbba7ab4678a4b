#pragma once
// The warmer's options: kaniko's warmer flags with its names, shorthands and
// defaults (note -d is --dockerfile here, --destination in the executor; -c
// is --cache-dir here, --context there), plus the executor's registry flags.
#include <string>
#include <vector>

#include "cli/registry_flags.h"

namespace kiln::cli {

struct WarmerOptions : RegistryFlags {
  std::string cache_dir = "/cache";
  std::vector<std::string> images;
  std::string dockerfile;               // warm every FROM of this Dockerfile
  std::vector<std::string> build_args;  // "k=v" or "k" (value from the environment)
  bool force = false;
  long long cache_ttl_seconds = 336LL * 3600;  // accepted as kaniko does; the executor applies it
  std::string custom_platform;          // default: image::native_platform()
  std::string kaniko_dir = "/kaniko";   // where the CA bundle and .docker live (KANIKO_DIR)
  std::string verbosity = "info";
  std::string log_format = "color";
  bool log_timestamp = false;
  bool help = false;
  std::vector<std::string> positional;
};

// Parses argv (without the program name); KANIKO_DIR, KANIKO_REGISTRY_MIRROR
// and KANIKO_REGISTRY_MAP are applied first. Throws kiln::UsageError.
WarmerOptions parse_warmer_options(const std::vector<std::string>& args, const GetEnv& env);

// kaniko's check: at least one --image or a --dockerfile. Throws UsageError.
void validate(const WarmerOptions& o);

std::string warmer_usage();

}  // namespace kiln::cli
