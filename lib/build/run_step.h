#pragma once
// RUN: the command executed in the image root with the stage's user,
// environment and working directory.
#include <filesystem>

#include "dockerfile/evaluate.h"
#include "image/config.h"
#include "log/log.h"

namespace kiln::build {

// Throws kiln::Error naming the command and its exit code when it fails.
void run_command(const dockerfile::Step& step, const image::Config& config, const std::filesystem::path& root,
                 log::Logger& log);

}  // namespace kiln::build
