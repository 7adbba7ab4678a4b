#include "cli/push_options.h"

#include "base/error.h"
#include "cli/flag_rows.h"
#include "cli/flags.h"

namespace kiln::cli {
namespace {

using namespace rows;

constexpr const char* kFormatHelp =
    "Manifest format for a docker-archive tarball: docker or oci (default docker; oci when a layer is not gzip). "
    "An OCI layout's manifest is pushed as it is.";

// The rows push and manifest share; only --image-format's help differs.
void build_table(FlagSet& fs, PushOptions& o, const std::string& image_format_help) {
  fs.add(list("destination", 'd', &o.destinations,
              "Registry the image should be pushed to. Set it repeatedly for multiple destinations."));
  fs.add(str("digest-file", 0, &o.digest_file, "Specify a file to save the digest of the pushed image to."));
  fs.add(str("image-name-with-digest-file", 0, &o.image_name_digest_file,
             "Specify a file to save the image name w/ digest of the pushed image to."));
  fs.add(str("image-name-tag-with-digest-file", 0, &o.image_name_tag_digest_file,
             "Specify a file to save the image name w/ image tag w/ digest of the pushed image to."));
  fs.add(str("image-format", 0, &o.image_format, image_format_help));
  fs.add(integer("push-retry", &o.push_retry, "Number of retries for the push of an image"));
  add_registry_flags(fs, o);
  add_common_flags(fs, o, "push");
}

}  // namespace

void parse_push_flags(PushOptions& o, const std::string& command, const std::string& image_format_help,
                      const std::vector<std::string>& args, const GetEnv& env) {
  if (auto v = env("KANIKO_DIR"); v && !v->empty()) o.kaniko_dir = *v;
  apply_registry_environment(o, env);
  FlagSet fs(command);
  build_table(fs, o, image_format_help);
  auto r = fs.parse(args);
  o.positional = std::move(r.positional);
  normalize_registry_flags(o);
}

std::string push_flags_usage(const std::string& command, const std::string& image_format_help,
                             const std::string& synopsis) {
  PushOptions o;
  FlagSet fs(command);
  build_table(fs, o, image_format_help);
  return fs.usage(synopsis) + push_environment_help();
}

PushOptions parse_push_options(const std::vector<std::string>& args, const GetEnv& env) {
  PushOptions o;
  parse_push_flags(o, "executor push", kFormatHelp, args, env);
  return o;
}

void validate(const PushOptions& o) {
  if (o.positional.empty())
    throw UsageError("executor push needs the image to push: a docker-archive tarball or an OCI layout directory");
  if (o.positional.size() > 1) throw UsageError("executor push takes one image, got '" + o.positional[1] + "' too");
  validate_push_flags(o);
}

void validate_push_flags(const PushOptions& o) {
  if (o.destinations.empty()) throw UsageError("you must provide --destination");
  if (!o.image_format.empty() && o.image_format != "docker" && o.image_format != "oci")
    throw UsageError("invalid --image-format '" + o.image_format + "': use docker or oci");
  validate_registry_flags(o);
}

std::string push_usage() {
  return "Pushes an image saved by an earlier build (--no-push with --tar-path or --oci-layout-path) to every\n"
         "--destination: blobs first, their presence confirmed, tags last. Every blob is checked against its\n"
         "digest as it is read; a damaged tarball or layout is an error and no tag is written. Needs no container.\n\n" +
         push_flags_usage("executor push", kFormatHelp,
                          "executor push (TARBALL | OCI-LAYOUT-DIR[:TAG]) --destination REF [--destination REF]... [flags]");
}

std::string push_environment_help() {
  return "\nEnvironment: KANIKO_DIR, KANIKO_REGISTRY_MIRROR, KANIKO_REGISTRY_MAP, DOCKER_CONFIG (default\n"
         "/kaniko/.docker), SSL_CERT_FILE, SSL_CERT_DIR, http_proxy/https_proxy/no_proxy.\n";
}

}  // namespace kiln::cli
