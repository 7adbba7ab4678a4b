#pragma once
// `executor push <tarball | oci-layout-dir[:tag]> --destination REF...`:
// kiln's addition (kaniko has no push command) that pushes an image written
// earlier with --no-push --tar-path / --oci-layout-path, with the build's
// registry, TLS and credential flags and its digest files.
#include <string>
#include <vector>

#include "cli/registry_flags.h"

namespace kiln::cli {

struct PushOptions : RegistryFlags {
  std::vector<std::string> destinations;
  std::string digest_file;
  std::string image_name_digest_file;
  std::string image_name_tag_digest_file;
  std::string image_format;  // docker archives only: "", "docker" or "oci"
  int push_retry = 0;
  std::string kaniko_dir = "/kaniko";
  std::string verbosity = "info";
  std::string log_format = "color";
  bool log_timestamp = false;
  bool help = false;
  std::vector<std::string> positional;  // the image on disk
};

// Push-shaped arguments (push and manifest share the flags; only
// --image-format's help differs) parsed into o after KANIKO_DIR,
// KANIKO_REGISTRY_MIRROR and KANIKO_REGISTRY_MAP. Throws kiln::UsageError.
void parse_push_flags(PushOptions& o, const std::string& command, const std::string& image_format_help,
                      const std::vector<std::string>& args, const GetEnv& env);
// Those flags' part of such a command's --help, with the environment it reads.
std::string push_flags_usage(const std::string& command, const std::string& image_format_help,
                             const std::string& synopsis);

// Parses the arguments after "push"; KANIKO_DIR, KANIKO_REGISTRY_MIRROR and
// KANIKO_REGISTRY_MAP are applied first. Throws kiln::UsageError.
PushOptions parse_push_options(const std::vector<std::string>& args, const GetEnv& env);

// One image, at least one destination, a known --image-format. Throws UsageError.
void validate(const PushOptions& o);
// What push and manifest check alike: a destination, a known --image-format,
// the registry flags. Throws UsageError.
void validate_push_flags(const PushOptions& o);

std::string push_usage();

// The environment variables push and manifest read, for their --help.
std::string push_environment_help();

}  // namespace kiln::cli
