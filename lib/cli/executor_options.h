#pragma once
// The executor's options: kaniko's flags with kaniko's names, defaults and
// environment-variable forms, so existing pipelines run unchanged.
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/registry_flags.h"

namespace kiln::cli {

struct ExecutorOptions : RegistryFlags {
  // Build input.
  std::string dockerfile = "Dockerfile";
  std::string context = "/workspace/";
  std::string context_sub_path;
  std::vector<std::string> build_args;  // "k=v", or "k" (value from the environment)
  std::vector<std::string> targets;  // --target, repeatable or comma-separated; the first is the result
  bool skip_unused_stages = false;
  int jobs = 0;  // --jobs: stages and platforms built at once; 0: engine::default_jobs (cores, at least 4)
  std::vector<std::string> git;  // --git branch=…,single-branch=… (key=value pairs)
  std::vector<std::string> secrets;  // --secret id=…,src=…|env=…

  // Outputs.
  std::vector<std::string> destinations;
  bool no_push = false;
  std::string tar_path;
  std::string oci_layout_path;
  std::string digest_file;
  std::string image_name_digest_file;
  std::string image_name_tag_digest_file;
  std::vector<std::string> labels;       // k=v
  std::vector<std::string> annotations;  // k=v (OCI manifest annotations)
  std::string image_format;              // "", "docker" or "oci"; "" follows the base image
  bool reproducible = false;
  std::string compression = "gzip";
  int compression_level = -1;
  std::vector<std::string> custom_platforms;  // repeatable or a,b; default: image::native_platform()

  // Snapshots and filesystem.
  std::string snapshot_mode = "full";
  bool single_snapshot = false;
  bool use_new_run = false;
  bool ignore_var_run = true;
  std::vector<std::string> ignore_paths;
  std::string kaniko_dir = "/kaniko";
  bool cleanup = false;
  bool pre_cleanup = false;
  bool force_build_metadata = false;

  // Cache.
  bool cache = false;
  std::string cache_repo;
  std::string cache_dir = "/cache";
  long long cache_ttl_seconds = 336LL * 3600;
  bool cache_copy_layers = false;
  bool cache_run_layers = true;
  bool compressed_caching = true;
  bool no_push_cache = false;
  bool materialize = false;

  // Registries: the shared fields come from RegistryFlags (the base).
  int push_retry = 0;
  int image_fs_extract_retry = 0;
  bool skip_push_permission_check = false;
  bool push_ignore_immutable_tag_errors = false;

  // Process.
  bool force = false;
  bool dryrun = false;
  std::string verbosity = "info";
  std::string log_format = "color";
  bool log_timestamp = false;

  bool help = false;
  bool version = false;
  std::vector<std::string> positional;  // subcommand and its arguments
};

// Parses argv (without the program name). Environment forms are applied first
// (KANIKO_DIR, KANIKO_NO_PUSH, KANIKO_CLEANUP, KANIKO_PRE_CLEANUP,
// KANIKO_REGISTRY_MIRROR, KANIKO_REGISTRY_MAP), so flags override them.
// Throws kiln::UsageError.
ExecutorOptions parse_executor_options(const std::vector<std::string>& args, const GetEnv& env);

// Checks that go across flags (kaniko's: a destination unless --no-push, …).
// Throws kiln::UsageError.
void validate(const ExecutorOptions& o);

std::string executor_usage();

}  // namespace kiln::cli
