#pragma once
// The keychain a build uses: DOCKER_AUTH_CONFIG, then
// <docker config dir>/config.json, then the built-in helpers
// --credential-helpers names (all of them by default, as in kaniko).
#include <string>
#include <vector>

#include "registry/credentials.h"

namespace kiln::cloudcreds {

// `helpers` as returned by helpers_to_run (helper_names.h).
registry::Keychain load_keychain(const std::string& docker_config_dir, const std::vector<std::string>& helpers,
                                 const registry::EnvLookup& env);

}  // namespace kiln::cloudcreds
