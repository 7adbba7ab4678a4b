#pragma once
// `executor login`: checks credentials against a registry the way docker
// login does, then merges them into $DOCKER_CONFIG/config.json (atomically,
// mode 0600). See cli/login_options.h for the command line.
#include <string>
#include <vector>

#include "cmd/subcommand.h"

namespace kiln::cmd {

// args: what follows "login". Returns the process exit code; errors are
// printed to stderr, never with the password in them.
int run_login(const std::vector<std::string>& args, const CommandIo& io);

}  // namespace kiln::cmd
