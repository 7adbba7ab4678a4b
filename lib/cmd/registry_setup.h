#pragma once
// kaniko's registry flags and environment, mapped onto the registry client.
#include <filesystem>
#include <string>
#include <vector>

#include "cli/executor_options.h"
#include "cli/registry_flags.h"
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

// The built-in helpers --credential-helpers names (all when it is absent).
// Throws kiln::UsageError naming the flag and an unknown helper.
std::vector<std::string> credential_helpers(const cli::RegistryFlags& o);

// DOCKER_AUTH_CONFIG, <docker config dir>/config.json, then `helpers`
// (credential_helpers(); cloudcreds/keychain.h).
registry::Keychain load_keychain(const std::vector<std::string>& helpers, const std::filesystem::path& docker_config,
                                 const cli::GetEnv& env);

}  // namespace kiln::cmd
