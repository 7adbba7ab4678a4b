#pragma once
// Whether this host runs programs of another platform, asked before a build
// whose RUN steps need it (cmd/build_command.cpp): a RUN for linux/arm64 on
// an amd64 runner works only through an emulator the kernel knows
// (qemu-user-static registered with binfmt_misc and its F flag, as docker
// buildx relies on), and without one every RUN would fail halfway through
// the build with "Exec format error".
#include <filesystem>

#include "image/descriptor.h"
#include "log/log.h"

namespace kiln::proc {

// Runs proc::probe_program(platform), written into `dir`; returns when it
// exited with its status. Throws kiln::Error naming the platform and saying
// how to register an emulator otherwise. The platform kiln was built for
// is not probed; an architecture without a probe program gets a warning.
void check_can_run(const image::Platform& platform, const std::filesystem::path& dir, log::Logger& log);

}  // namespace kiln::proc
