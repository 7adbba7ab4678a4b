#include "cli/manifest_options.h"

#include "base/error.h"

namespace kiln::cli {
namespace {

constexpr const char* kFormatHelp =
    "Index format: docker (a manifest list) or oci (an OCI image index). Default: a manifest list when every "
    "source is a Docker schema 2 manifest, else an OCI index.";

}  // namespace

ManifestOptions parse_manifest_options(const std::vector<std::string>& args, const GetEnv& env) {
  ManifestOptions o;
  parse_push_flags(o, "executor manifest", kFormatHelp, args, env);
  return o;
}

void validate(const ManifestOptions& o) {
  if (o.positional.empty())
    throw UsageError("executor manifest needs the per-platform images to join: one reference per platform");
  validate_push_flags(o);
}

std::string manifest_usage() {
  return "Joins images already in registries, one per platform (each built natively, e.g. by a CI job per\n"
         "architecture), into one image index pushed to every --destination. Each source's platform is read\n"
         "from its config; a source that is itself an index gives all its entries. No layer is downloaded\n"
         "when the destination is on the sources' registry (blobs are mounted across repositories); from\n"
         "another registry they are copied. Two sources of one platform are an error. Needs no container.\n\n" +
         push_flags_usage("executor manifest", kFormatHelp,
                          "executor manifest SOURCE [SOURCE]... --destination REF [--destination REF]... [flags]");
}

}  // namespace kiln::cli
