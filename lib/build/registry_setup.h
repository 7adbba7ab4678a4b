#pragma once
// kaniko's registry flags and environment, mapped onto the registry client.
#include <filesystem>

#include "cli/executor_options.h"
#include "registry/client.h"
#include "registry/credentials.h"

namespace kiln::build {

registry::Options registry_options(const cli::ExecutorOptions& o, const cli::GetEnv& env);

// $DOCKER_CONFIG, else <kaniko-dir>/.docker, as kaniko's image sets it.
std::filesystem::path docker_config_dir(const cli::ExecutorOptions& o, const cli::GetEnv& env);

}  // namespace kiln::build
