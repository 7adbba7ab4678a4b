#pragma once
// kaniko's registry flags and environment, mapped onto the registry client.
#include <filesystem>

#include "cli/executor_options.h"
#include "cli/registry_flags.h"
#include "log/log.h"
#include "registry/client.h"
#include "registry/credentials.h"

namespace kiln::cmd {

// The flags both programs share; kaniko_dir locates the image's CA bundle.
registry::Options registry_options(const cli::RegistryFlags& o, const std::filesystem::path& kaniko_dir,
                                   const cli::GetEnv& env);
// The executor's: the shared ones plus its push settings.
registry::Options registry_options(const cli::ExecutorOptions& o, const cli::GetEnv& env);

// $DOCKER_CONFIG, else <kaniko-dir>/.docker, as kaniko's image sets it.
std::filesystem::path docker_config_dir(const std::filesystem::path& kaniko_dir, const cli::GetEnv& env);
std::filesystem::path docker_config_dir(const cli::ExecutorOptions& o, const cli::GetEnv& env);

// <docker config dir>/config.json plus the --credential-helpers the flags
// name: "env" is built in (KANIKO_<HOST>_USER/_PASSWORD, after config.json);
// kaniko's cloud helpers (ecr-login, gcr/google, acr-env) are not, which is
// said in a warning rather than failing a pipeline that lists them.
registry::Keychain load_keychain(const cli::RegistryFlags& o, const std::filesystem::path& docker_config,
                                 const cli::GetEnv& env, log::Logger& log);

}  // namespace kiln::cmd
