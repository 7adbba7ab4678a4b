#pragma once
// `executor manifest`: per-platform images already in registries joined into
// one image index (image/index_assembly.h) and pushed to every --destination.
// Each source's manifest and blobs reach the destination repository first
// (mounted across repositories of one registry, so no layer moves; copied
// from another registry), confirmed present, and only then is the index
// tagged: a failure half-way leaves no tag pointing at a partial index. See
// cli/manifest_options.h for the command line.
#include <string>
#include <vector>

#include "cmd/subcommand.h"

namespace kiln::cmd {

// args: what follows "manifest". Returns the process exit code.
int run_manifest(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace kiln::cmd
