#include "cli/executor_options.h"

#include "base/error.h"
#include "cli/flag_rows.h"
#include "cli/flags.h"

namespace kiln::cli {
namespace {

using namespace rows;

void build_table(FlagSet& fs, ExecutorOptions& o) {
  fs.add(str("dockerfile", 'f', &o.dockerfile, "Path to the dockerfile to be built, or an http(s):// URL to download it from.", "Dockerfile"));
  fs.add(str("context", 'c', &o.context,
             "Path to the dockerfile build context: a directory, dir://, tar://path.tar.gz, tar://stdin, git://, "
             "s3://bucket/ctx.tar.gz, gs://bucket/ctx.tar.gz, https://<account>.blob.core.windows.net/<container>/ctx.tar.gz "
             "(Azure Blob) or any other http(s):// URL of a tar.gz.",
             "/workspace/"));
  fs.add(str("context-sub-path", 0, &o.context_sub_path, "Sub path within the given context."));
  fs.add(list("build-arg", 0, &o.build_args,
              "Pass ARG values at build time (k=v, or k to take the value from the environment). Repeatable."));
  fs.add(list("target", 0, &o.targets,
              "Set the target build stage to build. Repeatable (or a,b): every target is built, each stage "
              "once; only the first is pushed and written to --tar-path, --oci-layout-path and the digest files"));
  fs.add(boolean("skip-unused-stages", &o.skip_unused_stages,
                 "Build only the stages the targets depend on (default: all stages up to the last target)"));
  fs.add(integer("jobs", &o.jobs,
                 "Stages and platforms built at the same time: independent stages, and the platforms of "
                 "--custom-platform=a,b, are built side by side, each in a root of its own (0, the default: the "
                 "number of cores, at least 4, since most RUN steps wait more than they compute; 1: one after "
                 "another, as kaniko)"));
  fs.add(list("git", 0, &o.git, "Options for a git:// context (git://host/repo.git#ref#commit): branch=…,single-branch=true|false,depth=N "
                        "(a shallow fetch of the last N commits of each ref; 0, the default, fetches the whole history),"
                        "recurse-submodules=true|false,insecure-skip-tls=true|false"));
  fs.add(list("secret", 0, &o.secrets, "A secret for RUN --mount=type=secret: id=NAME,src=FILE or id=NAME,env=VAR. Repeatable."));

  fs.add(list("destination", 'd', &o.destinations,
              "Registry the final image should be pushed to. Set it repeatedly for multiple destinations."));
  fs.add(boolean("no-push", &o.no_push, "Do not push the image to the registry"));
  fs.add(with_aliases(str("tar-path", 0, &o.tar_path, "Path to save the image in as a tarball (docker load format)"),
                      {"tarPath"}));
  fs.add(str("oci-layout-path", 0, &o.oci_layout_path, "Path to save the OCI image layout of the built image."));
  fs.add(str("digest-file", 0, &o.digest_file, "Specify a file to save the digest of the built image to."));
  fs.add(str("image-name-with-digest-file", 0, &o.image_name_digest_file,
             "Specify a file to save the image name w/ digest of the built image to."));
  fs.add(str("image-name-tag-with-digest-file", 0, &o.image_name_tag_digest_file,
             "Specify a file to save the image name w/ image tag w/ digest of the built image to."));
  fs.add(list("label", 0, &o.labels, "Set metadata for an image (k=v). Set it repeatedly for multiple labels."));
  fs.add(list("annotation", 0, &o.annotations, "Set an OCI manifest annotation (k=v). Repeatable."));
  fs.add(str("image-format", 0, &o.image_format, "Manifest format of the result: docker or oci (default: as the base image)"));
  fs.add(boolean("reproducible", &o.reproducible, "Strip timestamps out of the image to make it reproducible"));
  fs.add(str("compression", 0, &o.compression, "Layer compression: gzip or zstd", "gzip"));
  fs.add(integer("compression-level", &o.compression_level,
                 "Compression level (-1: the algorithm's default; gzip 0 to 9, zstd up to 22). gzip "
                 "stores, at any level, each 256 KiB block it could shrink by no more than about 3% "
                 "(already-compressed files)"));
  fs.add(with_aliases(list("custom-platform", 0, &o.custom_platforms,
                           "Platform to build for, e.g. linux/arm64 (default: the platform kiln was built for). "
                           "Repeatable (or a,b): the image is built once per platform and pushed as one image "
                           "index (a Docker manifest list with --image-format=docker); platforms are built side "
                           "by side as --jobs allows, and a FROM --platform=$BUILDPLATFORM stage alike on every "
                           "platform is built once"),
                      {"customPlatform"}));

  fs.add(with_aliases(str("snapshot-mode", 0, &o.snapshot_mode,
                          "Change the file attributes inspected during snapshotting: full, redo or time", "full"),
                      {"snapshotMode"}));
  fs.add(boolean("single-snapshot", &o.single_snapshot, "Take a single snapshot at the end of the build."));
  fs.add(boolean("use-new-run", &o.use_new_run, "Accepted for compatibility; kiln's snapshots are always incremental."));
  fs.add(with_aliases(boolean("ignore-var-run", &o.ignore_var_run,
                              "Ignore /var/run directory when taking image snapshot. Set it to false to preserve /var/run/ in destination image.",
                              true),
                      {"whitelist-var-run"}));
  fs.add(list("ignore-path", 0, &o.ignore_paths, "Ignore these paths when taking a snapshot. Repeatable."));
  fs.add(boolean("cleanup", &o.cleanup, "Clean the filesystem at the end of the build, succeeded or failed"));
  fs.add(boolean("pre-cleanup", &o.pre_cleanup, "Clean the filesystem before the build"));
  fs.add(boolean("force-build-metadata", &o.force_build_metadata, "Force add metadata layers to build image"));

  fs.add(boolean("cache", &o.cache, "Use cache when building image"));
  fs.add(str("cache-repo", 0, &o.cache_repo,
             "Specify a repository to use as a cache, otherwise one will be inferred from the destination provided; "
             "oci:/path keeps the cache in a local OCI layout directory (a CI cache volume) instead"));
  fs.add(str("cache-dir", 0, &o.cache_dir, "Specify a local directory to use as a cache.", "/cache"));
  fs.add(duration("cache-ttl", &o.cache_ttl_seconds, "Cache timeout (Go duration syntax).", "336h0m0s"));
  fs.add(boolean("cache-copy-layers", &o.cache_copy_layers, "Caches copy layers"));
  fs.add(boolean("cache-run-layers", &o.cache_run_layers, "Caches run layers", true));
  fs.add(boolean("compressed-caching", &o.compressed_caching, "Compress the cached layers.", true));
  fs.add(boolean("no-push-cache", &o.no_push_cache, "Do not push the cache layers to the registry"));
  fs.add(boolean("materialize", &o.materialize,
                 "Unpack the (first) target stage's filesystem into the root even when every step came from the cache "
                 "(for tools that inspect the root after the build)"));

  add_registry_flags(fs, o);
  fs.add(integer("push-retry", &o.push_retry, "Number of retries for the push operation"));
  fs.add(integer("image-fs-extract-retry", &o.image_fs_extract_retry, "Number of retries for image FS extraction: a base layer that fails to unpack is downloaded again"));
  fs.add(boolean("skip-push-permission-check", &o.skip_push_permission_check,
                 "Skip the check, before the build, that the credentials may push to each destination and to "
                 "the layer cache repository (refused there: fatal with --no-push and --cache-repo, else a warning)"));
  fs.add(boolean("push-ignore-immutable-tag-errors", &o.push_ignore_immutable_tag_errors,
                 "Do not fail when a tag push is refused because the tag is immutable"));

  fs.add(boolean("force", &o.force, "Force building outside of a container"));
  fs.add(boolean("dryrun", &o.dryrun, "Print the resolved build plan and exit without building"));
  add_common_flags(fs, o, "executor");
  fs.add(boolean("version", &o.version, "Print the version and exit"));
  fs.add(hidden(str("bucket", 'b', &o.context, "Deprecated: use --context gs://bucket/path")));
}

void apply_environment(ExecutorOptions& o, const GetEnv& env) {
  auto flag_bool = [&](const char* var, bool* field) {
    if (auto v = env(var); v && !v->empty()) *field = parse_bool(var, *v);
  };
  if (auto v = env("KANIKO_DIR"); v && !v->empty()) o.kaniko_dir = *v;
  flag_bool("KANIKO_NO_PUSH", &o.no_push);
  flag_bool("KANIKO_CLEANUP", &o.cleanup);
  flag_bool("KANIKO_PRE_CLEANUP", &o.pre_cleanup);
  apply_registry_environment(o, env);
}

}  // namespace

ExecutorOptions parse_executor_options(const std::vector<std::string>& args, const GetEnv& env) {
  ExecutorOptions o;
  apply_environment(o, env);
  FlagSet fs("executor");
  build_table(fs, o);
  auto r = fs.parse(args);
  o.positional = std::move(r.positional);
  // --snapshotMode and friends set the same field, so nothing more to merge.
  normalize_registry_flags(o);
  return o;
}

void validate(const ExecutorOptions& o) {
  if (!o.no_push && o.destinations.empty() && !o.dryrun)
    throw UsageError("you must provide --destination, or use --no-push");
  if (o.destinations.empty() && !o.image_name_digest_file.empty())
    throw UsageError("you must provide --destination if setting --image-name-with-digest-file");
  if (o.destinations.empty() && !o.image_name_tag_digest_file.empty())
    throw UsageError("you must provide --destination if setting --image-name-tag-with-digest-file");
  if (o.cache_repo.rfind("oci:", 0) == 0 && o.cache_repo.compare(4, 1, "/") != 0)
    throw UsageError("invalid --cache-repo '" + o.cache_repo + "': a local cache is oci:/absolute/path");
  if (o.snapshot_mode != "full" && o.snapshot_mode != "redo" && o.snapshot_mode != "time")
    throw UsageError("invalid --snapshot-mode '" + o.snapshot_mode + "': use full, redo or time");
  if (o.compression != "gzip" && o.compression != "zstd")
    throw UsageError("invalid --compression '" + o.compression + "': use gzip or zstd");
  if (!o.image_format.empty() && o.image_format != "docker" && o.image_format != "oci")
    throw UsageError("invalid --image-format '" + o.image_format + "': use docker or oci");
  for (const auto& l : o.labels)
    if (l.find('=') == std::string::npos)
      throw UsageError("invalid --label '" + l + "': expected key=value");
  for (const auto& a : o.annotations)
    if (a.find('=') == std::string::npos)
      throw UsageError("invalid --annotation '" + a + "': expected key=value");
  validate_registry_flags(o);
}

std::string executor_usage() {
  ExecutorOptions o;
  FlagSet fs("executor");
  build_table(fs, o);
  return "kiln executor builds a container image from a Dockerfile inside a container, without a daemon,\n"
         "and pushes it to a registry (or writes a tarball / OCI layout). Drop-in for kaniko's executor.\n\n" +
         fs.usage("executor [flags]\n  executor version\n"
                  "  executor login -u USER (-p PASS | --password-stdin) REGISTRY   (see executor login --help)\n"
                  "  executor push TARBALL|OCI-LAYOUT-DIR --destination REF...       (see executor push --help)\n"
                  "  executor manifest REF-PER-PLATFORM... --destination REF...      (see executor manifest --help)") +
         "\nEnvironment: KANIKO_DIR, KANIKO_NO_PUSH, KANIKO_CLEANUP, KANIKO_PRE_CLEANUP, KANIKO_REGISTRY_MIRROR,\n"
         "KANIKO_REGISTRY_MAP, DOCKER_CONFIG (default /kaniko/.docker), SSL_CERT_FILE, SSL_CERT_DIR,\n"
         "http_proxy/https_proxy/no_proxy, BENCHMARK_FILE, DOCKER_AUTH_CONFIG (a config.json, read before the file).\n"
         "Built-in credential helpers (--credential-helpers, all by default), asked when config.json has nothing:\n"
         "  env     KANIKO_<HOST>_USER and KANIKO_<HOST>_PASSWORD (HOST upper-cased, '.', '-' and ':' as '_')\n"
         "  google  GOOGLE_APPLICATION_CREDENTIALS (service account or external_account), else the metadata server\n"
         "  ecr     AWS_ACCESS_KEY_ID/_SECRET_ACCESS_KEY, AWS_WEB_IDENTITY_TOKEN_FILE+AWS_ROLE_ARN,\n"
         "          AWS_CONTAINER_CREDENTIALS_FULL_URI (+_AUTHORIZATION_TOKEN[_FILE]), IMDSv2; AWS_ENDPOINT_URL_ECR\n"
         "  acr     AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE or AZURE_CLIENT_SECRET\n"
         "  gitlab  CI_REGISTRY(_USER/_PASSWORD), CI_JOB_TOKEN, CI_DEPENDENCY_PROXY_SERVER(_USER/_PASSWORD)\n" +
         "\nExit status: 0 built (and pushed); a failing RUN's own exit code, as kaniko; 1 any other failure (flags,\n"
         "Dockerfile, context, registry, credentials); 128+N after signal N (130 SIGINT, 143 SIGTERM).\n";
}

}  // namespace kiln::cli
