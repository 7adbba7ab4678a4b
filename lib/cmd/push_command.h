#pragma once
// `executor push`: an image saved earlier (docker-archive tarball or OCI
// layout) to every --destination, with the build's three-phase push
// (registry/push_image.h) and digest files. Every blob is verified before
// anything is sent and again while it is uploaded, so a damaged input never
// gets a tag. See cli/push_options.h for the command line.
#include <memory>
#include <string>
#include <vector>

#include "cli/push_options.h"
#include "cmd/subcommand.h"
#include "registry/client.h"

namespace kiln::cmd {

// The registry client push and manifest use: the command's registry flags,
// --push-retry and the keychain (config.json, built-in helpers). Throws
// UsageError for an unknown --credential-helpers name.
std::unique_ptr<registry::Client> push_client(const cli::PushOptions& o, const CommandIo& io, log::Logger& log);

// args: what follows "push". Returns the process exit code.
int run_push(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace kiln::cmd
