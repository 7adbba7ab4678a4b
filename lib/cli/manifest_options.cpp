#include "cli/manifest_options.h"

#include "base/error.h"

namespace kiln::cli {
namespace {

constexpr const char* kFormatHelp =
    "Index format: docker (a manifest list) or oci (an OCI image index). Default: a manifest list when every "
    "source is a Docker schema 2 manifest, else an OCI index.";

void build_table(FlagSet& fs, ManifestOptions& o) { add_push_rows(fs, o, kFormatHelp); }

}  // namespace

ManifestOptions parse_manifest_options(const std::vector<std::string>& args, const GetEnv& env) {
  ManifestOptions o;
  if (auto v = env("KANIKO_DIR"); v && !v->empty()) o.kaniko_dir = *v;
  apply_registry_environment(o, env);
  FlagSet fs("executor manifest");
  build_table(fs, o);
  auto r = fs.parse(args);
  o.positional = std::move(r.positional);
  normalize_registry_flags(o);
  return o;
}

void validate(const ManifestOptions& o) {
  if (o.positional.empty())
    throw UsageError("executor manifest needs the per-platform images to join: one reference per platform");
  if (o.destinations.empty()) throw UsageError("you must provide --destination");
  if (!o.image_format.empty() && o.image_format != "docker" && o.image_format != "oci")
    throw UsageError("invalid --image-format '" + o.image_format + "': use docker or oci");
  validate_registry_flags(o);
}

std::string manifest_usage() {
  ManifestOptions o;
  FlagSet fs("executor manifest");
  build_table(fs, o);
  return "Joins images already in registries, one per platform (each built natively, e.g. by a CI job per\n"
         "architecture), into one image index pushed to every --destination. Each source's platform is read\n"
         "from its config; a source that is itself an index gives all its entries. No layer is downloaded\n"
         "when the destination is on the sources' registry (blobs are mounted across repositories); from\n"
         "another registry they are copied. Two sources of one platform are an error. Needs no container.\n\n" +
         fs.usage("executor manifest SOURCE [SOURCE]... --destination REF [--destination REF]... [flags]") +
         push_environment_help();
}

}  // namespace kiln::cli
