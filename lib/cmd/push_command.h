#pragma once
// `executor push`: an image saved earlier (docker-archive tarball or OCI
// layout) to every --destination, with the build's three-phase push
// (registry/push_image.h) and digest files. Every blob is verified before
// anything is sent and again while it is uploaded, so a damaged input never
// gets a tag. See cli/push_options.h for the command line.
#include <string>
#include <vector>

#include "cmd/subcommand.h"

namespace kiln::cmd {

// args: what follows "push". Returns the process exit code.
int run_push(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace kiln::cmd
