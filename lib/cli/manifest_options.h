#pragma once
// `executor manifest SOURCE... --destination REF`: kiln's addition (no kaniko
// builds multi-platform images) that joins per-platform images already in
// registries — each built natively by its own CI job or Kubernetes Job — into
// one image index. The flags are `executor push`'s; the sources are image
// references (repo:tag or repo@digest), one per platform or an index whose
// entries are taken.
#include <string>
#include <vector>

#include "cli/push_options.h"

namespace kiln::cli {

struct ManifestOptions : PushOptions {};

// Parses the arguments after "manifest"; KANIKO_DIR, KANIKO_REGISTRY_MIRROR
// and KANIKO_REGISTRY_MAP are applied first. Throws kiln::UsageError.
ManifestOptions parse_manifest_options(const std::vector<std::string>& args, const GetEnv& env);

// At least one source and one destination, a known --image-format. Throws UsageError.
void validate(const ManifestOptions& o);

std::string manifest_usage();

}  // namespace kiln::cli
