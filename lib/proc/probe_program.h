#pragma once
// A tiny static Linux program for one architecture that only exits with
// status 42: run before a build whose RUN steps execute another
// architecture's binaries, it shows whether this host can run them at all
// (natively, as an arm64 CPU runs arm/v7, or through an emulator registered
// with binfmt_misc) — before anything is unpacked or run. binfmt_misc itself
// is often invisible inside a container, and its registrations are the
// kernel's, so trying is the only check that means what it says.
#include <optional>
#include <string>

#include "image/descriptor.h"

namespace kiln::proc {

inline constexpr int kProbeExitStatus = 42;

// The ELF executable's bytes; nullopt for an architecture it has no code for
// (the build then goes on and a RUN fails the way the kernel says).
std::optional<std::string> probe_program(const image::Platform& platform);

}  // namespace kiln::proc
